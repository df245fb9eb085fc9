"""A problem a lab value defines is resolved once a later value is normal again."""

from __future__ import annotations

import pytest

from agent.handoff.lab_resolution import lab_problem_rules
from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.notes import Note

NOTES = [
    Note(patient_id="L", note_id="L-1", note_type="progress_note", date="2026-01-01",
         text="A/P:\n1. Hypokalemia - K 2.9, repleting.\n2. Hypomagnesemia (Mg 1.2), IV Mg "
              "given.\n3. Thrombocytopenia, plt 72.\n"),
    Note(patient_id="L", note_id="L-2", note_type="progress_note", date="2026-01-02",
         text="Labs: K 4.1, Mg 1.5, plt 160.\nA/P: continue monitoring.\n"),
]


@pytest.fixture(scope="module")
def record(extractor):
    return PatientRecord.prepare(NOTES, extractor, Rules.load())


def _status(record, name: str) -> str:
    return next(t.status for t in record.timeline.problems if t.name.lower() == name)


def test_a_later_normal_value_resolves_the_problem(record):
    assert _status(record, "hypokalemia") == "resolved"
    assert _status(record, "thrombocytopenia") == "resolved"
    track = next(t for t in record.timeline.problems if t.name.lower() == "hypokalemia")
    assert track.events[-1].note_id == "L-2" and "4.1" in track.events[-1].detail


def test_a_later_value_still_abnormal_keeps_it_active(record):
    assert _status(record, "hypomagnesemia") == "active"


def test_the_verifier_reads_the_resolution(record):
    v = record.check("Hypokalemia is still active.", [])
    assert v.verdict == "CONTRADICTED", v.detail


def test_the_rules_are_data_with_limits():
    rules = lab_problem_rules()
    potassium = next(r for r in rules if r.problem.search("hypokalemia"))
    assert potassium.is_normal(4.1) and not potassium.is_normal(3.1)
    anc = next(r for r in rules if r.problem.search("neutropenia"))
    assert anc.is_normal(1800) and not anc.is_normal(0.4)  # per microliter or per thousand
