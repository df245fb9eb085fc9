"""Medication reconciliation of demo patients, read from their prepared records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.notes import Note
from agent.workspace.medrec import medication_reconciliation


def _notes(path: str, patient_id: str) -> list[Note]:
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return [Note(**{k: r[k] for k in ("patient_id", "note_id", "note_type", "date", "text")})
            for r in rows if r["patient_id"] == patient_id]


@pytest.fixture(scope="module")
def medrec(extractor):
    def build(patient_id: str, path: str = "evals/data/synthetic/notes.jsonl"):
        record = PatientRecord.prepare(_notes(path, patient_id), extractor, Rules.load())
        return medication_reconciliation(record)
    return build


def test_p001_rows_change_and_reason(medrec):
    out = medrec("P001")
    rows = {r.drug: r for r in out.rows}
    assert rows["metoprolol"].change == "changed"
    assert rows["lisinopril"].change == "changed"
    assert rows["metformin"].change == "held" and rows["metformin"].reason.text == "AKI"
    assert rows["heparin"].change == "stopped" and rows["heparin"].change_text == "inpatient only"
    assert rows["prednisone"].change == "new"
    # Only avoided or never given: not a medication row.
    assert not {"diltiazem", "verapamil", "colchicine"} & set(rows)


def test_p004_held_and_stopped_drugs(medrec):
    rows = {r.drug: r for r in medrec("P004").rows}
    assert rows["warfarin"].change == "held"
    assert rows["aspirin"].change == "stopped"
    assert rows["naproxen"].reason is None or "naproxen" not in rows["naproxen"].reason.text


def test_progress_note_meds_are_not_a_home_list(medrec):
    out = medrec("H1", "evals/data/dev/multinote_dev5/notes.jsonl")
    assert not out.has_home_list
    assert all(r.home is None for r in out.rows)


def test_allergens_are_never_rows(medrec):
    out = medrec("V2", "evals/data/dev/multinote_dev12/notes.jsonl")
    rows = {r.drug for r in out.rows}
    assert "penicillin" not in rows and "amoxicillin" not in rows


def test_a_hold_without_a_stated_reason_takes_its_plan_items_problem(medrec):
    """"2. AKI on CKD - ... Continue holding lisinopril": the problem the order is filed
    under is the reason the page shows, cited at the item's head; a stop is not given its
    item's problem (that is the drug's indication, not why it stopped)."""
    rows = {r.drug: r for r in medrec("P005").rows}
    held = rows["lisinopril"]
    assert held.change == "held" and held.reason is not None
    notes = {n.note_id: n for n in _notes("evals/data/synthetic/notes.jsonl", "P005")}
    c = held.reason.citation
    assert notes[c.note_id].text[c.start:c.end] == held.reason.text == "AKI"
    stopped = rows["ceftriaxone"]
    assert stopped.change == "stopped" and stopped.reason is None
