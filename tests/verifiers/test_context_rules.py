"""The ConText rule file: the shipped one validates, broken entries fail loudly."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from agent.errors import RuleFileError
from verifiers.rulefiles import ContextRuleEntry, read_rule_file, rules_path


def _shipped() -> list[ContextRuleEntry]:
    return read_rule_file(rules_path("context.json"), "context_rules", ContextRuleEntry)


def test_when_shipped_context_file_loads_then_every_category_has_rules():
    categories = {e.category for e in _shipped()}
    assert categories == {
        "NEGATED_EXISTENCE", "POSSIBLE_EXISTENCE", "HISTORICAL", "HYPOTHETICAL", "FAMILY",
        "PSEUDO", "TERMINATE",
    }


def test_when_shipped_context_file_loads_then_literals_are_unique():
    # Two rules matching the same tokens are pruned to one arbitrarily by medspaCy, so a
    # duplicated literal is almost always a mistake.
    counts = Counter(e.literal.lower() for e in _shipped())
    assert [lit for lit, n in counts.items() if n > 1] == []


def test_when_rule_narrows_types_then_types_are_entity_types():
    known = {"PROBLEM", "MEDICATION", "TEST", "PROCEDURE", "ALLERGY", "ANATOMY"}
    for entry in _shipped():
        assert set(entry.allowed_types or []) <= known, entry.literal
        assert set(entry.excluded_types or []) <= known, entry.literal


GOOD = {"literal": "no", "category": "NEGATED_EXISTENCE", "direction": "FORWARD"}


# fmt: off
@pytest.mark.parametrize("bad, words", [
    ({"literal": "x", "category": "NEGATION", "direction": "FORWARD"},          "category"),
    ({"literal": "x", "category": "HISTORICAL", "direction": "SIDEWAYS"},       "direction"),
    ({"literal": "x", "category": "HISTORICAL", "direction": "FORWARD",
      "pattern": "h/o(("},                                                        "invalid regex"),
    ({"literal": "x", "category": "HISTORICAL", "direction": "FORWARD",
      "scope": 3},                                                                "scope"),
    ({"category": "HISTORICAL", "direction": "FORWARD"},                        "literal"),
])
# fmt: on
def test_when_context_entry_is_invalid_then_error_names_entry_index(tmp_path, bad, words):
    path = tmp_path / "context.json"
    path.write_text(json.dumps({"context_rules": [GOOD, GOOD, bad]}))
    with pytest.raises(RuleFileError) as exc:
        read_rule_file(path, "context_rules", ContextRuleEntry)
    assert exc.value.index == 2
    assert "entry 2" in str(exc.value) and words in str(exc.value)


def test_when_context_file_has_wrong_top_level_key_then_error(tmp_path):
    path = tmp_path / "context.json"
    path.write_text(json.dumps({"section_rules": [GOOD]}))
    with pytest.raises(RuleFileError, match="context_rules"):
        read_rule_file(path, "context_rules", ContextRuleEntry)
