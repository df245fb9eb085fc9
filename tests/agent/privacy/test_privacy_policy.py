"""Release policies: the packaged file, unknown names and fields, overrides."""

from __future__ import annotations

import pytest

from agent.errors import ConfigError, RuleFileError
from agent.privacy.policy import (
    POLICY_FIELDS,
    load_policies,
    parse_policies,
    policy_from,
    with_overrides,
)

_GOOD = {"name": "p", "version": 1, "age": "band5", "zip": "zip3", "dates": "year",
         "diagnosis": "category", "occupation": "group", "country": "region"}


def test_when_packaged_file_loads_then_three_versioned_policies():
    policies = load_policies()
    assert set(policies.policies) == {"safe_harbor", "research", "strict"}
    assert policy_from("research").label == "research@v1"
    assert len(policies.sha256) == 64


def test_when_policy_name_is_unknown_then_error_lists_the_valid_names():
    with pytest.raises(ConfigError) as e:
        policy_from("reserch")
    assert "'reserch'" in str(e.value)
    for name in ("research", "safe_harbor", "strict"):
        assert name in str(e.value)


def test_when_a_policy_has_an_unknown_field_then_error_names_it_and_the_valid_fields():
    with pytest.raises(RuleFileError) as e:
        parse_policies({"release_policies": [{**_GOOD, "zipcode": "zip3"}]}, "x.yaml")
    msg = str(e.value)
    assert "zipcode" in msg and "entry 0" in msg
    for f in POLICY_FIELDS:
        assert f in msg


def test_when_a_field_has_an_unknown_value_then_error_lists_the_valid_values():
    with pytest.raises(RuleFileError) as e:
        parse_policies({"release_policies": [{**_GOOD, "age": "band7"}]}, "x.yaml")
    assert "'exact'" in str(e.value) and "'band10'" in str(e.value)


def test_when_a_field_is_missing_or_a_name_repeats_then_error():
    missing = {k: v for k, v in _GOOD.items() if k != "country"}
    with pytest.raises(RuleFileError, match="missing field 'country'"):
        parse_policies({"release_policies": [missing]}, "x.yaml")
    with pytest.raises(RuleFileError, match="duplicate"):
        parse_policies({"release_policies": [_GOOD, _GOOD]}, "x.yaml")
    with pytest.raises(RuleFileError, match="release_policies"):
        parse_policies({"policies": []}, "x.yaml")


def test_when_overriding_an_unknown_field_then_error_lists_fields():
    base = policy_from("safe_harbor")
    assert with_overrides(base, {"age": "band10"}).age == "band10"
    with pytest.raises(ConfigError, match="unknown policy field"):
        with_overrides(base, {"postcode": "zip3"})
    with pytest.raises(ConfigError, match="band5"):
        with_overrides(base, {"age": "decade"})
