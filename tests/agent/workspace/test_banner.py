"""The patient banner: metadata over header labels over shapes, derived age, conflicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.config import WorkspaceSettings
from agent.schemas.notes import Note, sort_notes
from agent.workspace.banner import names_match, patient_banner
from agent.workspace.header_fields import HeaderReader

WS = WorkspaceSettings()
LABELS = WS.banner_labels.model_dump()
KEYS = WS.banner_metadata_keys.model_dump()
DEV = Path("evals/data/dev/multinote_dev12/notes.jsonl")


def _banner(notes, layouts=None, labels=LABELS):
    return patient_banner(sort_notes(notes), layouts, labels=labels, metadata_keys=KEYS)


def _note(text, note_id="N1", date="2026-03-14", **extra):
    return Note(patient_id="X1", note_id=note_id, date=date, text=text, extra=extra)


def _cited(banner, field, notes):
    value = getattr(banner.fields, field)
    c = value.citation
    return {n.note_id: n.text for n in notes}[c.note_id][c.start:c.end]


# fmt: off
@pytest.mark.parametrize("line, expected", [
    ("Patient: Doe, Jane Q.     MRN: 0012345     DOB: 02/03/1950",
     [("name", "Doe, Jane Q."), ("mrn", "0012345"), ("dob", "1950-02-03")]),
    ("Name: ROE, RICHARD | MRN XY-99812 | DOB 1960-12-01 | Sex: M",
     [("name", "ROE, RICHARD"), ("mrn", "XY-99812"), ("dob", "1960-12-01"), ("sex", "M")]),
    ("Pt: A. Roe  mrn ab-4471  age: 70  Unit: 4 West",
     [("name", "A. Roe"), ("mrn", "ab-4471"), ("age", "70"), ("location", "4 West")]),
    ("Patient Alma Roe, DOB 19 May 1991, MRN Q-5521.",
     [("dob", "1991-05-19"), ("mrn", "Q-5521")]),
    ("ED attending: Dr. Lena Voss   Contact name: Sam Roe",
     [("attending", "Dr. Lena Voss")]),
    ("Location: Cardiac Care Unit 4   Attending physician: Omar Quist, MD",
     [("location", "Cardiac Care Unit 4"), ("attending", "Omar Quist, MD")]),
])
# fmt: on
def test_header_labels_are_read_with_their_values(line, expected):
    values = HeaderReader(LABELS).read_line(line, 0, len(line))
    assert [(v.field, v.value) for v in values] == expected
    for v in values:
        assert line[v.start:v.end].strip()


def test_when_label_configured_then_it_is_read():
    labels = {**LABELS, "mrn": ["Chart no"]}
    line = "Chart no: 77-1203   Patient: Roe, Alma"
    assert [(v.field, v.value) for v in HeaderReader(labels).read_line(line, 0, len(line))] \
        == [("mrn", "77-1203"), ("name", "Roe, Alma")]


# fmt: off
@pytest.mark.parametrize("a, b, same", [
    ("Pursell, Walter T.", "Walter T. Pursell", True),
    ("W. Pursell", "PURSELL, WALTER", True),
    ("Walter Pursell", "Wanda Pursell", False),
    ("Walter Pursell", "Walter Purcell", False),
    ("W. P.", "Walter Pursell", False),
])
# fmt: on
def test_names_match_when_they_can_be_one_person(a, b, same):
    assert names_match(a, b) is same


def test_metadata_wins_over_header_and_has_no_citation():
    notes = [_note("Patient: Roe, Alma   MRN: 555123\nHPI: 70 yo F with CHF.",
                   mrn="555123", patient_name="Alma Roe")]
    banner = _banner(notes)
    assert banner.fields.mrn.source == "metadata" and banner.fields.mrn.citation is None
    assert banner.fields.name.value == "Alma Roe"
    assert banner.conflicts == []


def test_age_and_sex_from_opening_shape_cite_their_span():
    notes = [_note("Progress note\nS: 62 y/o F with COPD, her 40-year-old son at bedside.")]
    banner = _banner(notes)
    assert (banner.fields.age.value, banner.fields.sex.value) == ("62", "F")
    assert _cited(banner, "age", notes) == "62 y/o F"


def test_when_dob_known_then_age_derived_at_latest_note_date():
    notes = [_note("Patient: Roe, Alma   DOB: 03/20/1950\nHPI: 75 yo F.", date="2026-03-14"),
             _note("Progress\nS: well.", note_id="N2", date="2026-03-21")]
    banner = _banner(notes)
    assert banner.fields.dob.value == "1950-03-20"
    assert (banner.fields.age.value, banner.fields.age.source) == ("76", "derived")


def test_when_notes_give_two_mrns_or_names_then_conflicts_listed():
    notes = [_note("Patient: Roe, Alma   MRN: 00482913"),
             _note("Patient: Alma Roe   MRN: 00482931", note_id="N2", date="2026-03-15"),
             _note("Patient: Bea Lund   MRN: 0482913", note_id="N3", date="2026-03-16")]
    banner = _banner(notes)
    conflicts = {c.field: c.values for c in banner.conflicts}
    # Leading zeros are part of an MRN: three different identifiers.
    assert conflicts["mrn"] == ["00482913", "00482931", "0482913"]
    assert sorted(conflicts["name"]) == ["Alma Roe", "Bea Lund"] or \
        sorted(conflicts["name"]) == ["Bea Lund", "Roe, Alma"]
    assert all(c is not None for c in banner.conflicts[0].citations)


def test_mrn_case_and_spacing_are_not_conflicts():
    notes = [_note("MRN: ab-4471"), _note("MRN: AB-4471", note_id="N2", date="2026-03-15")]
    assert _banner(notes).conflicts == []


def test_demo_p001_banner(demo_record):
    record = demo_record("P001")
    banner = _banner(record.notes, record.layouts)
    f = banner.fields
    assert f.mrn.value == "00482913" and f.dob.value == "1951-07-22"
    assert f.name.value in {"Pursglove, Wendell T.", "Wendell T. Pursglove"}
    assert (f.age.value, f.age.source) == ("74", "derived")
    assert f.sex.value == "M"
    assert f.attending.value == "Anselm Grevitt, MD"  # the latest note's
    assert banner.conflicts == []  # four spellings of one name are one person
    assert _cited(banner, "mrn", record.notes) == "00482913"


def test_demo_p004_banner_reads_other_header_styles(demo_record):
    record = demo_record("P004")
    f = _banner(record.notes, record.layouts).fields
    assert (f.mrn.value, f.dob.value, f.sex.value) == ("CUH-00715836", "1934-02-11", "F")
    assert f.age.value == "92"


def test_dev_corpus_banner_without_layouts():
    notes = [Note(**json.loads(line)) for line in DEV.read_text().splitlines() if line]
    by_patient: dict[str, list[Note]] = {}
    for n in notes:
        by_patient.setdefault(n.patient_id, []).append(n)
    banners = {pid: _banner(mine) for pid, mine in by_patient.items()}
    assert all(b.fields.mrn is not None for b in banners.values())
    v1 = banners["V1"].fields
    assert (v1.mrn.value, v1.dob.value, v1.sex.value) == ("40028817", "1954-09-22", "M")
    assert banners["V1"].conflicts == []
