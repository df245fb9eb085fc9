"""The ConText rule file: the shipped one validates, broken entries fail loudly."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from agent.errors import RuleFileError
from agent.rules.files import ContextRuleEntry, read_rule_file, rules_path


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


def _single_words(entry: ContextRuleEntry) -> set[str]:
    """The words a one-token rule matches (empty for longer or regex rules)."""
    if entry.pattern is None:
        return {entry.literal.lower()} if " " not in entry.literal else set()
    if isinstance(entry.pattern, str):
        return set()
    tokens = [t for t in entry.pattern if not t.get("IS_SPACE")]
    if len(tokens) != 1 or "OP" in tokens[0]:
        return set()
    lower = tokens[0].get("LOWER")
    if isinstance(lower, str):
        return {lower}
    if isinstance(lower, dict):
        return set(lower.get("IN", []))
    return set()


def test_when_two_rules_match_the_same_word_then_shipped_file_has_none():
    # medspaCy keeps one of two matches on the same tokens and drops the other silently, so
    # "avoid" in both a negation and a prevention rule would disable one of them.
    owners: dict[str, str] = {}
    clashes = []
    for entry in _shipped():
        for word in _single_words(entry):
            if word in owners:
                clashes.append((word, owners[word], entry.literal))
            owners[word] = entry.literal
    assert clashes == []


def test_when_rule_hedges_then_it_never_modifies_drugs_tests_or_procedures():
    # Uncertainty is about whether a condition exists ("r/o PE ... once off BiPAP",
    # "likely ulcer (NSAID + anticoagulation)"): the drug, test or procedure is certain.
    for entry in _shipped():
        if entry.category != "POSSIBLE_EXISTENCE" or entry.direction == "TERMINATE":
            continue
        if entry.allowed_types:
            assert set(entry.allowed_types) <= {"PROBLEM", "ALLERGY"}, entry.literal
        else:
            assert {"MEDICATION", "TEST", "PROCEDURE"} <= set(entry.excluded_types or []), \
                entry.literal


# fmt: off
@pytest.mark.parametrize("literal", ["was negative", "has been negative", ": negative"])
# fmt: on
def test_when_rule_reports_a_negative_result_then_it_never_negates_the_test(literal):
    # "CTA chest was negative", "UA: negative": the test was done (guideline: present).
    (entry,) = [e for e in _shipped() if e.literal == literal]
    assert "TEST" in (entry.excluded_types or [])


def test_when_rule_stops_or_holds_a_drug_then_it_never_negates_a_problem():
    # "hold", "stopped", "avoid" deny a drug (and "held" / "avoided" an intervention or a
    # study not done: "seizure precautions discontinued", "MRI with contrast avoided");
    # "avoid aspiration" is a prevented problem and "stopped smoking" a past habit, neither
    # of which is negated.
    for literal in ("hold", "held", "on hold", "contraindicated", "ran out of", "missed"):
        (entry,) = [e for e in _shipped() if e.literal == literal]
        assert entry.category == "NEGATED_EXISTENCE"
        assert "MEDICATION" in entry.allowed_types, literal
        assert "PROBLEM" not in entry.allowed_types, literal
