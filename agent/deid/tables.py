"""Identifiers in the cells of a table whose header says what the column holds.

Handoff boards, census lists, dialysis schedules and consult lists are pasted into notes as
Markdown/pipe tables or tab-separated rows. A cell there has no label or title next to it
("| Imani |", "\tDX-20417\t"), so the recognizers that read context see a bare word or
number; the header row is the context ("Attending", "Record no", "Birth date"). This module
types the cells of the columns whose header names a Safe Harbor identifier.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from agent.schemas.deid import PhiSpan

# Header words -> the identifier type of the column. A person's role names a column of
# people ("Attending", "Nephrologist", "Nurse"); "Room", "Bed", "Reason", "Dx" are not typed.
_HEADER_TYPES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rx, re.IGNORECASE), etype) for rx, etype in (
        (r"\b(?:mrn|med(?:ical)?\s*rec(?:ord)?s?|record\s*(?:no\.?|#|num(?:ber)?)?|chart\s*(?:no\.?|#)?"
         r"|hosp(?:ital)?\s*(?:no\.?|#|id))\b|^\s*record\b", "MRN"),
        (r"\b(?:dob|d\.o\.b\.?|birth\s*date|date\s+of\s+birth|born|birthday)\b", "DATE"),
        (r"\b(?:date|admitted|admit|discharged|seen|visit|dos)\b", "DATE"),
        (r"\b(?:phone|tel|telephone|cell|mobile|contact\s*(?:no|#|number))\b", "PHONE"),
        (r"\b(?:e-?mail)\b", "EMAIL"),
        (r"\b(?:ssn|social\s+security)\b", "SSN"),
        (r"\b(?:name|patient|pt|resident|client|attending|physician|provider|doctor|surgeon|"
         r"nurse|rn|pcp|consultant|caregiver|next\s+of\s+kin|nok|family|relative|spouse|"
         r"proxy|hcp|md|np|pa|intern|fellow|\w+ologist|\w+iatrist|\w+ician)\b", "NAME"),
    ))
_SEPARATOR_ROW = re.compile(r"^[\s|:+-]*$")
# What a cell of each type must look like to be typed (a header is a promise, not proof).
_CELL_SHAPES: dict[str, re.Pattern[str]] = {
    "MRN": re.compile(r"#?(?=[\w/-]*\d)[A-Za-z0-9][\w/-]{2,24}"),
    "DATE": re.compile(r"(?=.*\d)[\w ,./'’-]{4,30}"),
    "PHONE": re.compile(r"(?=(?:\D*\d){7})[\d ()+.x-]{7,24}"),
    "EMAIL": re.compile(r"\S+@\S+|\S+\s*[\[(]at[\])]\s*\S+", re.IGNORECASE),
    "SSN": re.compile(r"(?=(?:\D*\d){4})[\d *X.-]{4,12}", re.IGNORECASE),
    "NAME": re.compile(r"(?:Dr\.?\s+)?[^\W\d_][^\W\d_'’.-]*(?:[-'’.][^\W\d_]+)*\.?"
                       r"(?:,?\s+[^\W\d_][^\W\d_'’.-]*(?:[-'’.][^\W\d_]+)*\.?){0,4}"),
}
_EMPTY_CELLS = frozenset({"", "-", "--", "n/a", "na", "none", "?", "tbd", "unknown", "x"})


# Columns aligned with runs of spaces (fixed-width exports): a cell is words joined by
# single spaces, cells are two or more spaces apart.
_SPACED_CELL = re.compile(r"\S+(?: \S+)*")
_SPACED_GAP = re.compile(r"\S {2,}(?=\S)")


def _kind(line: str) -> str:
    if line.count("|") >= 2:
        return "|"
    if line.count("\t") >= 2:
        return "\t"
    # Three or more space-aligned columns (two gaps): prose rarely has two double spaces.
    if len(_SPACED_GAP.findall(line)) >= 2:
        return "  "
    return ""


def _cells(line: str, sep: str) -> list[tuple[int, int]]:
    """Offsets (within ``line``) of each cell's stripped text; outer pipes are borders."""
    if sep == "  ":
        return [m.span() for m in _SPACED_CELL.finditer(line)]
    parts: list[tuple[int, int]] = []
    start = 0
    for i, ch in enumerate(line + sep):
        if ch == sep:
            parts.append((start, i))
            start = i + 1
    if sep == "|":
        if parts and not line[parts[0][0]:parts[0][1]].strip():
            parts = parts[1:]
        if parts and not line[parts[-1][0]:parts[-1][1]].strip():
            parts = parts[:-1]
    out = []
    for a, b in parts:
        cell = line[a:b]
        lead = len(cell) - len(cell.lstrip())
        out.append((a + lead, a + len(cell.rstrip())))
    return out


def _column_type(header: str) -> str | None:
    for rx, etype in _HEADER_TYPES:
        if rx.search(header):
            return etype
    return None


def _blocks(text: str) -> Iterator[tuple[str, list[tuple[int, str]]]]:
    """(separator, [(line offset, line)]) for runs of 2+ lines split by pipes, tabs or
    aligned runs of spaces."""
    run: list[tuple[int, str]] = []
    sep = ""
    pos = 0
    for line in text.split("\n"):
        kind = _kind(line)
        if kind and kind == sep:
            run.append((pos, line))
        else:
            if len(run) >= 2:
                yield sep, run
            run, sep = ([(pos, line)], kind) if kind else ([], "")
        pos += len(line) + 1
    if len(run) >= 2:
        yield sep, run


def column_spans(text: str, *, is_clinical: Callable[[str], bool]) -> list[PhiSpan]:
    """Spans for the cells of table columns whose header names an identifier.

    Args:
        text: note text.
        is_clinical: whether a word is a clinical, section or service word (such a cell
            in a people column, "hospitalist", "covering", is no name).

    Returns:
        One span per typed, non-empty cell whose text has the column type's shape.
    """
    if "|" not in text and "\t" not in text and "   " not in text:
        return []
    out: list[PhiSpan] = []
    for sep, rows in _blocks(text):
        head_off, head = rows[0]
        head_cells = _cells(head, sep)
        types = [_column_type(head[a:b]) for a, b in head_cells]
        if not any(types):
            continue
        for off, line in rows[1:]:
            if _SEPARATOR_ROW.match(line):
                continue
            cells = _cells(line, sep)
            if len(cells) != len(head_cells):
                continue  # a ragged row: the columns cannot be trusted
            for (a, b), etype in zip(cells, types, strict=True):
                value = line[a:b]
                if etype is None or value.lower() in _EMPTY_CELLS:
                    continue
                if not _CELL_SHAPES[etype].fullmatch(value):
                    continue
                if etype == "NAME" and all(is_clinical(w) for w in re.findall(r"[^\W\d_]+",
                                                                              value)):
                    continue
                out.append(PhiSpan(entity_type=etype, start=off + a, end=off + b, score=0.9,
                                   recognizer=f"table_column:{etype.lower()}"))
    return out
