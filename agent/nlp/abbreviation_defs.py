"""Abbreviations a note defines for itself: "community-acquired pneumonia (CAP)".

Schwartz & Hearst (2003) style: a short form in parentheses right after an entity is an
alias of that entity for the rest of the document, so later "CAP" mentions get the same type
and canonical concept. Only the definition pattern is trusted; the short form must be 2-10
characters, contain a capital letter, and its letters must appear in order in the long form
(first letter matching a word start), which rejects "(rash)" or "(2019)".
"""

from __future__ import annotations

import re

from agent.nlp.lexicon import LexiconHit

_DEF = re.compile(r"\s*\(\s*([A-Za-z][A-Za-z0-9-]{1,9})\s*\)")


def _is_short_form_of(short: str, long: str) -> bool:
    if not any(c.isupper() for c in short):
        return False
    letters = [c.lower() for c in short if c.isalnum()]
    text = long.lower()
    words_start = {0} | {m.end() for m in re.finditer(r"[\s-]+", text)}
    if not letters or not any(text.startswith(letters[0], i) for i in words_start):
        return False
    pos = 0
    for c in letters:
        pos = text.find(c, pos)
        if pos < 0:
            return False
        pos += 1
    return True


def defined_abbreviation_hits(text: str, hits: list[LexiconHit]) -> list[LexiconHit]:
    """Hits for every later use of short forms that ``hits`` define in ``text``.

    Args:
        text: the note (or segment) text.
        hits: entity hits already found, in offset order.

    Returns:
        New hits with the label and canonical concept of the defining entity; a problem's
        parenthesised definition counts as a mention, a drug's does not. Callers resolve
        overlaps.
    """
    aliases: dict[str, LexiconHit] = {}
    # A drug written "methotrexate (MTX)" is one mention (one order), as the lexicon
    # treats a bracketed alias; its definition is not counted again.
    skip: set[int] = set()
    for h in hits:
        m = _DEF.match(text, h.end)
        if m and _is_short_form_of(m.group(1), text[h.start:h.end]):
            aliases.setdefault(m.group(1), h)
            if h.label == "MEDICATION":
                skip.add(m.start(1))
    if not aliases:
        return []
    rx = re.compile(r"(?<![\w-])(" + "|".join(re.escape(a) for a in aliases) + r")(?![\w-])")
    return [LexiconHit(m.start(), m.end(), aliases[m.group(1)].label,
                       aliases[m.group(1)].canonical, "defined-abbreviation")
            for m in rx.finditer(text) if m.start() not in skip]
