"""A lab-defined problem is resolved when its test is said in words to be normal again
("potassium back to normal"); "normalizing" is not there yet. An open word said of a later
problem of the clause ("suspected refeeding syndrome") leaves the earlier one established."""

from __future__ import annotations

import pytest

from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.notes import Note

NOTES = [
    Note(patient_id="W", note_id="W-1", note_type="progress_note", date="2026-02-01",
         text="ASSESSMENT AND PLAN:\n"
              "1. Hypokalemia with muscle cramps -- suspected refeeding syndrome\n"
              "2. Hyponatremia: fluid restriction 1.5 L.\n"),
    Note(patient_id="W", note_id="W-2", note_type="discharge_summary", date="2026-02-04",
         text="DISCHARGE DIAGNOSES:\n1. Hypokalemia\n2. Hyponatremia\n\n"
              "HOSPITAL COURSE: Potassium back to normal after oral repletion. Sodium "
              "normalizing slowly with fluid restriction.\n"),
]


@pytest.fixture(scope="module")
def record(extractor):
    return PatientRecord.prepare(NOTES, extractor, Rules.load())


def _track(record, word: str):
    return next(t for t in record.timeline.problems if t.name.lower() == word)


def test_a_test_said_normal_again_resolves_its_problem(record):
    track = _track(record, "hypokalemia")
    assert track.status == "resolved"
    assert "back to normal" in track.events[-1].detail and track.events[-1].note_id == "W-2"


def test_a_test_on_its_way_to_normal_does_not(record):
    assert _track(record, "hyponatremia").status == "active"


def test_an_open_word_of_a_later_problem_is_not_the_earlier_ones(record):
    first = _track(record, "hypokalemia").events[0]
    assert first.note_id == "W-1" and first.change == "active"
