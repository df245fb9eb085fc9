"""The newborn named in an obstetric patient's notes is another person (multinote_dev31
shape, invented anew): its problems stay off the mother's problem list, while in a
pediatric record "the infant" is the patient and its problems stay."""

from __future__ import annotations

import pytest

from agent.handoff.newborn import is_birth_parent
from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.notes import Note

MOTHER = [
    Note(patient_id="OB", note_id="OB-1", note_type="discharge_summary", date="2026-08-03",
         text="POSTPARTUM DISCHARGE SUMMARY\n"
              "HPI: 27 y/o G1P1 after cesarean delivery at 38 weeks.\n"
              "Discharge diagnoses:\n1. Postpartum hemorrhage, treated.\n"
              "2. Anemia.\n"
              "The baby remains in the NICU with neonatal jaundice on phototherapy.\n"),
]
CHILD = [
    Note(patient_id="PED", note_id="PED-1", note_type="discharge_summary",
         date="2026-08-03",
         text="PEDIATRIC DISCHARGE SUMMARY\n"
              "HPI: 2-month-old boy with cough and poor feeding.\n"
              "Discharge diagnoses:\n"
              "The infant remains on high-flow oxygen for bronchiolitis.\n"),
]


@pytest.fixture(scope="module")
def mother(extractor):
    return PatientRecord.prepare(MOTHER, extractor, Rules.load())


@pytest.fixture(scope="module")
def child(extractor):
    return PatientRecord.prepare(CHILD, extractor, Rules.load())


def _problems(record):
    return {t.name.lower() for t in record.timeline.problems}


def test_the_newborns_problem_is_not_the_mothers(mother):
    assert not any("jaundice" in name for name in _problems(mother))


def test_the_mothers_own_problem_stays(mother):
    assert any("hemorrhage" in name for name in _problems(mother))


def test_in_a_pediatric_record_the_infant_is_the_patient(child):
    assert any("bronchiolitis" in name for name in _problems(child))


@pytest.mark.parametrize("text, expected", [
    ("HPI: 34 y/o woman at 36 weeks.", True),
    ("G3P2 at 39w, induction.", True),
    ("HPI: 6-week-old infant with fever.", False),
    ("HPI: 3 y/o boy with rash.", False),
])
def test_an_adult_or_obstetric_record_has_a_birth_parent(text, expected):
    note = Note(patient_id="X", note_id="X-1", note_type="progress_note",
                date="2026-08-01", text=text)
    assert is_birth_parent([note]) is expected
