"""Shapes from a blind burns / inpatient dermatology / palliative corpus (multinote_dev18;
the notes here are invented anew): a reconciliation table whose row holds the home and the
discharge dose, a bare drug named with a condition, a compound problem in an "Excluded:"
list, "X replaced Y" with Y an allergen, a start dose written per kilogram, and findings
the notes only deny or give to a relative."""

from __future__ import annotations

import pytest

from agent.handoff.table_regimens import discharge_column_regimens
from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.notes import Note

R8 = [
    Note(patient_id="R8", note_id="R8-1", note_type="history_and_physical", date="2026-03-01",
         text="H&P\nHOME MEDS:\n- losartan 50 mg PO daily\n- metformin 1000 mg PO BID\n"
              "ALLERGIES: sulfa - rash\n"
              "FHx: sister - BRCA1 mutation carrier.\n"
              "HPI: 58F with scald burns; she lives alone. Denies chest pain, mouth sores or "
              "hemoptysis.\n"
              "A/P:\n1. HTN: HOLD losartan.\n2. Pain: gabapentin 300 mg PO TID started 3/1. "
              "Duloxetine an option if gabapentin fails.\n"
              "3. Steroids: start prednisone 1 mg/kg (60 mg) PO daily.\n"),
    Note(patient_id="R8", note_id="R8-2", note_type="discharge_summary", date="2026-03-06",
         text="DISCHARGE SUMMARY\n"
              "Principal diagnosis: DRESS due to lamotrigine.\n"
              "Excluded: SJS/TEN (biopsy 3/2), DRESS myocarditis (echo 3/3 normal).\n"
              "Hospital course: prednisone 60 mg daily started 3/1, reduced to 50 mg on "
              "3/5.\n\n"
              "MEDICATION RECONCILIATION\n"
              "Medication | Prior to admission | At discharge | Comment\n"
              "Losartan | 50 mg PO daily | 25 mg PO daily | held 3/1-3/3, restarted at lower "
              "dose 3/4\n"
              "Metformin | 1000 mg PO BID | 1000 mg PO BID | no change\n"
              "Enoxaparin | - | STOPPED | inpatient only\n\n"
              "DISCHARGE MEDICATIONS\n"
              "- Levetiracetam 500 mg PO BID -- NEW (replaces lamotrigine)\n"
              "- Prednisone 50 mg PO daily -- CHANGED (was 60 mg)\n\n"
              "ALLERGIES: Lamotrigine - DRESS; sulfa - rash\n"),
]


@pytest.fixture(scope="module")
def r8(extractor):
    return PatientRecord.prepare(R8, extractor, Rules.load())


def _track(record, name):
    return next(t for t in [*record.timeline.medications, *record.timeline.problems]
                if t.name.lower() == name)


def test_a_table_row_takes_its_discharge_column_dose(r8):
    row = next(e for e in r8.extractions[1].entities if e.text == "Losartan")
    assert row.attributes["strength"].text == "25 mg"
    assert _track(r8, "losartan").dose == "25 mg"


def test_a_home_dose_given_as_the_resumed_dose_is_not_supported(r8):
    v = r8.check("Losartan was resumed at his home dose of 50 mg daily.", [])
    assert v.verdict == "CONTRADICTED", v.detail
    v = r8.check("Losartan was restarted at 25 mg daily.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_note_without_a_table_is_left_as_extracted(r8, extractor):
    ext = r8.extractions[0]
    assert discharge_column_regimens(R8[0], ext, extractor) is ext


def test_a_bare_drug_with_a_condition_is_planned_not_started(r8):
    assert not any(e.change == "started" for e in _track(r8, "duloxetine").events)
    v = r8.check("Duloxetine was added for her pain.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_a_compound_problem_excluded_does_not_exclude_its_modifier(r8):
    assert _track(r8, "dress").status != "ruled_out"
    v = r8.check("She has DRESS from lamotrigine.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_the_drug_an_active_replaced_names_is_the_one_given_up(r8):
    v = r8.check("Levetiracetam 500 mg twice daily replaced lamotrigine.", [],
                 section="medications")
    assert v.verdict != "CONTRADICTED", v.detail
    v = r8.check("She takes lamotrigine.", [], section="medications")
    assert v.verdict == "CONTRADICTED", v.detail


def test_a_start_dose_per_kilogram_is_not_compared_with_an_absolute_one(r8):
    v = r8.check("Prednisone 60 mg daily was started on 3/1.", [])
    assert v.verdict != "CONTRADICTED", v.detail
    v = r8.check("Prednisone was started at 90 mg daily.", [])
    assert v.verdict != "SUPPORTED", v.detail


@pytest.mark.parametrize("statement", [
    "She had mouth sores.",
    "She carries a BRCA1 mutation.",
])
def test_a_finding_the_notes_deny_or_give_a_relative_is_not_left_uncheckable(r8, statement):
    v = r8.check(statement, [])
    assert v.verdict == "UNSUPPORTED", v.detail
