"""Align a model's verbatim quote to character offsets in the source text.

Three steps, strictest first: exact substring; then whitespace- and case-normalised; then a
bounded fuzzy match (rapidfuzz partial-ratio alignment above a score cutoff). A quote that
none of them finds is reported as ungrounded by the caller, never given invented offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Below this score a fuzzy "match" is usually a different phrase sharing letters.
FUZZY_CUTOFF = 90.0
# Very short quotes match almost anywhere fuzzily; long ones make alignment slow.
FUZZY_MIN_CHARS = 5
FUZZY_MAX_CHARS = 200

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Alignment:
    """Where a quote was found: offsets into the searched text, method and score (0-100)."""

    start: int
    end: int
    method: str
    score: float


def _normalise(text: str) -> tuple[str, list[int]]:
    """Lower-cased text with whitespace runs collapsed to one space, plus for each
    character of the result its offset in ``text``."""
    out: list[str] = []
    index: list[int] = []
    for m in re.finditer(r"\s+|\S+", text):
        if m.group().isspace():
            if out and out[-1] != " ":
                out.append(" ")
                index.append(m.start())
            continue
        for i, ch in enumerate(m.group()):
            low = ch.lower()
            # lower() can change length ("İ"); keep offsets 1:1 by using the first char.
            out.append(low[0] if low else ch)
            index.append(m.start() + i)
    return "".join(out), index


def _back(index: list[int], text_len: int, a: int, b: int) -> tuple[int, int]:
    start = index[a]
    end = index[b - 1] + 1 if b > 0 else start
    return start, min(end, text_len)


def align_quote(quote: str, text: str) -> Alignment | None:
    """Find ``quote`` in ``text``.

    Args:
        quote: the model's quote.
        text: the text it should come from (a chunk of the note).

    Returns:
        The alignment (``text[start:end]`` is the matched source text), or None when the
        quote is not in the text by any of the three methods.
    """
    quote = quote.strip()
    if not quote:
        return None
    pos = text.find(quote)
    if pos != -1:
        return Alignment(pos, pos + len(quote), "exact", 100.0)
    norm_text, index = _normalise(text)
    norm_quote = _SPACE.sub(" ", quote.lower())
    if not norm_text:
        return None
    pos = norm_text.find(norm_quote)
    if pos != -1:
        start, end = _back(index, len(text), pos, pos + len(norm_quote))
        return Alignment(start, end, "normalized", 100.0)
    if not FUZZY_MIN_CHARS <= len(norm_quote) <= FUZZY_MAX_CHARS:
        return None
    from rapidfuzz import fuzz

    res = fuzz.partial_ratio_alignment(norm_quote, norm_text, score_cutoff=FUZZY_CUTOFF)
    if res is None or res.dest_end <= res.dest_start:
        return None
    a, b = res.dest_start, res.dest_end
    # partial_ratio may stop inside a word ("metoprolol 25 m"): extend to word edges, then
    # trim spaces.
    while 0 < a < b and norm_text[a - 1].isalnum() and norm_text[a].isalnum():
        a -= 1
    while a < b < len(norm_text) and norm_text[b - 1].isalnum() and norm_text[b].isalnum():
        b += 1
    while a < b and norm_text[a] == " ":
        a += 1
    while b > a and norm_text[b - 1] == " ":
        b -= 1
    if b <= a:
        return None
    start, end = _back(index, len(text), a, b)
    return Alignment(start, end, "fuzzy", round(res.score, 1))
