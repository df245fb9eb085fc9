"""Assertion scope rules for multi-note records: problem-list sections, checkbox templates,
signed ROS lists, per-item negation in lists and completed courses (synthetic fragments)."""

from __future__ import annotations

import pytest


# fmt: off
@pytest.mark.parametrize("text, targets, expected", [
    # A problem list names the conditions being managed now (guideline: chronic conditions
    # outside a past-history section are present)...
    ("Problem list:\n- Gout, quiet on allopurinol\n- Hypothyroidism",
     [("Gout", "PROBLEM"), ("Hypothyroidism", "PROBLEM"), ("allopurinol", "MEDICATION")],
     "present"),
    ("ACTIVE PROBLEMS\nChronic kidney disease stage 3b\nAnemia of CKD",
     [("Chronic kidney disease stage 3b", "PROBLEM"), ("Anemia of CKD", "PROBLEM")], "present"),
    # ...while a past-history header keeps making them historical (look-alike).
    ("Past medical history:\n- Gout\n- Hypothyroidism",
     [("Gout", "PROBLEM"), ("Hypothyroidism", "PROBLEM")], "historical"),
])
# fmt: on
def test_when_a_problem_list_heads_the_lines_then_they_are_current(
        assert_first, text, targets, expected):
    assert assert_first(text, targets) == expected
