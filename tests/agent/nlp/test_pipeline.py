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


def test_sectionizer_and_context_regexes_skip_and_find_what_re_finds(clinical_pipeline):
    """The medSpaCy regex rules (section headers, ConText regex cues) are compiled with
    agent.nlp.first_chars.compile_skipping: searches that skip, in C, the places no match
    can start, with re.compile's matches."""
    import re

    from agent.nlp.first_chars import compile_skipping
    from evals.synthetic import load_notes

    sectionizer = (clinical_pipeline.sectionizer._Sectionizer__matcher
                   ._MedspacyMatcher__regex_matcher)
    context = clinical_pipeline.context._ConText__matcher._MedspacyMatcher__regex_matcher
    patterns = [p for m in (sectionizer, context) for ps in m._patterns.values() for p in ps]
    assert len(patterns) > 20
    assert all(p == compile_skipping(p.pattern, p.flags) for p in patterns)
    assert sum(p != re.compile(p.pattern, p.flags) for p in patterns) >= 2
    texts = [n.text for n in load_notes()[:12]]
    for p in patterns:
        plain = re.compile(p.pattern, p.flags)
        for text in texts:
            assert [m.span() for m in p.finditer(text)] == [m.span() for m in plain.finditer(text)]
