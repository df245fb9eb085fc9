"""What a terse note denies or ends after naming it: "silver sulfadiazine -> NO", "The
wound VAC came off 2/11", "No active bleeding" (invented notes, shapes from the blind dev
corpora)."""

from __future__ import annotations

import pytest

from agent.handoff.written_denials import trailing_denials
from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.notes import Note
from verifiers.quantities import line_dates

T5 = [
    Note(patient_id="T5", note_id="T5-1", note_type="ed_note", date="2026-08-01",
         text="BURN ADMIT\nCC: burns; bleeding from the mouth after a fall.\n"
              "ED COURSE:\n- Tdap 0.5 mL IM x1\n"
              "- mafenide cream -> NO (using foam dressings per protocol)\n"
              "- Foley: no issues, draining clear\n"
              "EGD 8/1: clean-based gastric ulcer. No active bleeding.\n"
              "A/P: upper GI bleed from a gastric ulcer, on pantoprazole 40 mg IV BID.\n"),
    Note(patient_id="T5", note_id="T5-2", note_type="discharge_summary", date="2026-08-06",
         text="DISCHARGE SUMMARY\nHospital course: a wound VAC was placed over the left "
              "leg graft on 8/2. The wound VAC came off 8/5 with full graft take.\n"
              "Discharge medications: pantoprazole 40 mg PO daily.\n"
              "- Mirtazapine 15 mg ODT qHS\n"
              "Given in hospital only: ondansetron PRN, IV fluids.\n"),
]


@pytest.fixture(scope="module")
def t5(extractor):
    return PatientRecord.prepare(T5, extractor, Rules.load())


def test_a_trailing_no_denies_the_drug_before_it(t5):
    v = t5.check("He was treated with mafenide cream.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_a_no_that_goes_on_denies_nothing(t5, extractor):
    ext = extractor.extract_note(T5[0])
    marked = trailing_denials(T5[0], ext)
    absent = {e.text for e in marked.entities if e.assertion == "absent"} - {
        e.text for e in ext.entities if e.assertion == "absent"}
    assert "mafenide cream" in absent or "mafenide" in absent
    assert not any("Foley" in a for a in absent)


def test_a_device_that_came_off_is_not_still_in_place(t5):
    v = t5.check("He was discharged with the wound VAC.", [])
    assert v.verdict == "CONTRADICTED", v.detail
    v = t5.check("A wound VAC was placed over the left leg graft.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_phrase_the_notes_only_deny_is_not_supported(t5):
    v = t5.check("The EGD showed active bleeding from the gastric ulcer.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_a_line_with_its_own_date_does_not_also_state_its_notes_date():
    assert line_dates("GA via LMA (extubated 2/5)", "2026-02-06") == {(2, 5)}
    assert line_dates("Extubated this morning.", "2026-02-06") == {(2, 6)}


def test_a_device_taken_out_on_another_day_is_not_dated_by_the_note(t5):
    # The VAC came off 8/5 in the 8/6 note: "on 8/6" is not what the notes say.
    v = t5.check("The wound VAC came off on 8/6.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_a_formulation_no_note_gives_is_not_supported(t5):
    v = t5.check("He takes mirtazapine 15 mg tablet at bedtime.", [], section="medications")
    assert v.verdict != "SUPPORTED", v.detail
    v = t5.check("He takes mirtazapine 15 mg ODT at bedtime.", [], section="medications")
    assert "as " not in v.detail, v.detail


def test_a_hospital_only_list_ends_an_infusion(t5):
    v = t5.check("He remains on IV fluids.", [])
    assert v.verdict == "CONTRADICTED", v.detail
