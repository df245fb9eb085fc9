"""Text layout and cue matching for the patient timeline and the extractive handoff.

The timeline reads cue words next to extracted entities ("HOLD lisinopril", "aspirin was
stopped", a "STOP:" sub-header of a discharge list). This module cuts a note into lines,
clauses and sentences (offsets into the original text) and matches the cue rules of
``verifiers/rules/handoff_cues.json``. It needs no NLP pipeline, so building a timeline
from stored extractions is fast.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from agent.schemas.extraction import Entity, NoteExtraction
from agent.schemas.notes import Note
from agent.schemas.summary_rules import CueRule

CUE_FILE = "handoff_cues.json"

# Clauses end at ';' and at sentence ends; a list line is its own clause. Periods inside
# numbers ("0.4 mg") or abbreviations followed by lower case do not end a sentence.
_CLAUSE_END = re.compile(r";|\.(?=\s+[A-Z(#\d-])|\.\s*$|\n")
_SENTENCE_END = re.compile(r"\.(?=\s+[A-Z(#\d-])|\.\s*$|\n")
_LABEL = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)]|#\d*)?\s*([A-Za-z][A-Za-z /&-]{0,40}?)\s*(?::|$)")


@dataclass(frozen=True)
class Piece:
    """A stretch of a note: offsets into the note text and its section (UPPER_SNAKE)."""

    start: int
    end: int
    section: str | None


@lru_cache(maxsize=4)
def load_cues(rules_dir: str | None = None) -> dict[str, list[tuple[CueRule, re.Pattern]]]:
    """The cue rules grouped by kind, each with its compiled case-insensitive regex.

    Args:
        rules_dir: a replacement rules folder (``extraction.rules_dir``); None = packaged.

    Raises:
        RuleFileError: the file is missing or an entry is invalid (file and index named).
    """
    from verifiers.rulefiles import read_rule_file, rules_path

    path = rules_path(CUE_FILE, rules_dir)
    if rules_dir is not None and not path.exists():
        path = rules_path(CUE_FILE)
    out: dict[str, list[tuple[CueRule, re.Pattern]]] = {}
    for rule in read_rule_file(path, "cue_rules", CueRule):
        flags = re.IGNORECASE | re.MULTILINE
        out.setdefault(rule.kind, []).append((rule, re.compile(rule.pattern, flags)))
    return out


def cues_sha256(rules_dir: str | None = None) -> str:
    """sha256 of the cue file in use (recorded in provenance)."""
    from verifiers.rulefiles import file_sha256, rules_path

    return file_sha256(rules_path(CUE_FILE, rules_dir))


@dataclass(frozen=True)
class CueMatch:
    """A cue found in the text: its label, offsets into the note and the rule position."""

    label: str
    start: int
    end: int
    position: str


def find_cues(kind: str, text: str, start: int, end: int, *, position: str | None = None,
              rules_dir: str | None = None) -> list[CueMatch]:
    """Cue matches of one kind in ``text[start:end]``, longest first on overlaps.

    A longer cue that covers a shorter one wins ("do not restart" over "restart", "hold
    parameters" over "hold"). Matches are returned in text order.

    Args:
        kind: a cue kind (``medication``, ``severity``...).
        text: the whole note text (offsets stay note offsets).
        start: window start.
        end: window end.
        position: keep only rules usable at this side of a mention (``before``/``after``);
            ``either`` rules always apply.
        rules_dir: replacement rules folder.
    """
    found: list[CueMatch] = []
    window = text[start:end]
    for rule, rx in load_cues(rules_dir).get(kind, []):
        if position is not None and rule.position not in (position, "either"):
            continue
        for m in rx.finditer(window):
            if m.end() > m.start():
                found.append(CueMatch(rule.label, start + m.start(), start + m.end(),
                                      rule.position))
    found.sort(key=lambda c: (-(c.end - c.start), c.start))
    kept: list[CueMatch] = []
    for cue in found:
        if not any(cue.start < k.end and k.start < cue.end for k in kept):
            kept.append(cue)
    return sorted(kept, key=lambda c: c.start)


def lines(text: str) -> list[tuple[int, int]]:
    """Non-blank lines as ``(start, end)`` offsets, trailing spaces excluded."""
    out = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.rstrip()
        lead = len(raw) - len(raw.lstrip())
        if stripped.strip():
            out.append((pos + lead, pos + len(stripped)))
        pos += len(raw) + 1
    return out


_ABBREV = re.compile(r"(?:\b(?:Dr|Mr|Mrs|Ms|St|Pt|vs|approx|No)|\b[A-Z])\.$")


def _split(text: str, start: int, end: int, rx: re.Pattern) -> list[tuple[int, int]]:
    out = []
    pos = start
    for m in rx.finditer(text, start, end):
        if m.group(0) == "." and _ABBREV.search(text, max(start, m.start() - 8), m.end()):
            continue  # "Dr. Thornbury", "A. Grevitt": not a sentence end
        if text[pos:m.end()].strip():
            out.append(_trim(text, pos, m.end()))
        pos = m.end()
    if text[pos:end].strip():
        out.append(_trim(text, pos, end))
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t\n-*•;":
        start += 1
    while end > start and text[end - 1] in " \t\n;":
        end -= 1
    return start, end


def clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Clauses of ``text[start:end]``: cut at ';', sentence ends and line breaks."""
    return _split(text, start, end, _CLAUSE_END)


def sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentences of ``text[start:end]``: cut at sentence ends and line breaks."""
    return [(a, b) for a, b in _split(text, start, end, _SENTENCE_END) if b > a]


def line_sections(note: Note, extraction: NoteExtraction | None,
                  headers: dict[str, str]) -> list[Piece]:
    """Each non-blank line of a note with its section.

    The section of a line is the section the extractor gave the entities on it; a line
    without entities takes the section of a header label it starts with, else the section
    of the line above (sections run until the next header).

    Args:
        note: the note.
        extraction: its entities (may be None).
        headers: lower-case header label -> section, e.g. ``{"pending results": ...}``.
    """
    by_line: dict[int, str] = {}
    spans = lines(note.text)
    starts = [a for a, _ in spans]
    for ent in (extraction.entities if extraction else []):
        if ent.section is None:
            continue
        idx = _index_at(starts, ent.start)
        by_line.setdefault(idx, ent.section)
    out: list[Piece] = []
    current: str | None = None
    for i, (a, b) in enumerate(spans):
        label = _LABEL.match(note.text[a:b])
        header = headers.get(label.group(1).strip().lower()) if label else None
        if header is not None:
            current = header
        elif i in by_line:
            current = by_line[i]
        out.append(Piece(a, b, current))
    return out


def _index_at(starts: list[int], offset: int) -> int:
    import bisect

    return max(0, bisect.bisect_right(starts, offset) - 1)


@lru_cache(maxsize=4)
def header_labels(rules_dir: str | None = None) -> dict[str, str]:
    """Section header labels (lower case, no colon) -> section, from the extractor's
    ``sections.json``, so timeline sections agree with entity sections."""
    from verifiers.rulefiles import SectionRuleEntry, read_rule_file, rules_path

    path = rules_path("sections.json", rules_dir)
    if rules_dir is not None and not path.exists():
        path = rules_path("sections.json")
    out: dict[str, str] = {}
    for entry in read_rule_file(path, "section_rules", SectionRuleEntry):
        out.setdefault(entry.literal.rstrip(":").strip().lower(), entry.category)
    return out


def entities_in(entities: Iterable[Entity], start: int, end: int) -> list[Entity]:
    """Entities lying inside ``[start, end)``, in text order."""
    return sorted((e for e in entities if e.start >= start and e.end <= end),
                  key=lambda e: e.start)
