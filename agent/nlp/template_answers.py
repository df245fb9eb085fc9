"""Answers written by a template rather than by a cue word.

Templated notes (EHR review-of-systems forms, nursing checklists) answer an item with a mark
beside it instead of a sentence, so no ConText cue is there to read:

- a checkbox right after the item: ``Fever [ ]  Cough [x]``. An empty box is an item the
  writer did not tick, i.e. the symptom was asked about and not endorsed;
- a signed list: ``ROS: + cough, fatigue; - fever, rash``. On a line that uses both signs
  as list markers, a ``-`` marks the items after it (up to the next marker) as negatives.
  A line with dashes only is a bulleted list, not a signed one, so it is left alone.
"""

from __future__ import annotations

import re

from spacy.tokens import Span

from agent.nlp.doc_text import doc_text

# An empty box directly after the item ("Chills [ ]", "Chills []", "Chills ( )").
_EMPTY_BOX = re.compile(r"[ \t]*(?:\[[ \t]?\]|\([ \t]\))")
# A sign used as a list marker: at the start of the line or after ":", ";" or ",", then a
# space and a word ("+ cough", "; - fever"). "aspirin + clopidogrel" or "K+ 3.1" are not.
_SIGN = re.compile(r"(?:^|[:;,])[ \t]*(?P<sign>[+-])[ \t]+(?=[A-Za-z])")


def is_template_negative(span: Span) -> bool:
    """Whether a template mark denies the item (see the module docstring).

    Args:
        span: an entity span.

    Returns:
        True for an item followed by an empty checkbox, or governed by the ``-`` marker of
        a signed list.
    """
    text = doc_text(span.doc)
    if _EMPTY_BOX.match(text, span.end_char):
        return True
    line_start = text.rfind("\n", 0, span.start_char) + 1
    line_end = text.find("\n", span.end_char)
    line = text[line_start:len(text) if line_end == -1 else line_end]
    markers = [(m.start("sign"), m.group("sign")) for m in _SIGN.finditer(line)]
    if not {"+", "-"} <= {sign for _, sign in markers}:
        return False
    before = [sign for at, sign in markers if at < span.start_char - line_start]
    return bool(before) and before[-1] == "-"
