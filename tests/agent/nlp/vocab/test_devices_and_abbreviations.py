"""Devices, procedures and disease abbreviations found from the packaged vocabularies by
their head noun or the disease inside their expansion (issue 14), on made-up snippets."""

from __future__ import annotations

import pytest


def _typed(extractor, text):
    return {(e.text, e.type): e.assertion for e in extractor.extract(text)}


@pytest.mark.parametrize(("text", "span"), [
    ("Tracheostomy tube changed at bedside without issue.", "Tracheostomy tube"),
    ("EVD clamped overnight, ICP stable.", "EVD"),
    ("Plan lysis of adhesions if no improvement.", "lysis of adhesions"),
    ("Weaned from HFNC to room air.", "HFNC"),
    ("Penrose drain left in the wound.", "Penrose drain"),
    ("Sats 94% on 3L NC at rest.", "NC"),
])
def test_when_a_device_or_procedure_is_named_then_it_is_a_procedure(extractor, text, span):
    assert (span, "PROCEDURE") in _typed(extractor, text)


@pytest.mark.parametrize("text", [
    "ECG: RBBB, no acute ST changes.", "TIMI 3 flow restored.", "Acyclovir (ACV) for zoster.",
])
def test_when_an_abbreviation_names_a_finding_a_score_or_a_drug_then_no_procedure(extractor,
                                                                                 text):
    assert not [k for k in _typed(extractor, text) if k[1] == "PROCEDURE"]


@pytest.mark.parametrize(("text", "assertion"), [
    ("Foley removed this morning, voiding.", "absent"),
    ("NGT was d/c'd after the swallow study.", "absent"),
    ("D/c Foley once ambulating.", "hypothetical"),
    ("Foley in place, draining clear urine.", "present"),
])
def test_when_a_device_is_removed_or_its_removal_planned_then_the_assertion_says_so(
        extractor, text, assertion):
    devices = [a for (t, k), a in _typed(extractor, text).items() if k == "PROCEDURE"]
    assert devices == [assertion]


def test_when_a_device_is_removed_after_a_surgery_then_the_surgery_keeps_its_status(extractor):
    found = _typed(extractor, "Lap chole, gallbladder removed, home POD1.")
    assert [a for (t, k), a in found.items() if k == "PROCEDURE"] != ["absent"]


@pytest.mark.parametrize(("text", "span"), [
    ("Admitted with ADHF, diuresed 3 L.", "ADHF"), ("History of NVAF on apixaban.", "NVAF"),
])
def test_when_an_abbreviation_expands_to_a_qualified_disease_then_it_is_a_problem(extractor,
                                                                                 text, span):
    assert (span, "PROBLEM") in _typed(extractor, text)


def test_when_an_abbreviation_is_an_english_word_then_it_is_no_problem(extractor):
    assert not [k for k in _typed(extractor, "AGE: 72. SEX: F. COME BACK IN 2 WEEKS.")
                if k[1] == "PROBLEM"]
