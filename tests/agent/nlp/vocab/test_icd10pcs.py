"""Behaviour of ProcedureCoder: complete codes when clear, nothing when unsure."""

from __future__ import annotations

import pytest

from agent.nlp.vocab.icd10pcs import ProcedureCoder


@pytest.fixture(scope="module")
def coder() -> ProcedureCoder:
    c = ProcedureCoder()
    c.load()
    return c


# fmt: off
@pytest.mark.parametrize("mention, expected", [
    ("laparoscopic cholecystectomy", "0FT44ZZ"),
    ("lap chole", "0FT44ZZ"),
    ("laparoscopic appendectomy", "0DTJ4ZZ"),
    ("colonoscopy", "0DJD8ZZ"),
    ("intubation", "0BH17EZ"),
])
# fmt: on
def test_when_procedure_is_unambiguous_then_full_code_first(coder, mention, expected):
    codes = coder.code(mention)
    assert codes and codes[0].code == expected


# fmt: off
@pytest.mark.parametrize("mention", [
    "central line placement",   # GEM gives dozens of vessel/approach codes
    "total hip replacement",    # laterality and device unknown
    "biopsy",
    "chest pain",
])
# fmt: on
def test_when_procedure_is_ambiguous_or_unknown_then_no_code(coder, mention):
    assert coder.code(mention) == []


def test_when_coded_then_every_code_has_seven_characters(coder):
    for mention in ("appendectomy", "thoracentesis", "hemodialysis", "colonoscopy"):
        for c in coder.code(mention):
            assert len(c.code) == 7 and c.system == "ICD-10-PCS" and 0 < c.score <= 1
