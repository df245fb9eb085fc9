"""A result in words of a test the notes only plan or await ("The stress test was
negative" when the notes only recommend one) cannot come from the notes: never SUPPORTED.
Look-alikes: the same result when a note gives it, a pending statement, and a lab value."""

from __future__ import annotations

import pytest

from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.notes import Note


def _record(extractor, *texts: str) -> PatientRecord:
    notes = [Note(patient_id="PR", note_id=f"PR-{i}", note_type="progress_note",
                  date=f"2026-04-0{i + 1}", text=t) for i, t in enumerate(texts)]
    return PatientRecord.prepare(notes, extractor, Rules.load())


@pytest.fixture(scope="module")
def only_planned(extractor):
    return _record(extractor,
                   "Cardiology consult\nRecommend outpatient exercise stress test.\n",
                   "DISCHARGE SUMMARY\nFollow-up: exercise stress test to be arranged by "
                   "the PCP.\nPotassium 4.1.\n")


@pytest.mark.parametrize("claim", ["The exercise stress test was normal.",
                                   "Exercise stress test showed no ischemia."])
def test_a_result_of_a_test_only_planned_is_not_supported(only_planned, claim):
    v = only_planned.check(claim, [])
    assert v.verdict != "SUPPORTED", v.detail


def test_a_result_a_note_gives_is_supported(extractor):
    rec = _record(extractor, "Cardiology consult\nExercise stress test 4/1: normal, no "
                             "ischemia.\n")
    assert rec.check("The exercise stress test was normal.", []).verdict == "SUPPORTED"


def test_a_test_stated_as_still_to_do_is_not_held_to_a_result(only_planned):
    v = only_planned.check("An exercise stress test is to be arranged by the PCP.", [])
    assert "planned_as_done" not in v.reasons, v.detail
