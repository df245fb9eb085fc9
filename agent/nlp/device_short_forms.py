"""Second pass for devices: a short form read as a device once names it in the whole note.

Capitalised short forms of lines and tubes ("IO", "CVL", "UVC", "JP") are ambiguous in
general, so the vocabularies leave most of them out and the curated patterns read them only
in a device frame ("IO removed", "UVC 3.5 Fr", "CVL DAY 2"). Within one note a writer keeps
one sense for a short form (one sense per discourse): once a frame has read it as a device,
its other bare mentions in the note ("tibial IO in 90 s", "through the IO") are the same
device. Only all-capital forms of two to five letters carry; a form another vocabulary
already labels at a mention (a test, a drug) keeps that label there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agent.nlp.lexicon import LexiconHit

SOURCE = "device-short-form"
# The frame rules whose device reading carries ("targets:pattern" is every curated pattern:
# device-state frames, French sizes, tubes by abbreviation).
_FRAME_SOURCES = frozenset({"targets:pattern"})
_SHORT_FORM = re.compile(r"[A-Z]{2,5}")


def carried_short_form_hits(text: str, hits: Iterable[LexiconHit]) -> list[LexiconHit]:
    """PROCEDURE hits for the other bare mentions of device short forms a frame found.

    Args:
        text: the text the hits index.
        hits: entity hits in offset order (their spans are never overlapped).

    Returns:
        New hits, in offset order, at whole-word mentions that no hit covers.
    """
    hits = list(hits)
    forms: dict[str, str] = {}
    for h in hits:
        surface = text[h.start:h.end]
        # A rule written for one form names its concept ("HD" -> hemodialysis) and reads
        # that form's own contexts ("HD unit", "HD#3"); only forms a generic frame read as
        # themselves carry.
        if h.label == "PROCEDURE" and h.source in _FRAME_SOURCES \
                and _SHORT_FORM.fullmatch(surface) and h.canonical == surface:
            forms.setdefault(surface, h.canonical)
    if not forms:
        return []
    taken = sorted((h.start, h.end) for h in hits)
    pattern = re.compile(r"(?<![\w/-])(" + "|".join(map(re.escape, sorted(forms))) + r")(?![\w/-])")
    out = []
    for m in pattern.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        out.append(LexiconHit(m.start(), m.end(), "PROCEDURE", forms[m.group(1)], SOURCE))
    return out
