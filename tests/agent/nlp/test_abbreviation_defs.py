"""Abbreviations defined in the note itself are tagged like their long form."""

from __future__ import annotations

import pytest

from agent.nlp.abbreviation_defs import defined_abbreviation_hits
from agent.nlp.lexicon import LexiconHit


def _hit(text, phrase, label="PROBLEM"):
    i = text.index(phrase)
    return LexiconHit(i, i + len(phrase), label, phrase.lower(), "test")


# fmt: off
@pytest.mark.parametrize("text, long_form, expected", [
    ("Community-acquired pneumonia (CAP). CAP improved.", "Community-acquired pneumonia",
     ["CAP", "CAP"]),
    ("Huntington disease (HD) onset; HD gene.", "Huntington disease", ["HD", "HD"]),
    ("Cellulitis (rash) spreading; rash better.", "Cellulitis", []),
    ("Pneumonia (2019) resolved.", "Pneumonia", []),
    ("Pneumonia (XYZ) resolved; XYZ.", "Pneumonia", []),
])
# fmt: on
def test_when_short_form_is_defined_then_later_uses_are_tagged(text, long_form, expected):
    hits = defined_abbreviation_hits(text, [_hit(text, long_form)])
    assert [text[h.start:h.end] for h in hits] == expected
    assert all(h.label == "PROBLEM" and h.canonical == long_form.lower() for h in hits)


def test_when_short_form_is_inside_a_longer_token_then_no_hit():
    text = "Atrial fibrillation (AF) noted. AFib and AF-related."
    hits = defined_abbreviation_hits(text, [_hit(text, "Atrial fibrillation")])
    assert [text[h.start:h.end] for h in hits] == ["AF"]


def test_when_drug_defines_short_form_then_only_later_uses_are_new_mentions():
    text = "Methotrexate (MTX) 15 mg weekly; MTX held for AKI."
    hits = defined_abbreviation_hits(text, [_hit(text, "Methotrexate", "MEDICATION")])
    assert [(h.start, text[h.start:h.end]) for h in hits] == [(33, "MTX")]
