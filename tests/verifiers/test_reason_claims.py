"""Reason claims ("X held because of Y", "X for Y") against the notes' relations."""

from __future__ import annotations

import pytest

from agent.schemas.extraction import Entity, NoteExtraction, Provenance, Relation, Span
from verifiers.reasons import reason_facts


# fmt: off
@pytest.mark.parametrize("pid, statement, flagged", [
    ("P001", "Metformin held because of hypoglycemia.", True),
    ("P001", "Metformin held for AKI.", False),
    ("P005", "Tamsulosin held because of urinary retention.", True),
    ("P005", "Tamsulosin held while hypotensive.", False),
    ("P007", "Empagliflozin held because of cellulitis.", True),
    ("P007", "Vancomycin for cellulitis.", False),
    ("P002", "Steroids for hyperglycemia.", True),
    ("P002", "Insulin lispro for steroid-induced hyperglycemia.", False),
    ("P005", "Tamsulosin for hypotension.", True),
])
# fmt: on
def test_when_statement_gives_a_reason_then_checked_against_relations(
        demo_record, pid, statement, flagged):
    verdict = demo_record(pid).check(statement, [])
    assert ("wrong_reason" in verdict.reasons) is flagged, verdict.detail
    if flagged:
        assert verdict.verdict == "CONTRADICTED"
        assert any(e.relation == "contradicts" for e in verdict.evidence)


# fmt: off
@pytest.mark.parametrize("pid, statement", [
    ("P006", "Atorvastatin for hyperlipidemia."),       # the notes give no reason
    ("P007", "Vancomycin for pneumonia."),               # another indication: not refuted
    ("P001", "Metformin held for AKI and hypoglycemia."),  # one of the reasons is right
])
# fmt: on
def test_when_notes_cannot_refute_the_reason_then_no_wrong_reason(demo_record, pid,
                                                                   statement):
    verdict = demo_record(pid).check(statement, [])
    assert "wrong_reason" not in verdict.reasons, verdict.detail


def test_negated_relations_are_not_reasons():
    def ent(start, end, text, kind):
        return Entity(start=start, end=end, text=text, type=kind)

    ext = NoteExtraction(
        note_id="n", entities=[ent(0, 4, "rash", "PROBLEM"), ent(8, 18, "penicillin",
                                                                 "MEDICATION")],
        provenance=Provenance(producer="test", package_version="0"),
        relations=[Relation(id="r1", type="CAUSES", head="8-18:MEDICATION",
                            tail="0-4:PROBLEM", assertion="negated",
                            evidence=Span(start=0, end=18, text="rash on penicillin"))])
    assert reason_facts([ext]) == []
