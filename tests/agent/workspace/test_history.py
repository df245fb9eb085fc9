"""What changed between two handoffs: unchanged, changed (shared citation or subject),
added and removed, per section."""

from __future__ import annotations

from agent.schemas.extraction import Provenance
from agent.schemas.summary import Citation, HandoffSummary, Statement
from agent.workspace.history import subject_key, summary_changes


def _s(i: int, section: str, text: str, cite: tuple[str, int, int]) -> Statement:
    return Statement(id=f"s{i}", section=section, text=text,
                     citations=[Citation(note_id=cite[0], start=cite[1], end=cite[2])])


def _summary(statements: list[Statement]) -> HandoffSummary:
    return HandoffSummary(patient_id="P001", generated_at="2026-03-18T10:00:00+00:00",
                          mode="extractive", note_ids=["P001-06"], statements=statements,
                          provenance=Provenance(producer="t", package_version="0"))


def test_changed_added_removed_and_unchanged_per_section():
    before = _summary([
        _s(1, "medications", "furosemide 40 mg IV BID: current", ("P001-02", 10, 30)),
        _s(2, "medications", "aspirin 81 mg: current", ("P001-02", 40, 50)),
        _s(3, "situation_awareness", "Code status: Full", ("P001-02", 60, 70)),
        _s(4, "action_list", "Repeat BMP tomorrow", ("P001-05", 5, 25)),
    ])
    after = _summary([
        _s(1, "medications", "Furosemide 40 mg PO daily: current", ("P001-06", 100, 130)),
        _s(2, "medications", "aspirin  81 MG: current", ("P001-02", 40, 50)),
        _s(3, "situation_awareness", "Code status: DNR", ("P001-06", 200, 210)),
        _s(4, "action_list", "resume metformin 3/20 if labs OK", ("P001-06", 300, 330)),
    ])
    out = summary_changes(2, after, 1, before)
    by = {s.section: s for s in out.sections}
    assert out.unchanged_count == 1  # aspirin: case and spacing only
    assert [c.after.text for c in by["medications"].changed] == [
        "Furosemide 40 mg PO daily: current"]
    assert [c.before.text for c in by["situation_awareness"].changed] == ["Code status: Full"]
    assert [s.text for s in by["action_list"].added] == ["resume metformin 3/20 if labs OK"]
    assert [s.text for s in by["action_list"].removed] == ["Repeat BMP tomorrow"]
    assert [s.section for s in out.sections] == ["medications", "action_list",
                                                 "situation_awareness"]


def test_numbers_are_kept_so_a_new_dose_is_a_change():
    before = _summary([_s(1, "medications", "lisinopril 20 mg daily", ("a", 0, 5))])
    after = _summary([_s(1, "medications", "lisinopril 10 mg daily", ("b", 0, 5))])
    out = summary_changes(2, after, 1, before)
    assert out.unchanged_count == 0 and len(out.sections[0].changed) == 1


def test_subject_key_reads_the_first_clinical_words():
    assert subject_key("Furosemide 40 mg PO daily") == ("furosemide",)
    assert subject_key("Code status: Full") == ("code", "status")
    assert subject_key("If Cr > 2.2 hold") == ()
