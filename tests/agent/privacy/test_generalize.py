"""Generalization operators, one value at a time."""

from __future__ import annotations

from datetime import date

import pytest

from agent.privacy.generalize import (
    age_band,
    country_region,
    date_precision,
    generalize_age,
    generalize_codes,
    generalize_country,
    generalize_occupation,
    generalize_zip,
    icd10_category,
    occupation_group,
    zip3,
)


# fmt: off
@pytest.mark.parametrize("age, rule, expected", [
    (74, "exact", "74"), (74, "band5", "70-74"), (74, "band10", "70-79"),
    (75, "band5", "75-79"), (89, "band10", "80-89"), (90, "exact", "90+"),
    (97, "band5", "90+"), (3, "band10", "0-9"), (74, "suppress", "*"),
])
# fmt: on
def test_age_rules(age, rule, expected):
    assert generalize_age(age, rule) == expected


def test_when_band_width_is_not_5_or_10_then_error():
    with pytest.raises(ValueError, match="5 or 10"):
        age_band(40, 7)


# fmt: off
@pytest.mark.parametrize("value, expected", [
    ("02139", "021"), ("03601", "000"), ("89301-1234", "000"), ("55414", "554"), ("12", "*"),
])
# fmt: on
def test_zip3_uses_restricted_prefixes(value, expected):
    assert zip3(value) == expected


def test_zip_suppress_and_dates():
    assert generalize_zip("02139", "suppress") == "*"
    assert date_precision(date(2026, 3, 14), "month") == "2026-03"
    assert date_precision(date(2026, 3, 14), "year") == "2026"
    with pytest.raises(ValueError):
        date_precision(date(2026, 3, 14), "deid")


def test_codes_to_categories_and_rare_suppression():
    assert icd10_category("e11.9") == "E11"
    with pytest.raises(ValueError):
        icd10_category("hello")
    codes = {"E11.9", "Q85.01", "I10"}
    assert generalize_codes(codes, "keep", category_counts=None, threshold=5) == codes
    assert generalize_codes(codes, "category", category_counts=None,
                            threshold=5) == {"E11", "Q85", "I10"}
    counts = {"E11": 40, "I10": 90, "Q85": 1}
    assert generalize_codes(codes, "suppress_rare", category_counts=counts,
                            threshold=5) == {"E11", "I10"}


def test_occupation_and_country():
    assert occupation_group("retired machinist") == "retired, construction and trades"
    assert occupation_group("truck drivers") == "transport"
    assert occupation_group("astronaut") == "other occupation"
    assert generalize_occupation("school teacher", "keep") == "school teacher"
    assert generalize_occupation("school teacher", "suppress") == "*"
    assert country_region("Guatemala") == "Latin America and the Caribbean"
    assert country_region("Atlantis") == "another country"
    assert generalize_country("Portugal", "region") == "Europe"
