"""Where a short list section ends when the next header is one the rules do not know.

The sectionizer runs a section until the next header it recognises. After an allergy list
that is wrong in a dangerous way: in

    ALLERGIES -
    - Morphine: itching and vomiting

    MEDS TO STOP:
    - Ibuprofen (OTC)

every drug of the unknown "MEDS TO STOP" list (and of all lists after it) would read as an
allergen. An allergy list is short, so it ends at the first header-shaped line after a
blank line: a label of two words or more, or one alone on its line, ending with a colon
("MEDS TO STOP:", "GIVEN IN HOSPITAL ONLY (not continued):", "Lille score today: 0.62"), or
a table. The rest of the section goes
back to the section before the list (what the sectionizer would have said without its
header); a one-word label followed by text ("PCN: hives") is an allergy item, not a header.
"""

from __future__ import annotations

import re

from medspacy.section_detection import Section
from spacy.tokens import Doc

from agent.nlp.doc_text import doc_text
from agent.nlp.section_store import set_token_sections

SHORT_LIST_SECTIONS = frozenset({"ALLERGIES"})

_HEADER_AFTER_BLANK = re.compile(
    r"\n[ \t]*\n[ \t]*(?:(?P<label>[A-Z][A-Za-z0-9]+(?:[ \t]+[A-Za-z0-9/&-]+){0,7}[ \t]*"
    r"(?:\([^)\n]{0,60}\))?)[ \t]*:(?P<rest>[^\n]*)|(?P<table>\|))")


def _cut(text: str, start: int, end: int) -> int | None:
    """The offset where a short list ends inside ``text[start:end]``, or None."""
    for m in _HEADER_AFTER_BLANK.finditer(text, start, end):
        at = m.start("table") if m["table"] else m.start("label")
        if at >= end:
            break
        if m["table"] or len(m["label"].split()) >= 2 or not m["rest"].strip():
            return at
    return None


def end_short_lists(doc: Doc) -> Doc:
    """Split each allergy section at its first unknown header (see the module doc)."""
    sections = list(doc._.sections)
    out: list[Section] = []
    for i, section in enumerate(sections):
        out.append(section)
        if section.category not in SHORT_LIST_SECTIONS:
            continue
        body_start, body_end = section.body_span
        if body_end <= body_start:
            continue
        last = doc[body_end - 1]
        # From the end of the title (the blank line may follow it at once).
        lo = doc[section.title_span[1] - 1].idx if section.title_span[1] > section.title_span[0] \
            else doc[body_start].idx
        at = _cut(doc_text(doc), lo, last.idx + len(last))
        if at is None:
            continue
        token = doc.char_span(at, at + 1, alignment_mode="expand")
        if token is None or token.start <= body_start:
            continue
        before = sections[i - 1].category if i else None
        section.body_end = token.start
        tail = Section(before, token.start, token.start, token.start, body_end)
        out.append(tail)
        set_token_sections(doc, token.start, body_end, tail)
    doc._.sections = out
    return doc
