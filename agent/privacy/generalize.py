"""Generalization operators for quasi-identifiers: each maps one value to a coarser one.

They are pure functions over values (no text offsets): ``agent.privacy.release`` applies
them to the mentions of a note in the de-identification step, ``agent.privacy.risk`` to the
quasi-identifier table of a corpus.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from importlib.resources import files

from agent.deid.surrogates import RESTRICTED_ZIP3
from agent.errors import RuleFileError

DATA_FILE = "generalization.yaml"
# Safe Harbor: every age over 89 is aggregated into one category.
TOP_AGE = 90
SUPPRESSED = "*"


def age_band(age: int, width: int) -> str:
    """The band of ``age`` (``width`` 5 or 10): ``70-74`` / ``70-79``; ``90+`` from 90."""
    if width not in (5, 10):
        raise ValueError(f"age band width must be 5 or 10, not {width}")
    if age >= TOP_AGE:
        return "90+"
    lo = age // width * width
    return f"{lo}-{lo + width - 1}"


def generalize_age(age: int, rule: str) -> str:
    """An age under a policy's ``age`` rule (exact, band5, band10, suppress)."""
    if age >= TOP_AGE:
        return "90+" if rule != "suppress" else SUPPRESSED
    if rule == "exact":
        return str(age)
    if rule == "band5":
        return age_band(age, 5)
    if rule == "band10":
        return age_band(age, 10)
    return SUPPRESSED


def zip3(zip_code: str) -> str:
    """The first three digits of a ZIP; ``000`` for the restricted prefixes (HIPAA Safe
    Harbor: 3-digit areas of 20,000 people or fewer)."""
    digits = re.sub(r"\D", "", zip_code)[:3]
    if len(digits) < 3:
        return SUPPRESSED
    return "000" if digits in RESTRICTED_ZIP3 else digits


def generalize_zip(zip_code: str, rule: str) -> str:
    """A ZIP under a policy's ``zip`` rule (zip3, suppress)."""
    return zip3(zip_code) if rule == "zip3" else SUPPRESSED


def date_precision(d: date, rule: str) -> str:
    """A date at the precision of a policy's ``dates`` rule: ``2026-03`` (month) or
    ``2026`` (year); ``deid`` leaves dates to the de-identification mode."""
    if rule == "month":
        return f"{d.year}-{d.month:02d}"
    if rule == "year":
        return str(d.year)
    raise ValueError(f"dates rule {rule!r} does not generalize a date here")


_ICD10 = re.compile(r"^[A-TV-Z][0-9][0-9AB](?:\.?[0-9A-TV-Z]{1,4})?$")


def icd10_category(code: str) -> str:
    """The ICD-10-CM category (first three characters) of a code: ``E11.9`` -> ``E11``."""
    code = code.strip().upper()
    if not _ICD10.match(code):
        raise ValueError("not an ICD-10-CM code shape (letter, two characters, optional "
                         "dot and up to four characters)")
    return code[:3]


def generalize_codes(codes: set[str], rule: str, *, category_counts: dict[str, int] | None,
                     threshold: int) -> frozenset[str]:
    """A patient's codes under a policy's ``diagnosis`` rule.

    ``suppress_rare`` generalizes to categories and removes a category held by fewer than
    ``threshold`` patients (``category_counts``: patients per category in the corpus).
    """
    if rule == "keep":
        return frozenset(codes)
    cats = {icd10_category(c) for c in codes}
    if rule == "category":
        return frozenset(cats)
    if category_counts is None:
        raise ValueError("suppress_rare needs the corpus's patients per category")
    return frozenset(c for c in cats if category_counts.get(c, 0) >= threshold)


@lru_cache(maxsize=1)
def _lookups() -> tuple[dict[str, str], dict[str, str]]:
    import yaml

    path = files("agent.privacy").joinpath(DATA_FILE)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or set(raw) != {"occupation_groups", "country_regions"}:
        raise RuleFileError(DATA_FILE, "the top level must hold occupation_groups and "
                            "country_regions")
    words = {w.lower(): g for g, ws in raw["occupation_groups"].items() for w in ws}
    regions = {c.lower(): r for r, cs in raw["country_regions"].items() for c in cs}
    return words, regions


def occupation_group(occupation: str) -> str:
    """A broad occupation group: ``retired machinist`` -> ``retired, construction and
    trades``; an occupation no group lists -> ``other occupation``."""
    words, _ = _lookups()
    tokens = re.findall(r"[a-z]+", occupation.lower())
    group = next((words[t] for t in tokens if t in words), None)
    if group is None:  # "truck driver" is listed by its last word; plurals by the singular
        group = next((words[t.rstrip("s")] for t in tokens if t.rstrip("s") in words), None)
    label = group or "other occupation"
    return f"retired, {label}" if "retired" in tokens else label


def generalize_occupation(occupation: str, rule: str) -> str:
    """An occupation under a policy's ``occupation`` rule (keep, group, suppress)."""
    if rule == "keep":
        return occupation
    return occupation_group(occupation) if rule == "group" else SUPPRESSED


def country_region(country: str) -> str:
    """The world region of a country (``Guatemala`` -> ``Latin America and the
    Caribbean``); ``another country`` when the table does not list it."""
    _, regions = _lookups()
    return regions.get(" ".join(country.lower().split()), "another country")


def generalize_country(country: str, rule: str) -> str:
    """A country of origin under a policy's ``country`` rule (keep, region, suppress)."""
    if rule == "keep":
        return country
    return country_region(country) if rule == "region" else SUPPRESSED
