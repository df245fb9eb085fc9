"""Why a drug changed: the timeline's event reason and the handoff's wording (demo corpus)."""

from __future__ import annotations

import pytest

from agent.handoff.extractive import extractive_statements
from agent.relations.reasons import change_reason
from agent.schemas.extraction import entity_id
from agent.schemas.notes import Note

# Every stop, hold or dose change of the demo corpus whose note states a reason the
# relation rules link to the drug: (patient, drug track, change, reason as the timeline
# gives it). Starts with an indication are listed too (timeline only).
# fmt: off
DEMO_REASONS = [
    ("P001", "metformin", "held", "AKI"),
    ("P003", "norethindrone", "held", "VTE risk"),
    ("P004", "aspirin", "stopped", "ulcer"),
    ("P005", "tamsulosin", "held", "hypotensive"),
    ("P007", "adalimumab", "held", "active infection"),
    ("P007", "empagliflozin", "held", "euglycemic DKA risk"),
    ("P002", "insulin lispro", "started", "hyperglycemia"),
    ("P007", "vancomycin", "started", "Cellulitis"),
]
# fmt: on


@pytest.mark.parametrize("pid, drug, change, reason", DEMO_REASONS)
def test_when_demo_note_states_reason_then_timeline_event_has_it(demo_record, pid, drug,
                                                                 change, reason):
    record = demo_record(pid)
    [track] = [m for m in record.timeline.medications if m.name.startswith(drug)]
    events = [e for e in track.events if e.change == change and e.reason]
    assert [e.reason for e in events] == [reason]
    cited = events[0].reason_citation
    text = {n.note_id: n.text for n in record.notes}[cited.note_id]
    assert " ".join(text[cited.start:cited.end].split()) == reason


@pytest.mark.parametrize("pid, drug, change, reason",
                         [r for r in DEMO_REASONS if r[2] in ("stopped", "held")])
def test_when_stop_or_hold_has_reason_then_handoff_says_it_and_verifies(
        demo_record, pid, drug, change, reason):
    record = demo_record(pid)
    statements = extractive_statements(record.notes, record.timeline, record.layouts,
                                       rules=record.rules)
    said = [s for s in statements if s.section == "medications"
            and s.text.lower().startswith(drug) and f"; due to {reason}" in s.text]
    assert said, [s.text for s in statements if s.section == "medications"]
    verdict = record.check(said[0].text, said[0].citations, section="medications")
    assert verdict.verdict == "SUPPORTED", verdict.detail


def test_when_relation_negated_then_no_reason(extractor):
    note = Note(note_id="n", patient_id="p", text="Lisinopril was stopped; no angioedema.")
    ext = extractor.extract_note(note)
    drug = next(e for e in ext.entities if e.type == "MEDICATION")
    assert change_reason(ext, drug, "stopped") is None


def test_when_reason_speculated_then_marked_possible(extractor):
    note = Note(note_id="n", patient_id="p",
                text="Vancomycin was stopped, possibly due to hives.")
    ext = extractor.extract_note(note)
    drug = next(e for e in ext.entities if e.type == "MEDICATION")
    reason = change_reason(ext, drug, "stopped")
    assert reason is not None and reason.relation_type == "CAUSES"
    assert reason.text == "hives (possible)"
    assert [r.head for r in ext.relations] == [entity_id(drug)]
