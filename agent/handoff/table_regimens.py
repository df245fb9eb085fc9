"""Medication reconciliation tables: the regimen of a row is the one in its discharge
column.

A pipe table such as ``Medication | Prior to admission | At discharge | Comment`` gives
each drug two regimens on one line. The extractor attaches the first dose it meets to the
drug (``Lisinopril | 10 mg PO daily | 5 mg PO daily | restarted at lower dose``: 10 mg, the
home dose), so the timeline would say "resumed at 10 mg" and the verifier would back a
statement giving the home dose as the discharge dose. :func:`discharge_column_regimens`
moves a row's regimen to the cell of the column that says what the patient takes now
(``At discharge``, ``Discharge``, ``Plan``, ``Planned at discharge``) when that cell has a
dose of its own; the home dose stays in the home medication list of the admission note.
Rows whose discharge cell has no dose ("-", "STOPPED", "no change") keep what the
extractor found: their status words tell the change.
"""

from __future__ import annotations

import re

from agent.schemas.extraction import Entity, Extractor, NoteExtraction
from agent.schemas.notes import Note

# Regimen attributes a discharge cell replaces (indication, PRN reason and the like stay).
_REGIMEN = frozenset({"strength", "dose", "unit", "form", "route", "frequency", "duration"})
# A header cell naming what the patient goes home on / takes from now on.
_NOW = re.compile(r"\b(?:at\s+discharge|discharge|going\s+home|plan(?:ned)?(?:\s+at\s+"
                  r"discharge)?|new\s+regimen)\b", re.IGNORECASE)
# A header cell naming the regimen before or during the stay.
_BEFORE = re.compile(r"\b(?:home|prior|before|pre-?admission|admission|pta|outpatient|"
                     r"inpatient|hospital|previous)\b", re.IGNORECASE)
_DOSE = re.compile(r"\d")


def _cells(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The cells of a table row as (start, end) offsets, stripped of spaces."""
    out = []
    pos = start
    for part in text[start:end].split("|"):
        lo = pos + len(part) - len(part.lstrip())
        hi = pos + len(part.rstrip())
        out.append((lo, hi))
        pos += len(part) + 1
    return out


def _rows(text: str) -> list[list[tuple[int, int, list[tuple[int, int]]]]]:
    """Blocks of consecutive table rows (lines with two or more '|')."""
    blocks: list[list[tuple[int, int, list[tuple[int, int]]]]] = []
    current: list[tuple[int, int, list[tuple[int, int]]]] = []
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if line.count("|") >= 2:
            current.append((start, end, _cells(text, start, end)))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _columns(text: str, header: list[tuple[int, int]]) -> tuple[int | None, set[int]]:
    """The index of the header's "now" column and those of its before/during columns."""
    now = None
    before: set[int] = set()
    for i, (a, b) in enumerate(header):
        cell = text[a:b]
        if _NOW.search(cell) and now is None:
            now = i
        elif _BEFORE.search(cell):
            before.add(i)
    return now, before


def _cell_of(offset: int, cells: list[tuple[int, int]]) -> int | None:
    for i, (a, b) in enumerate(cells):
        if a <= offset <= b:
            return i
    return None


def _regimen_in(ent: Entity, cell: tuple[int, int], text: str,
                extractor: Extractor) -> dict | None:
    """The regimen attributes the extractor reads in a cell, as attributes of ``ent``
    with note offsets; None when it reads none."""
    prefix = f"{ent.text} "
    found = extractor.extract(prefix + text[cell[0]:cell[1]])
    drug = next((e for e in found if e.type == "MEDICATION" and e.start == 0), None)
    if drug is None:
        return None
    shift = cell[0] - len(prefix)
    moved = {name: attr.model_copy(update={"start": attr.start + shift,
                                          "end": attr.end + shift})
             for name, attr in drug.attributes.items()
             if name in _REGIMEN and attr.start >= len(prefix)}
    return moved or None


def discharge_column_regimens(note: Note, extraction: NoteExtraction,
                              extractor: Extractor) -> NoteExtraction:
    """The extraction with each table row's drug given its discharge column's regimen.

    Args:
        note: the note.
        extraction: its extraction.
        extractor: the extractor (reads the attributes of a discharge cell).

    Returns:
        The same extraction when the note has no such table, else a copy with the drugs
        of the rows whose regimen stood in a home or inpatient column moved to the dose of
        their discharge column.
    """
    text = note.text
    if "|" not in text:
        return extraction
    changed: dict[int, Entity] = {}
    for block in _rows(text):
        now, before = _columns(text, block[0][2])
        if now is None or not before:
            continue
        for start, end, cells in block[1:]:
            if now >= len(cells) or not _DOSE.search(text[slice(*cells[now])]):
                continue
            for k, ent in enumerate(extraction.entities):
                if ent.type != "MEDICATION" or not start <= ent.start < end \
                        or _cell_of(ent.start, cells) != 0:
                    continue
                held = [_cell_of(a.start, cells) for n, a in ent.attributes.items()
                        if n in _REGIMEN]
                if not held or not all(c in before for c in held):
                    continue
                regimen = _regimen_in(ent, cells[now], text, extractor)
                if regimen is None:
                    continue
                kept = {n: a for n, a in ent.attributes.items() if n not in _REGIMEN}
                changed[k] = ent.model_copy(update={"attributes": {**kept, **regimen}})
    if not changed:
        return extraction
    entities = [changed.get(k, e) for k, e in enumerate(extraction.entities)]
    return extraction.model_copy(update={"entities": entities})
