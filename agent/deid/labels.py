"""Field labels written the way hurried typing and compact exports write them.

The pack's recognizers expect "Name: Jane Doe", "MRN: 1234567", "Dr. Ruiz". Exports and
quick messages glue the pieces together ("Name:JaneDoe", "pt:okonkwo,adaeze", "dr.ruiz-tagle")
or misspell the label ("Meidcal record: 4471-0093", "Pateint name"). The label is still the
evidence: this module reads those shapes and reports the value after the label.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agent.nlp.literal_gate import gated
from agent.schemas.deid import PhiSpan

_NAME_LABELS = r"(?:name|patient|pt|pcp|prescriber|provider|attending|resident|contact|caller)"
# "Name:JosephineAchterberg": a first and last name run together in capitals-inside (the
# CamelCase an export or a form field without a space produces).
_CAMEL_NAME = gated(rf"\b(?i:{_NAME_LABELS})\s*[:=]\s*(?P<v>[A-Z][a-z]+(?:[A-Z][a-z]+)+)\b")
# "pt:okonkwo,adaeze", "name=OBI,CHUKA": "Last,First" with no space after the comma.
_GLUED_INVERTED = gated(
    rf"\b(?i:{_NAME_LABELS})\s*[:=]\s*(?P<v>[^\W\d_][\w'’-]*,[^\W\d_][\w'’-]*)(?![\w'’])")
# "dr.ruiz-tagle", "Mr.Achterberg", "(Dr.Quispe)": a title glued to the surname.
_GLUED_TITLE = gated(
    r"\b(?i:dr|mrs?|ms|prof|rev)\.(?P<v>[^\W\d_][\w'’]*(?:-[^\W\d_][\w'’]*)?)")
# A value with a digit after a colon, "#" or "="; the label before it is read separately
# (scanning from the separator is far cheaper than trying a label at every position).
_VALUE_AFTER_SEPARATOR = gated(
    r"[:#=][ \t]*(?P<v>#?(?=[\w/-]*\d)[A-Za-z0-9][\w/-]{2,20}[A-Za-z0-9])(?![\w/-])")
# The label: one to three words at a line start or after a field gap ("  ", "|", ";").
_LABEL_BEFORE = re.compile(
    r"(?:^|[ \t]{2}|[|;])[ \t]*(?P<label>[A-Za-z]{2,12}(?:[ \t][A-Za-z]{2,12}){0,2})[ \t]*$")
# Labels of record numbers; a misspelling within one edit of one still labels the value.
_RECORD_LABELS = ("medical record", "medical record number", "record number", "chart number",
                  "hospital number", "patient id", "mrn")


def edits_at_most_one(a: str, b: str) -> bool:
    """One letter added, dropped, changed, or two neighbours swapped ("meidcal")."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long_[k]), len(short))
    return short[i:] == long_[i + 1:]


def _record_label(label: str) -> bool:
    words = label.lower().split()
    for canon in _RECORD_LABELS:
        parts = canon.split()
        # Short labels ("mrn") must be exact: one edit from three letters is another word.
        if len(parts) == len(words) and all(
                w == p if len(p) <= 4 else edits_at_most_one(w, p)
                for w, p in zip(words, parts, strict=True)):
            return True
    return False


# "- Daughter (HCP): Chioma Ezeh-Lindqvist, 555-0136": a relative or role as a list or
# field label with a note in brackets; the label word is checked against the pack's
# relations by the caller-supplied set.
_ROLE_FIELD = gated(
    r"^[ \t]*(?:[-*•·][ \t]*)?(?P<role>[A-Za-z][A-Za-z-]{1,20})(?:[ \t]*\([^)\n]{1,24}\))?"
    r"[ \t]*:[ \t]*(?P<v>[A-ZÀ-ÖØ-Þ][\w'’-]+(?:[ \t][A-ZÀ-ÖØ-Þ][\w'’-]+){0,3})"
    r"(?=[ \t]*(?:[,(;]|$))",
    re.MULTILINE)


def glued_label_spans(text: str, *, is_clinical: Callable[[str], bool],
                      relations: frozenset[str] = frozenset()) -> list[PhiSpan]:
    """Names and record numbers behind labels written without spaces or misspelt.

    Args:
        text: note text.
        is_clinical: whether a word is a clinical, section or service word (never a name
            after a glued title: "Dr.Visit" is not written, "pt.education" is no person).
        relations: lower-case words for relatives and carers ("daughter", "neighbor") that
            label a person in a list ("- Daughter (HCP): ...").

    Returns:
        Spans of the values (the label and the title stay outside).
    """
    out: list[PhiSpan] = []
    for rx, name in ((_CAMEL_NAME, "camel_case"), (_GLUED_INVERTED, "glued_inverted")):
        for m in rx.finditer(text):
            out.append(PhiSpan(entity_type="NAME", start=m.start("v"), end=m.end("v"),
                               score=0.85, recognizer=f"glued_label:{name}"))
    for m in _GLUED_TITLE.finditer(text):
        word = m.group("v")
        if len(word) >= 3 and not is_clinical(word) and not is_clinical(word.split("-")[0]):
            out.append(PhiSpan(entity_type="NAME", start=m.start("v"), end=m.end("v"),
                               score=0.8, recognizer="glued_label:title"))
    for m in _ROLE_FIELD.finditer(text):
        words = m.group("v").split()
        if m.group("role").lower() in relations and not any(is_clinical(w) for w in words):
            out.append(PhiSpan(entity_type="NAME", start=m.start("v"), end=m.end("v"),
                               score=0.8, recognizer="glued_label:role_field"))
    for m in _VALUE_AFTER_SEPARATOR.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        label = _LABEL_BEFORE.search(text[max(line_start, m.start() - 60):m.start()])
        if label is not None and _record_label(label.group("label")):
            out.append(PhiSpan(entity_type="MRN", start=m.start("v"), end=m.end("v"),
                               score=0.85, recognizer="glued_label:record_number"))
    return out
