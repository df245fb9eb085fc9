"""A problem of the stay settled by its treatment or a measure back to usual ("treated",
"reversed", "back to dry weight") is resolved; the same words said of a problem the patient
had before admission, or a treatment still going on, leave it active."""

from __future__ import annotations

import pytest

from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.notes import Note

NOTES = [
    Note(patient_id="S", note_id="S-1", note_type="history_and_physical", date="2026-03-01",
         text="PAST MEDICAL HISTORY: hypertension, gout.\n\n"
              "ASSESSMENT AND PLAN:\n1. Cellulitis of the right leg: cefazolin.\n"
              "2. Hypertension: hold lisinopril while hypotensive.\n"
              "3. Acute pulmonary edema: furosemide IV.\n"),
    Note(patient_id="S", note_id="S-2", note_type="discharge_summary", date="2026-03-05",
         text="DISCHARGE DIAGNOSES:\n1. Cellulitis of the right leg, treated\n"
              "2. Acute pulmonary edema - diuresed back to dry weight\n"
              "3. Hypertension: blood pressure back to baseline -- restart lisinopril\n"
              "4. Atrial fibrillation, treated with diltiazem\n"
              "5. Community-acquired pneumonia, being treated\n"),
]


@pytest.fixture(scope="module")
def record(extractor):
    return PatientRecord.prepare(NOTES, extractor, Rules.load())


def _track(record, word: str):
    return next(t for t in record.timeline.problems if word in t.name.lower())


def test_a_treatment_over_or_a_measure_back_to_usual_resolves_it(record):
    for word in ("cellulitis", "pulmonary edema"):
        track = _track(record, word)
        assert track.status == "resolved", (word, track)
        assert track.events[-1].note_id == "S-2"  # the resolution cites the discharge list


def test_back_to_baseline_of_a_problem_from_before_admission_is_not_a_resolution(record):
    assert _track(record, "hypertension").status == "active"


def test_a_treatment_still_going_on_is_not_over(record):
    assert _track(record, "atrial fibrillation").status == "active"
    assert _track(record, "pneumonia").status == "active"


def test_the_handoff_and_verifier_read_the_resolution(record):
    v = record.check("Cellulitis is still active.", [])
    assert v.verdict == "CONTRADICTED", v.detail


def test_an_adjective_reversed_is_no_reversal():
    text = "diastolic dysfunction with reversed E/A ratio"
    assert Rules.load().cues.find("problem_settled", text, 0, len(text)) == []
