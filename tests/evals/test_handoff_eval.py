"""The handoff scorer: fact recall with status/dose/change, traps stated as true."""

from __future__ import annotations

from agent.schemas.extraction import Provenance
from agent.schemas.handoff_gold import GoldFact, GoldHandoff, GoldTrap
from agent.schemas.summary import Citation, HandoffSummary, Statement
from evals.handoff import load_gold, score_summary

CITE = [Citation(note_id="n1", start=0, end=1)]


def _summary(*items: tuple[str, str]) -> HandoffSummary:
    return HandoffSummary(
        patient_id="X", generated_at="2026-01-01T00:00:00+00:00", mode="external",
        note_ids=["n1"], provenance=Provenance(producer="t", package_version="0"),
        statements=[Statement(id=f"s{i}", section=sec, text=text, citations=CITE)
                    for i, (sec, text) in enumerate(items, 1)])


GOLD = GoldHandoff(patient_id="X", facts=[
    GoldFact(id="f1", kind="medication", name="lisinopril", status="active", dose="10 mg",
             change="held", note_id="n1"),
    GoldFact(id="f2", kind="problem", name="pulmonary embolism", aliases=["PE"],
             status="ruled_out", note_id="n1"),
], traps=[
    GoldTrap(id="t1", kind="medication_current", name="aspirin", note_id="n1", why="stopped"),
    GoldTrap(id="t2", kind="family_as_patient", name="breast cancer", note_id="n1",
             why="sister"),
])


def test_fact_needs_name_status_dose_and_change_in_one_statement():
    partial = _summary(("medications", "Lisinopril 20 mg: current"))
    assert score_summary(partial, GOLD)["missed"] == ["f1", "f2"]
    full = _summary(("medications", "Lisinopril 10 mg PO daily: current - held 3/14"),
                    ("active_problems", "PE: ruled out"))
    assert score_summary(full, GOLD)["recall"] == 1.0


def test_trap_is_stated_only_without_negating_words():
    safe = _summary(("medications", "Aspirin 81 mg: STOPPED"),
                    ("active_problems", "Family history: sister with breast cancer"))
    assert score_summary(safe, GOLD)["traps_stated"] == {}
    bad = _summary(("medications", "Aspirin 81 mg: current"),
                   ("active_problems", "Breast cancer"))
    assert score_summary(bad, GOLD)["traps_stated"] == {"t1": "s1", "t2": "s2"}


def test_demo_gold_has_all_seven_patients_with_facts_and_traps():
    gold = load_gold()
    assert [g.patient_id for g in gold] == [f"P00{i}" for i in range(1, 8)]
    assert all(len(g.facts) >= 10 and len(g.traps) >= 4 for g in gold)
