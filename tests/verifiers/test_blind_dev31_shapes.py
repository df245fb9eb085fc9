"""Shapes from a blind certainty / experiencer / plan corpus (multinote_dev31; the notes
here are invented anew, in other words): a cause the notes name only as possible is not an
established cause (a hedged statement, a link the notes state plainly, or a hedge in the
sentence before are look-alikes that must not fire); a bare "planned" after its noun is a
plan ("done as planned" is a deed); an infection "cleared" is over ("cleared for discharge"
is not); a diagnosis "not established" stays possible; and an exposure contact's illness
(a housemate's) is the contact's, while what a housemate reports about the patient stays
the patient's."""

from __future__ import annotations

import pytest

from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.notes import Note

B31 = [
    Note(patient_id="B31", note_id="B31-1", note_type="history_and_physical",
         date="2026-05-01",
         text="GERIATRICS ADMISSION NOTE\n"
              "HPI: 81 y/o woman with dizziness on standing and two falls.\n"
              "Social: lives with a housemate. Her housemate was recently diagnosed with "
              "pulmonary tuberculosis.\n"
              "Housemate reports she was confused overnight.\n"
              "Labs: K 2.9.\n"
              "Assessment: Orthostatic hypotension possibly explains the dizziness. "
              "Hypokalemia secondary to diarrhea. Hyperglycemia, possibly "
              "prednisone-related.\n"
              "Potassium chloride 40 mEq PO BID.\n"
              "Heme: bone marrow biopsy planned at the hematology visit.\n"),
    Note(patient_id="B31", note_id="B31-2", note_type="progress_note", date="2026-05-03",
         text="Progress note\n"
              "Candidemia, cleared (repeat blood cultures negative since 5/2).\n"
              "Delirium improving, cleared for discharge by PT.\n"
              "Tuberculosis ruled out in the patient (three AFB smears negative).\n"
              "Sarcoidosis not established (node biopsy nondiagnostic).\n"),
]

B31_DONE = [
    Note(patient_id="B31D", note_id="B31D-1", note_type="progress_note", date="2026-05-04",
         text="Progress note\n"
              "Bone marrow biopsy done as planned on 5/3.\n"
              "Rule out sepsis. Hypotension due to hypovolemia.\n"
              "Prednisone-induced hyperglycemia, on insulin.\n"),
]


@pytest.fixture(scope="module")
def b31(extractor):
    return PatientRecord.prepare(B31, extractor, Rules.load())


@pytest.fixture(scope="module")
def b31_done(extractor):
    return PatientRecord.prepare(B31_DONE, extractor, Rules.load())


# A cause the notes leave open.
def test_a_possible_cause_stated_as_the_cause_is_contradicted(b31):
    v = b31.check("The dizziness was caused by orthostatic hypotension.", [])
    assert v.verdict == "CONTRADICTED" and "wrong_certainty" in v.reasons, v.detail


def test_a_possible_cause_stated_as_possible_is_not_contradicted(b31):
    v = b31.check("The dizziness was probably due to orthostatic hypotension.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_cause_the_notes_state_plainly_is_not_contradicted(b31):
    v = b31.check("The hypokalemia was due to diarrhea.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_hedge_in_the_sentence_before_does_not_hedge_the_link(b31_done):
    v = b31_done.check("The hypotension was due to hypovolemia.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_possible_cause_written_as_a_compound_is_contradicted(b31):
    v = b31.check("Her hyperglycemia was prednisone-induced.", [])
    assert v.verdict == "CONTRADICTED" and "wrong_certainty" in v.reasons, v.detail


def test_a_compound_cause_the_notes_state_plainly_is_not_contradicted(b31_done):
    v = b31_done.check("She has prednisone-induced hyperglycemia.", [])
    assert v.verdict != "CONTRADICTED", v.detail


# A bare "planned" after its noun.
def test_a_procedure_planned_after_discharge_stated_as_done_is_flagged(b31):
    v = b31.check("A bone marrow biopsy was performed during the stay.", [])
    assert v.verdict == "CONTRADICTED" and "planned_as_done" in v.reasons, v.detail


def test_a_procedure_done_as_planned_is_not_a_plan(b31_done):
    v = b31_done.check("A bone marrow biopsy was performed.", [])
    assert v.verdict != "CONTRADICTED", v.detail


# An infection cleared is over.
def test_a_cleared_infection_stated_as_ongoing_is_contradicted(b31):
    v = b31.check("She still has candidemia.", [])
    assert v.verdict == "CONTRADICTED" and "wrong_temporality" in v.reasons, v.detail


def test_cleared_for_discharge_does_not_end_the_problem(b31):
    delirium = [m for m in b31.evidence.mentions
                if m.note_id == "B31-2" and m.entity.text.lower() == "delirium"]
    assert delirium and all(m.temporal != "past" for m in delirium)


# A diagnosis the notes leave "not established".
def test_a_diagnosis_not_established_stated_as_diagnosed_is_contradicted(b31):
    v = b31.check("She was diagnosed with sarcoidosis.", [])
    assert v.verdict == "CONTRADICTED" and "wrong_certainty" in v.reasons, v.detail


def test_a_diagnosis_not_established_told_so_is_not_contradicted(b31):
    v = b31.check("Sarcoidosis was considered but not established.", [])
    assert v.verdict != "CONTRADICTED", v.detail


# An exposure contact's illness.
def test_a_housemates_illness_told_as_hers_is_not_contradicted(b31):
    v = b31.check("Her housemate has tuberculosis; tuberculosis was ruled out in the "
                  "patient.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_housemates_illness_given_to_the_patient_is_flagged(b31):
    v = b31.check("She has pulmonary tuberculosis.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_what_a_housemate_reports_of_the_patient_stays_the_patients(b31):
    confused = [m for m in b31.evidence.mentions
                if m.note_id == "B31-1" and "confus" in m.entity.text.lower()]
    assert confused and all(m.entity.assertion != "family" for m in confused)
