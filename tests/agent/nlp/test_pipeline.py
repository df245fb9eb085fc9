"""The clinical pipeline: section headers in several styles."""

from __future__ import annotations

import pytest


def _sections(pipeline, text):
    doc = pipeline.prepare(text)
    return [(s.category, doc[s.title_span[0]:s.title_span[1]].text.strip())
            for s in doc._.sections if s.category]


# fmt: off
@pytest.mark.parametrize("text, expected", [
    ("HPI: fever\nPMH: HTN\n", [("HPI", "HPI:"), ("PMH", "PMH:")]),
    ("HISTORY OF PRESENT ILLNESS:\nfever\n", [("HPI", "HISTORY OF PRESENT ILLNESS:")]),
    ("Past Medical History\nHTN\n", [("PMH", "Past Medical History")]),
    ("Home meds (pt's list):\n- aspirin\n", [("MEDICATIONS", "Home meds (pt's list):")]),
    ("Imaging (14:19):\nCT head\n", [("IMAGING", "Imaging (14:19):")]),
    ("Discharge Medications:\n1. aspirin\n", [("DISCHARGE_MEDICATIONS", "Discharge Medications:")]),
    ("A/P:\n1. CHF\n", [("ASSESSMENT_PLAN", "A/P:")]),
])
# fmt: on
def test_when_header_style_varies_then_section_is_found(clinical_pipeline, text, expected):
    assert _sections(clinical_pipeline, text) == expected


def test_when_header_words_are_inside_a_sentence_then_no_section(clinical_pipeline):
    assert _sections(clinical_pipeline, "He has no past medical history of note.\n") == []


def test_sectionizer_uses_single_text_regex_matcher(clinical_pipeline):
    inner = (clinical_pipeline.sectionizer._Sectionizer__matcher
             ._MedspacyMatcher__regex_matcher)
    assert type(inner).__name__ == "SingleTextRegexMatcher"


# fmt: off
@pytest.mark.parametrize("text, expected", [
    ("RESULTS\nECG normal.\n", [("LABS", "RESULTS")]),
    ("ASSESSMENT AND PLAN\n1. CHF\n", [("ASSESSMENT_PLAN", "ASSESSMENT AND PLAN")]),
    ("Results\nare pending.\n", []),
])
# fmt: on
def test_when_header_is_in_capitals_alone_on_its_line_then_section(clinical_pipeline, text,
                                                                   expected):
    assert _sections(clinical_pipeline, text) == expected
