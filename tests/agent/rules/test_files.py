"""Rule files are validated at load time and errors name the file and the entry."""

from __future__ import annotations

import json

import pytest

from agent.errors import RuleFileError
from agent.rules.files import (
    AbbreviationStopEntry,
    SectionRuleEntry,
    TargetRuleEntry,
    read_rule_file,
    rules_path,
    section_entries,
)


# fmt: off
@pytest.mark.parametrize("name, key, model", [
    ("sections.json", "section_rules", SectionRuleEntry),
    ("targets.json", "target_rules", TargetRuleEntry),
    ("abbreviation_stoplist.json", "abbreviation_stoplist", AbbreviationStopEntry),
])
# fmt: on
def test_when_packaged_rule_file_loads_then_it_has_entries(name, key, model):
    # sections.json also holds the section roles (read by agent.rules.Rules) and the
    # header word abbreviations (read by section_entries).
    also = ("section_roles", "header_abbreviations") if name == "sections.json" else ()
    assert len(read_rule_file(rules_path(name), key, model, also=also)) > 10


def test_when_header_words_have_abbreviations_then_every_header_is_also_written_with_them(
        tmp_path):
    path = tmp_path / "sections.json"
    path.write_text(json.dumps({
        "section_rules": [{"literal": "discharge medications:",
                           "category": "DISCHARGE_MEDICATIONS"},
                          {"literal": "hpi:", "category": "HPI"}],
        "section_roles": {},
        "header_abbreviations": {"discharge": ["d/c"], "medications": ["meds"]}}))
    literals = {e.literal for e in section_entries(path)}
    assert literals == {"discharge medications:", "d/c medications:", "discharge meds:",
                        "d/c meds:", "hpi:"}


def test_when_header_abbreviations_are_not_lists_then_the_error_says_the_shape(tmp_path):
    path = tmp_path / "sections.json"
    path.write_text(json.dumps({"section_rules": [], "section_roles": {},
                                "header_abbreviations": {"discharge": "d/c"}}))
    with pytest.raises(RuleFileError, match="list of its abbreviations"):
        section_entries(path)


def test_when_sections_file_has_no_abbreviations_then_it_still_loads(tmp_path):
    path = tmp_path / "sections.json"
    path.write_text(json.dumps({"section_rules": [{"literal": "hpi:", "category": "HPI"}],
                                "section_roles": {}}))
    assert [e.literal for e in section_entries(path)] == ["hpi:"]


# fmt: off
@pytest.mark.parametrize("payload, index, words", [
    ({"section_rules": [{"literal": "hpi:", "category": "HPI"},
                        {"literal": "x", "category": "lower_case"}]}, 1, "UPPER_SNAKE"),
    ({"section_rules": [{"literal": "x", "category": "HPI", "colour": "red"}]}, 0, "Extra"),
    ({"target_rules": [{"literal": "x", "category": "DRUG"}]}, 0, "category"),
    ({"target_rules": [{"literal": "x", "category": "TEST", "pattern": "(unclosed"}]}, 0,
     "invalid regex"),
])
# fmt: on
def test_when_entry_is_invalid_then_error_names_file_and_index(tmp_path, payload, index, words):
    key = next(iter(payload))
    model = SectionRuleEntry if key == "section_rules" else TargetRuleEntry
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(payload))
    with pytest.raises(RuleFileError) as exc:
        read_rule_file(path, key, model)
    assert exc.value.index == index
    assert str(path) in str(exc.value) and words in str(exc.value)


def test_when_top_level_key_is_wrong_then_error(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"rules": []}))
    with pytest.raises(RuleFileError, match="top-level key"):
        read_rule_file(path, "section_rules", SectionRuleEntry)


def test_when_file_is_not_json_then_error(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text("{not json")
    with pytest.raises(RuleFileError, match="JSON"):
        read_rule_file(path, "section_rules", SectionRuleEntry)
