"""Test names read from the items of a labelled lab line (agent/nlp/lab_line_items.py), and a
dated parenthesis after a test's value, on made-up lines with look-alikes."""

from __future__ import annotations

import pytest


def _found(extractor, text: str) -> list[tuple[str, str]]:
    return [(e.text, e.type) for e in extractor.extract(text)]


# fmt: off
@pytest.mark.parametrize("text, surface", [
    ("Labs: anti-Xa 0.62, TEG normal, type and screen pending.", "anti-Xa"),
    ("Labs: anti-Xa 0.62, TEG normal, type and screen pending.", "type and screen"),
    ("Pertinent labs: Quantiferon negative; ANA 1:80.", "Quantiferon"),
    ("Data: Factor VIII activity 180%, fibrinogen 410.", "Factor VIII activity"),
    ("Labs: vancomycin trough 17.2, Cr 1.1.", "vancomycin trough"),
])
# fmt: on
def test_when_item_of_lab_line_then_test(extractor, text, surface):
    assert (surface, "TEST") in _found(extractor, text)


# fmt: off
@pytest.mark.parametrize("text, surface", [
    ("Labs: notable for low sodium 128.", "notable for low sodium"),
    ("Labs: UA with 2+ LE, nitrite negative.", "nitrite"),
    ("Plan: heparin 5000 units, TEG normal yesterday.", "TEG"),
])
# fmt: on
def test_when_prose_component_or_no_lab_label_then_no_item(extractor, text, surface):
    assert (surface, "TEST") not in _found(extractor, text)


def test_when_drug_named_outside_lab_line_then_still_drug(extractor):
    assert ("vancomycin", "MEDICATION") in _found(extractor, "Meds: vancomycin 1 g IV q12h.")


# fmt: off
@pytest.mark.parametrize("text, surface, expected", [
    # A date in parentheses after a test's value dates the result ...
    ("Echo: LVEF 40% (3/2024), now repeat pending.", "LVEF", "historical"),
    ("Data: FEV1 1.2 L (11/2025).", "FEV1", "historical"),
    # ... a parenthesis after other words does not.
    ("Data: FEV1 1.2 L, improved (unlike 11/2025).", "FEV1", "present"),
])
# fmt: on
def test_when_dated_parenthesis_after_value_then_historical(extractor, text, surface,
                                                            expected):
    found = {e.text: e.assertion for e in extractor.extract(text)}
    assert found.get(surface) == expected
