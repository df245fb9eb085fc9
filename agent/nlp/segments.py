"""Cutting a long note into segments: plain text work, importable without spaCy.

spaCy work (and ConText's pairing of cues and targets) grows with document length; long
notes are processed in segments cut at blank lines (or line ends) so memory and time stay
linear and nothing is truncated. De-identification cuts notes the same way (at its own
size) and must not pay for loading spaCy/medspaCy's modules to do it.
"""

from __future__ import annotations

from collections.abc import Iterator

SEGMENT_CHARS = 5_000


def segments(text: str, max_chars: int = SEGMENT_CHARS) -> Iterator[tuple[int, str]]:
    """Split text into pieces of at most ~max_chars, cutting at blank lines or newlines."""
    pos = 0
    n = len(text)
    while pos < n:
        if n - pos <= max_chars:
            yield pos, text[pos:]
            return
        cut = text.rfind("\n\n", pos + max_chars // 2, pos + max_chars)
        if cut == -1:
            cut = text.rfind("\n", pos + max_chars // 2, pos + max_chars)
        if cut == -1:
            cut = text.rfind(" ", pos + max_chars // 2, pos + max_chars)
        cut = pos + max_chars if cut == -1 else cut + 1
        yield pos, text[pos:cut]
        pos = cut
