"""Faithfulness metrics and the planted-contradiction corpus of the verifier."""

from __future__ import annotations

import pytest

from agent.rules import Rules
from evals.faithfulness import (
    binary_scores,
    extractive_baseline,
    planted_scores,
    sentence_spans,
    verify_against_rest,
)
from evals.verifier_cases import load_cases

KINDS = ("negation_flip", "wrong_dose", "wrong_route", "wrong_frequency",
         "stopped_drug_as_current", "ruled_out_as_active", "wrong_experiencer",
         "wrong_temporality", "wrong_value", "invented")


def test_binary_scores_count_each_cell():
    got = binary_scores([(True, True), (True, False), (False, True), (False, False),
                         (False, False)])
    assert (got["tp"], got["fn"], got["fp"], got["tn"]) == (1, 1, 1, 2)
    assert got["accuracy"] == 0.6 and got["precision"] == 0.5 and got["recall"] == 0.5
    assert binary_scores([(False, False)])["precision"] is None


def test_planted_scores_separate_errors_from_correct():
    rows = [
        {"kind": "correct", "is_error": False, "expected_reason": None,
         "verdict": "SUPPORTED", "reasons": []},
        {"kind": "correct", "is_error": False, "expected_reason": None,
         "verdict": "UNSUPPORTED", "reasons": []},
        {"kind": "wrong_dose", "is_error": True, "expected_reason": "wrong_dose",
         "verdict": "CONTRADICTED", "reasons": ["wrong_dose"]},
        {"kind": "invented", "is_error": True, "expected_reason": None,
         "verdict": "NOT_CHECKABLE", "reasons": []},
    ]
    got = planted_scores(rows)
    assert got["detection_rate"] == 0.5 and got["false_flag_rate"] == 0.5
    assert got["reason_accuracy"] == 1.0
    assert got["per_kind"]["invented"]["flag_rate"] == 0.0


def test_corpus_has_enough_cases_per_patient_and_valid_citations(demo_extractions):
    notes, _ = demo_extractions
    by_id = {n.note_id: n for n in notes}
    cases = load_cases()
    for pid in sorted({n.patient_id for n in notes}):
        mine = [c for c in cases if c["patient_id"] == pid]
        assert sum(not c["is_error"] for c in mine) >= 10, pid
        assert sum(c["is_error"] for c in mine) >= 10, pid
    assert {c["kind"] for c in cases} >= set(KINDS)
    for c in cases:
        for cit in c["citations"]:
            span = by_id[cit["note_id"]].text[cit["start"]:cit["end"]]
            assert cit["quote"] in span, c["case_id"]


def test_corpus_file_is_up_to_date():
    from evals.verifier_cases import main

    assert main(["check"]) == 0


def test_when_planted_corpus_verified_then_detection_high_and_false_flags_low(
        demo_extractions, demo_record, extractor):
    from agent.schemas.summary import Citation, HandoffSummary, Statement

    notes, extractions = demo_extractions
    cases = load_cases()
    rows = []
    for pid in sorted({c["patient_id"] for c in cases}):
        mine = [n for n in notes if n.patient_id == pid]
        group = [c for c in cases if c["patient_id"] == pid]
        summary = HandoffSummary(
            patient_id=pid, generated_at="2026-01-01T00:00:00+00:00", mode="external",
            note_ids=[n.note_id for n in mine], provenance=extractor.provenance,
            statements=[Statement(id=c["case_id"], section=c["section"], text=c["statement"],
                                  origin="external", citations=[
                                      Citation(note_id=x["note_id"], start=x["start"],
                                               end=x["end"]) for x in c["citations"]])
                        for c in group])
        out = demo_record(pid).verify(summary)
        assert len(out.statements) == len(group)
        rows += [{**c, "verdict": s.verification.verdict, "reasons": s.verification.reasons}
                 for c, s in zip(group, out.statements, strict=True)]
    got = planted_scores(rows)
    assert got["detection_rate"] >= 0.9, got
    assert got["false_flag_rate"] <= 0.1, got
    assert got["reason_accuracy"] >= 0.8, got


def test_when_sentence_contradicts_the_rest_of_the_text_then_flagged(extractor):
    text = ("The patient denies chest pain.\nHe takes furosemide 40 mg PO daily.\n"
            "He reports chest pain since this morning.\nContinue furosemide 80 mg PO daily.\n")
    spans = sentence_spans(text)
    verdicts = verify_against_rest(text, extractor.extract(text), spans, extractor,
                                   Rules.load().cues)
    assert verdicts[2] == "CONTRADICTED"
    assert verdicts[3] == "CONTRADICTED"


@pytest.mark.parametrize("target, expected_turns", [(5, 1), (1000, 2)])
def test_extractive_baseline_keeps_entity_turns_in_order(extractor, target, expected_turns):
    dialogue = ("[doctor] hi, how are you?\n[patient] i take metformin 500 mg twice a day.\n"
                "[doctor] okay.\n[patient] and lisinopril for my blood pressure and asthma.\n")
    out = extractive_baseline(dialogue, extractor.extract(dialogue), target)
    lines = out.splitlines()
    assert len(lines) == expected_turns
    assert not any(line.startswith("[") for line in lines)
    if expected_turns == 2:
        assert lines[0].startswith("i take metformin")
