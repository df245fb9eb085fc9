"""Medication courses the note says were finished before it was written.

"Finished Keflex 5/23", "Completed a course of nitrofurantoin at 30 wks", "FINISHED PREDNISONE
TAPER AND DOXYCYCLINE": a clause opening with a completed-course verb tells of a drug taken
and no longer taken, which the guideline calls historical ("medications taken and stopped
before this encounter"). The verb has to open its clause and come before the drug: in a
hospital-course narrative or a medication list the same words date a course given during
the stay ("cefepime x 7 days, completed 2/9", "She completed 72 h of IV pantoprazole"),
which stays present, so those sections and a subject before the verb are left alone.
"""

from __future__ import annotations

import re

from spacy.tokens import Span

from agent.nlp.doc_text import token_texts

# Past-tense completion verbs; the imperative "complete" (an instruction) is not one.
_FINISHED = frozenset({"finished", "completed"})
# Words allowed between the verb and the drug: articles, "course of", a span of time.
_FILLER = re.compile(
    r"^(?:a|an|the|her|his|their|full|entire|course|courses|of|taper|\d+|one|two|three|"
    r"four|five|six|seven|eight|nine|ten|days?|d|wks?|weeks?|mos?|months?|doses?|x|-|"
    r"prophylaxis|burst)$")
# Words a clause may open with (a list marker or the patient as an omitted subject).
_CLAUSE_BREAKS = frozenset({".", ";", ",", ":", "-", "*", "•", ")"})
# Another drug joined to the first by "and" / "," shares the verb ("finished A and B").
_JOINERS = frozenset({"and", "&", ",", "+", "/"})
_MAX_GAP = 8
# Sections narrating the stay or the procedure itself.
COURSE_SECTIONS = frozenset({"HOSPITAL_COURSE", "ED_COURSE", "PROCEDURES"})


def finished_before(span: Span, ranges: list[tuple[int, int, str]]) -> bool:
    """Whether a clause-opening completed-course verb governs the medication ``span``.

    Args:
        span: a MEDICATION entity span.
        ranges: ``(start, end, label)`` of the doc's entities (a drug joined by "and" to the
            one right after the verb shares the verb).

    Returns:
        True for "Finished X", "Completed a 5-day course of X", "Finished X and Y".
    """
    doc = span.doc
    texts = token_texts(doc)
    sent_start = doc[span.start].sent.start
    k = span.start - 1
    steps = 0
    while k >= sent_start and steps <= _MAX_GAP:
        word = texts[k].lower()
        if word in _FINISHED:
            return _opens_clause(texts, k, sent_start)
        if not (_FILLER.match(word) or not word.strip() or word in _JOINERS
                or _inside_drug(ranges, k) or _dated(word)):
            return False
        k -= 1
        steps += 1
    return False


def _opens_clause(texts: list[str], k: int, sent_start: int) -> bool:
    """Whether token ``k`` opens its clause (sentence start, or after a break)."""
    j = k - 1
    while j >= sent_start and not texts[j].strip():
        j -= 1
    return j < sent_start or texts[j] in _CLAUSE_BREAKS or "\n" in texts[j]


def _inside_drug(ranges: list[tuple[int, int, str]], k: int) -> bool:
    return any(start <= k < end and label == "MEDICATION" for start, end, label in ranges)


def _dated(word: str) -> bool:
    """A date or time next to the first drug ("Finished A 5/3 and B 6/3")."""
    return bool(re.fullmatch(r"\d{1,2}/\d{1,2}(?:/\d{2,4})?|on|in|at|ago", word))
