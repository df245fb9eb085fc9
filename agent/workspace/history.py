"""The handoff history of a patient: stored handoffs with their acknowledgements, and what
changed between two of them.

Two summaries are compared section by section. A statement of the newer one whose
normalized text (case and spacing ignored, numbers kept: "40 mg" is not "20 mg") is in the
older one is unchanged; one whose text differs but shares a citation, or its first
clinical words ("furosemide", "code status"), with a statement of the older one is
changed; the rest are added (newer only) or removed (older only).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agent.schemas.handoff_history import (
    Acknowledgement,
    HandoffChangesResponse,
    HandoffEntry,
    SectionChanges,
    StatementChange,
)
from agent.schemas.summary import HANDOFF_SECTIONS, HandoffSummary, Statement

# Verdicts a reader must look at before trusting a statement.
FLAGGED_VERDICTS = frozenset({"CONTRADICTED", "UNSUPPORTED"})
# Words that open a sentence without naming what it is about.
_OPENERS = frozenset({"a", "an", "the", "if", "and", "or", "to", "of", "with", "for", "on",
                      "in", "at", "is", "was", "will", "please", "pt", "patient", "new"})
# A statement's subject: the words before its first colon, dash, digit or bracket.
_SUBJECT_END = re.compile(r"[:(\[\d]|\s-\s|\s–\s")
_WORD = re.compile(r"[a-z][a-z/'-]*")
_KEY_WORDS = 2


def normalized(text: str) -> str:
    """Case and spacing folded; words and numbers kept."""
    return " ".join(text.lower().split())


def subject_key(text: str) -> tuple[str, ...]:
    """The first clinical words of a statement ("furosemide", ("code", "status")), or ()
    when it opens with none long enough to name a subject."""
    head = _SUBJECT_END.split(text.lower(), maxsplit=1)[0]
    words = [w for w in _WORD.findall(head) if w not in _OPENERS][:_KEY_WORDS]
    if not words or (len(words) == 1 and len(words[0]) < 4):
        return ()
    return tuple(words)


def _cites(statement: Statement) -> set[tuple[str, int, int]]:
    return {(c.note_id, c.start, c.end) for c in statement.citations}


def section_changes(section: str, before: list[Statement], after: list[Statement],
                    ) -> tuple[SectionChanges, int]:
    """What changed in one section, and how many statements did not change."""
    left = list(before)
    unchanged = 0
    new: list[Statement] = []
    for s in after:
        same = next((b for b in left if normalized(b.text) == normalized(s.text)), None)
        if same is None:
            new.append(s)
        else:
            left.remove(same)
            unchanged += 1
    out = SectionChanges(section=section)
    for s in new:
        cites, key = _cites(s), subject_key(s.text)
        # Shared sources first: the same passage restated is the same fact, changed.
        match = next((b for b in left if cites & _cites(b)), None) or next(
            (b for b in left if key and subject_key(b.text) == key), None)
        if match is None:
            out.added.append(s)
        else:
            left.remove(match)
            out.changed.append(StatementChange(before=match, after=s))
    out.removed = left
    return out, unchanged


def summary_changes(summary_id: int, summary: HandoffSummary, since_id: int,
                    since: HandoffSummary) -> HandoffChangesResponse:
    """What changed from the handoff ``since`` to ``summary`` (sections with a change
    only, in I-PASS order)."""
    sections, unchanged = [], 0
    for name in HANDOFF_SECTIONS:
        diff, same = section_changes(name, [s for s in since.statements if s.section == name],
                                     [s for s in summary.statements if s.section == name])
        unchanged += same
        if diff.added or diff.removed or diff.changed:
            sections.append(diff)
    return HandoffChangesResponse(summary_id=summary_id, since_id=since_id, sections=sections,
                                  unchanged_count=unchanged)


def flagged_count(summary: HandoffSummary) -> int:
    """Statements a reader must check (CONTRADICTED or UNSUPPORTED)."""
    return sum(1 for s in summary.statements
               if s.verification is not None and s.verification.verdict in FLAGGED_VERDICTS)


def handoff_entry(summary_id: int, created_at: str, summary: HandoffSummary,
                  acks: Iterable[Acknowledgement]) -> HandoffEntry:
    """The history line of one stored handoff."""
    return HandoffEntry(summary_id=summary_id, created_at=created_at, mode=summary.mode,
                        statement_count=len(summary.statements),
                        flagged_count=flagged_count(summary), acknowledgements=list(acks))
