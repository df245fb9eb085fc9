"""Search within one patient's notes: every place the query's words occur together.

Case-insensitive; each query word matches the start of a word in the note ("furos" finds
"Furosemide"). With several words, all must occur within one line, or within a window of
:data:`WINDOW` characters when a sentence wraps across lines. Hits come in note order
(:func:`agent.schemas.notes.sort_notes`) and text order, each with its line as snippet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.errors import InputError
from agent.schemas.notes import Note
from agent.schemas.workspace import NoteSearchResult, SearchHit

MAX_QUERY_CHARS = 200
WINDOW = 200
# A snippet of a long line (a paragraph written as one line) is cut around the hit.
SNIPPET_CONTEXT = 120


def search_notes(patient_id: str, notes: Sequence[Note], query: str, *,
                 limit: int = 50) -> NoteSearchResult:
    """The hits of ``query`` in a patient's notes.

    Args:
        patient_id: the patient.
        notes: the notes in :func:`agent.schemas.notes.sort_notes` order.
        query: the words to find.
        limit: most hits returned (``total`` counts them all).

    Raises:
        InputError: an empty query or one over :data:`MAX_QUERY_CHARS` characters.
    """
    words = query_words(query)
    hits: list[SearchHit] = []
    for note in notes:
        for start, end in _matches(note.text, words):
            a, b = _snippet(note.text, start, end)
            hits.append(SearchHit(note_id=note.note_id, date=note.date, start=start, end=end,
                                  snippet=note.text[a:b], snippet_start=a))
    return NoteSearchResult(patient_id=patient_id, query=query, total=len(hits),
                            hits=hits[:limit])


def query_words(query: str) -> list[str]:
    """The query's distinct words, lower-cased.

    Raises:
        InputError: an empty query or one over :data:`MAX_QUERY_CHARS` characters.
    """
    if len(query) > MAX_QUERY_CHARS:
        raise InputError("query", f"the query has {len(query)} characters, above the limit of "
                         f"{MAX_QUERY_CHARS}", field="q", fix="Search for a few words")
    words = list(dict.fromkeys(w.casefold() for w in query.split()))
    if not words:
        raise InputError("query", "the query is empty", field="q",
                         fix="Pass one or more words in q")
    return words


def _matches(text: str, words: list[str]) -> list[tuple[int, int]]:
    """``(start, end)`` of each hit: a word's occurrence, or for several words the span
    from the first to the last of them, anchored on the first query word."""
    found = [[(m.start(), m.end()) for m in re.finditer(rf"(?<!\w){re.escape(w)}", text,
                                                        re.IGNORECASE)] for w in words]
    if any(not f for f in found):
        return []
    if len(words) == 1:
        return found[0]
    candidates: list[tuple[bool, int, int]] = []  # (is_on_one_line, start, end)
    for anchor in found[0]:
        line_a, line_b = _line(text, *anchor)
        spans = [anchor]
        is_on_line = True
        for occurrences in found[1:]:
            best = _nearest(occurrences, anchor, line_a, line_b)
            if best is None:
                break
            is_on_line = is_on_line and line_a <= best[0] and best[1] <= line_b
            spans.append(best)
        else:
            candidates.append((is_on_line, min(s[0] for s in spans), max(s[1] for s in spans)))
    # A hit on one line wins over an overlapping one that spans lines; then the earlier.
    out: list[tuple[int, int]] = []
    for _, start, end in sorted(candidates, key=lambda c: (not c[0], c[1])):
        if all(end <= a or start >= b for a, b in out):
            out.append((start, end))
    return sorted(out)


def _nearest(occurrences: list[tuple[int, int]], anchor: tuple[int, int], line_a: int,
             line_b: int) -> tuple[int, int] | None:
    """The occurrence nearest the anchor on its line, else within the window."""
    def distance(o: tuple[int, int]) -> int:
        return abs(o[0] - anchor[0])
    same_line = [o for o in occurrences if line_a <= o[0] and o[1] <= line_b]
    if same_line:
        return min(same_line, key=distance)
    near = [o for o in occurrences if distance(o) <= WINDOW]
    return min(near, key=distance) if near else None


def _line(text: str, start: int, end: int) -> tuple[int, int]:
    a = text.rfind("\n", 0, start) + 1
    b = text.find("\n", end)
    return a, len(text) if b < 0 else b


def _snippet(text: str, start: int, end: int) -> tuple[int, int]:
    """The line(s) holding the hit, cut to :data:`SNIPPET_CONTEXT` characters around it at
    word boundaries when the line is long."""
    a, _ = _line(text, start, start)
    _, b = _line(text, end, end)
    if start - a > SNIPPET_CONTEXT:
        cut = text.find(" ", start - SNIPPET_CONTEXT, start)
        a = cut + 1 if cut >= 0 else start - SNIPPET_CONTEXT
    if b - end > SNIPPET_CONTEXT:
        cut = text.rfind(" ", end, end + SNIPPET_CONTEXT)
        b = cut if cut >= 0 else end + SNIPPET_CONTEXT
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b
