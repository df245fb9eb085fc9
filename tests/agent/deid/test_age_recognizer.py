"""AGE: only ages over 89 are PHI."""

from __future__ import annotations

import pytest


# fmt: off
@pytest.mark.parametrize("text, expected", [
    ("92-year-old woman with melena", "92"),
    ("Pt is a 92 yo F with dizziness", "92"),
    ("Sex: F   Age: 92   MRN: CUH-00715836", "92"),
    ("Truelove, Ann  (95 F)", "95"),
    ("A 101 y/o man", "101"),
])
# fmt: on
def test_when_age_is_over_89_then_it_is_found(find_phi, text, expected):
    assert ("AGE", expected) in find_phi(text)


# fmt: off
@pytest.mark.parametrize("text", [
    "74 yo M with HFrEF", "68F with COPD", "Age: 34", "89-year-old man", "HR 92, RR 18",
])
# fmt: on
def test_when_age_is_under_90_or_a_vital_then_no_age(find_phi, text):
    assert [p for p in find_phi(text) if p[0] == "AGE"] == []
