"""The labs table: each test's stated numeric values across the stay, with a trend.

Values are the ones the extractor attached to TEST mentions (:mod:`agent.nlp.lab_results`):
"Cr 1.9", "BNP 1,840 pg/mL", "troponin 0.45 -> 0.62" (two values, each cited). Tests are
grouped by the extractor's canonical name ("Cr" and "creatinine" are one row). Only what the
note says was measured counts: a negated, planned, conditional or historical value (a
baseline from before the stay, "if Cr > 2.2") is left out, as is a range ("EF 25-30%"),
which is no single value, and a date the value reader took for a result ("TTE 08/2025").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from agent.schemas.extraction import Entity, NoteExtraction
from agent.schemas.notes import Note
from agent.schemas.summary import Citation
from agent.schemas.workspace import LabsTable, LabTest, LabValue

# A value within this fraction of the first one reads as steady.
STEADY_FRACTION = 0.05
_NUMBER = re.compile(r"[<>]?\s?\d[\d,]*(?:\.\d+)?")
_TREND_SEP = re.compile(r"^\s?(?:->|→|to)\s?$")
_RANGE_SEP = re.compile(r"^\s?-\s?$")
_UNIT = re.compile(r"^\s?([%a-zA-Z/^0-9µ]+(?:/[a-zA-Z0-9]+)?)")
_MEASURED = ("present",)
# Sections that list results as measured. Elsewhere (assessment, hospital course, HPI) a
# value is often a restatement of an earlier note's result or a threshold ("transfuse for
# Hgb < 8"): there a comparator value is dropped, and so is a value an earlier note gave.
RESULT_SECTIONS = frozenset({"LABS", "OBJECTIVE", "PHYSICAL_EXAM", "FINDINGS", "IMAGING"})


@dataclass(frozen=True)
class ReadValue:
    """One numeric value of a test mention, with the span from the test name to it."""

    test: str
    value: float
    text: str
    unit: str | None
    note: Note
    start: int
    end: int
    is_listed: bool = True


def test_values(note: Note, extraction: NoteExtraction) -> list[ReadValue]:
    """The stated numeric values of one note's TEST mentions, in text order (one per test
    and value in the note: a value restated in the plan is the same result)."""
    out: list[ReadValue] = []
    seen: set[tuple[str, str]] = set()
    for ent in extraction.entities:
        if ent.type != "TEST" or ent.assertion not in _MEASURED:
            continue
        attr = ent.attributes.get("value") if ent.attributes else None
        if attr is None or _is_date(note.text, attr.end, attr.text):
            continue
        name = _test_name(ent)
        is_listed = ent.section in RESULT_SECTIONS
        if not is_listed and attr.text.lstrip()[:1] in "<>":
            continue
        for value in _numbers(attr.text):
            number, text, unit, offset = value
            key = (name.casefold(), text)
            if key in seen:
                continue
            seen.add(key)
            out.append(ReadValue(name, number, text, unit, note, ent.start,
                                 attr.start + offset, is_listed))
    return out


def labs_table(patient_id: str, notes: Sequence[Note],
               extractions: Sequence[NoteExtraction]) -> LabsTable:
    """The labs table of one patient.

    Args:
        patient_id: the patient.
        notes: the notes in :func:`agent.schemas.notes.sort_notes` order.
        extractions: their extractions, same order.
    """
    rows: dict[str, list[ReadValue]] = {}
    for note, ext in zip(notes, extractions, strict=True):
        for value in test_values(note, ext):
            row = rows.setdefault(value.test.casefold(), [])
            if not value.is_listed and any(v.text == value.text and v.note is not note
                                           for v in row):
                continue  # an earlier note's result told again
            row.append(value)
    tests = []
    for values in rows.values():
        units = [v.unit for v in values if v.unit]
        tests.append(LabTest(
            name=values[0].test,
            unit=max(set(units), key=units.count) if units else None,
            trend=trend([v.value for v in values]),
            values=[LabValue(value=v.value, text=v.text, date=v.note.date,
                             note_id=v.note.note_id,
                             citation=Citation(note_id=v.note.note_id, start=v.start,
                                               end=v.end))
                    for v in values]))
    tests.sort(key=lambda t: t.name.casefold())
    return LabsTable(patient_id=patient_id, tests=tests)


def trend(values: Sequence[float]) -> str | None:
    """"up", "down" or "steady" from the first to the last value; None for one value."""
    if len(values) < 2:
        return None
    first, last = values[0], values[-1]
    if abs(last - first) <= STEADY_FRACTION * max(abs(first), abs(last)):
        return "steady"
    return "up" if last > first else "down"


def _test_name(ent: Entity) -> str:
    canonical = ent.normalized.get("canonical") if ent.normalized else None
    return canonical if isinstance(canonical, str) and canonical else ent.text


def _is_date(text: str, end: int, value: str) -> bool:
    # "TTE 08/2025", "radiograph 09/02/2025": the reader stopped at the slash of a date.
    return bool(re.match(r"/\d", text[end:end + 2])) or bool(re.search(r"\d/\d", value))


def _numbers(value: str) -> list[tuple[float, str, str | None, int]]:
    """``(number, text, unit, end offset in value)`` of each value in a value text: one,
    or several for a trend ("0.45 -> 0.62"); none for a range ("25-30%")."""
    found = list(_NUMBER.finditer(value))
    if not found:
        return []
    chain = [found[0]]
    for b in found[1:]:
        between = value[chain[-1].end():b.start()]
        if _RANGE_SEP.match(between):
            return []
        if not _TREND_SEP.match(between):
            break  # the rest is the unit ("8.2 x10^9/L")
        chain.append(b)
    unit_m = _UNIT.match(value[chain[-1].end():])
    unit = unit_m.group(1) if unit_m else None
    out = []
    for i, m in enumerate(chain):
        number = float(m.group().lstrip("<> ").replace(",", ""))
        end = m.end() + (unit_m.end() if unit_m and i == len(chain) - 1 else 0)
        out.append((number, value[m.start():end].strip(), unit, end))
    return out
