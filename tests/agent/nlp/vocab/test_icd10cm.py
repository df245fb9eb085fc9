"""Behaviour of ProblemCoder on typical problem-list mentions (synthetic)."""

from __future__ import annotations

import json

import pytest

from agent.errors import RuleFileError
from agent.nlp.vocab.icd10cm import ProblemCoder
from agent.nlp.vocab.vocab_rules import SynonymRule, load_rules
from agent.rules.files import read_rule_file


@pytest.fixture(scope="module")
def coder() -> ProblemCoder:
    c = ProblemCoder()
    c.load()
    return c


def _codes(coder: ProblemCoder, mention: str, k: int = 5) -> list[str]:
    return [c.code for c in coder.code(mention, k=k)]


# fmt: off
@pytest.mark.parametrize("mention, expected", [
    ("HTN", "I10"),
    ("hypertension", "I10"),
    ("type 2 diabetes", "E11.9"),
    ("type 2 diabetes mellitus", "E11.9"),
    ("DM2", "E11.9"),
    ("acute on chronic systolic heart failure", "I50.23"),
    ("UTI", "N39.0"),
    ("AKI", "N17.9"),
    ("community-acquired pneumonia", "J18.9"),
    ("cellulitis of left leg", "L03.116"),
    ("hyperkalemia", "E87.5"),
    ("afib with RVR", "I48.91"),
    ("s/p fall", "W19.XXXA"),
])
# fmt: on
def test_when_common_mention_then_expected_code_is_top_1(coder, mention, expected):
    assert _codes(coder, mention, k=1) == [expected]


# fmt: off
@pytest.mark.parametrize("mention, expected", [
    ("CHF", "I50.9"),
    ("CHF exacerbation", "I50.9"),
    ("COPD exacerbation", "J44.1"),
    ("heart attack", "I21.9"),
])
# fmt: on
def test_when_mention_needs_synonyms_then_code_in_top_5(coder, mention, expected):
    assert expected in _codes(coder, mention)


def test_when_unspecific_mention_then_billable_default_ranks_before_header(coder):
    codes = _codes(coder, "heart failure")
    assert codes[0] == "I50.9"
    assert "I50" not in codes[:1]


def test_when_coded_then_codes_are_dotted_icd10cm_with_scores_in_range(coder):
    result = coder.code("pneumonia", k=5)
    assert result and all(c.system == "ICD-10-CM" for c in result)
    assert all(0.0 <= c.score <= 1.0 for c in result)
    assert result[0].code == "J18.9" and "Pneumonia" in result[0].display


def test_when_mention_has_no_clinical_words_then_no_codes(coder):
    assert coder.code("the of and") == []


def test_when_k_given_then_at_most_k_codes(coder):
    assert len(coder.code("fracture", k=3)) <= 3


def test_when_synonym_rule_misses_canonical_then_rule_file_error(tmp_path):
    path = tmp_path / "icd10cm_synonyms.json"
    bad = {"icd10cm_synonyms": [{"variant": "afib", "kind": "SYNONYM"}]}
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(RuleFileError) as err:
        read_rule_file(path, "icd10cm_synonyms", SynonymRule)
    assert err.value.index == 0 and "icd10cm_synonyms.json" in str(err.value)


def test_when_shipped_synonym_file_loads_then_entries_validate():
    rules = load_rules("icd10cm_synonyms.json", "icd10cm_synonyms", SynonymRule)
    assert any(r.variant == "afib" for r in rules)
