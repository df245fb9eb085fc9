"""The relation rule file: validated at load, errors name the file and entry."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from agent.errors import RuleFileError
from agent.rules import RELATIONS_FILE, Rules
from agent.schemas.relation_rules import RelationRule, RelationRuleSet


def test_when_packaged_rules_loaded_then_every_kind_has_rules():
    rules = Rules.load().relations
    for kind in ("pair", "effect_term", "ade_cue", "body_site", "laterality", "negated",
                 "speculated", "comorbidity", "drug_absence", "change"):
        assert rules.rules(kind), kind
    assert {r.type for r, _ in rules.pairs} == {"CAUSES", "TREATS", "LOCATED_AT"}


# fmt: off
@pytest.mark.parametrize("entry, message", [
    ({"kind": "pair", "pattern": "\\s+", "order": "head_first", "name": "x"}, "needs"),
    ({"kind": "pair", "pattern": "\\s+", "type": "CURES", "order": "head_first",
      "name": "x"}, "type"),
    ({"kind": "effect_term", "pattern": "rash", "type": "CAUSES"}, "pair rules"),
    ({"kind": "ade_cue", "pattern": "developed (\\w+)"}, "effect"),
    ({"kind": "laterality", "pattern": "left"}, "laterality"),
    ({"kind": "negated", "pattern": "(no"}, "invalid regex"),
    ({"kind": "negated", "pattern": "no", "scope": "x"}, "scope"),
])
# fmt: on
def test_when_entry_invalid_then_validation_error(entry, message):
    with pytest.raises(ValidationError, match=message):
        RelationRule.model_validate(entry)


def test_when_user_file_has_bad_entry_then_rule_file_error_names_index(tmp_path):
    (tmp_path / RELATIONS_FILE).write_text(json.dumps({"relation_rules": [
        {"kind": "effect_term", "pattern": "rash"},
        {"kind": "pair", "pattern": "x", "name": "y", "type": "CAUSES", "order": "sideways"},
    ]}), encoding="utf-8")
    with pytest.raises(RuleFileError) as err:
        Rules(tmp_path)
    assert "relations.json" in str(err.value) and "1" in str(err.value)


def test_when_user_folder_lacks_relation_file_then_packaged_one_is_used(tmp_path):
    assert Rules(tmp_path).path(RELATIONS_FILE).name == RELATIONS_FILE
    assert Rules(tmp_path).relations.pairs


def test_effect_terms_match_inside_longer_names():
    rules = RelationRuleSet([RelationRule(kind="effect_term", pattern=r"\brash\b")])
    assert rules.is_effect_term("severe rash")
    assert not rules.is_effect_term("hypertension")
