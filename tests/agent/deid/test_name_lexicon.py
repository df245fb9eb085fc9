"""Names found by dictionary alone (no title, label or relative), and the clinical and
common words that must never be taken for one."""

from __future__ import annotations

import pytest


def _names(found):
    return [s for t, s in found if t == "NAME"]


# fmt: off
@pytest.mark.parametrize("text, expected", [
    ("Why is Katrine so anxious about the biopsy?", "Katrine"),
    ("Nicole: Remember to bring the glucometer.", "Nicole"),
    ("Visitors today: Kónya, Becker and Vasquez.", "Becker"),
    ("Visitors today: Kónya, Becker and Vasquez.", "Vasquez"),
    ("Marrero and Murphy visited this afternoon.", "Murphy"),
    ("follow up with patricia desrosiers in a couple of months.", "patricia desrosiers"),
    ("I would like to remove my kid Lukas from the consent.", "Lukas"),
    ("What's your last name? Boyle", "Boyle"),
])
# fmt: on
def test_when_name_has_no_cue_then_dictionary_finds_it(find_phi, text, expected):
    # Adjacent names merge into one span ("Kónya, Becker"); the name must be covered.
    assert any(expected in name for name in _names(find_phi(text)))


# fmt: off
@pytest.mark.parametrize("text", [
    "Will start Lasix and Coumadin; Hope to discharge Friday.",
    "Parkinson's disease, Crohn's disease; Foley catheter removed.",
    "Plan: Continue Keppra. Neuro: nonfocal. Lungs: clear.",
    "Endoscopist: see report. Facesheet: reviewed.",
    "Grace period for prior auth; May recheck BMP in 2 days.",
    "Lisinopril and Metoprolol held for hypotension.",
])
# fmt: on
def test_when_word_is_clinical_or_common_then_no_name(find_phi, text):
    assert _names(find_phi(text)) == []


def test_when_title_precedes_eponym_then_it_is_a_name(find_phi):
    found = _names(find_phi("Seen by Dr. Parkinson for Parkinson's disease."))
    assert found == ["Dr. Parkinson"]  # the title goes with the name
