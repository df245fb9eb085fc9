"""Assertion and section of arbitrary spans (mentions the lexicons did not find)."""

from __future__ import annotations

import pytest

from agent.nlp.assertion import assert_spans

TEXT = ("HPI: 70 yo M. Denies chest pain. No fevers.\n"
        "Family history: mother with breast cancer.\n\n"
        "Plan: consider starting apixaban.\n"
        "PMH: remote appendectomy.\n")


def _span(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


# fmt: off
@pytest.mark.parametrize("words, etype, expected", [
    ("chest pain", "PROBLEM", ("absent", "HPI")),
    ("fevers", "PROBLEM", ("absent", "HPI")),
    ("breast cancer", "PROBLEM", ("family", "FAMILY_HISTORY")),
    ("apixaban", "MEDICATION", ("hypothetical", "ASSESSMENT_PLAN")),
    ("appendectomy", "PROCEDURE", ("historical", "PMH")),
    ("70 yo M", "PROBLEM", ("present", "HPI")),
])
# fmt: on
def test_when_span_asserted_then_same_rules_as_extractor(clinical_pipeline, words, etype,
                                                         expected):
    assert assert_spans(clinical_pipeline, TEXT, [(*_span(TEXT, words), etype)]) == [expected]


def test_when_spans_overlap_and_unordered_then_one_result_each_in_order(clinical_pipeline):
    targets = [(*_span(TEXT, "appendectomy"), "PROCEDURE"),
               (*_span(TEXT, "chest pain"), "PROBLEM"),
               (*_span(TEXT, "chest"), "TEST")]
    out = assert_spans(clinical_pipeline, TEXT, targets)
    assert [a for a, _ in out] == ["historical", "absent", "absent"]


def test_when_note_long_then_span_in_later_segment_keeps_carried_section(clinical_pipeline):
    text = "Assessment and plan:\n" + "Stable overnight.\n" * 600 + "Denies chest pain.\n"
    assert len(text) > 10_000  # read in several segments
    assert assert_spans(clinical_pipeline, text, [(*_span(text, "chest pain"), "PROBLEM")]) \
        == [("absent", "ASSESSMENT_PLAN")]


def test_when_no_targets_then_empty(clinical_pipeline):
    assert assert_spans(clinical_pipeline, TEXT, []) == []
