"""NAME: patients, relatives and clinicians in any style; eponyms and drugs are not names."""

from __future__ import annotations

import pytest


# fmt: off
@pytest.mark.parametrize("text, expected", [
    ("Patient: Pursglove, Wendell T.     MRN: 00482913", "Pursglove, Wendell T."),
    ("Requesting: Dr. GREVITT (Hospital Medicine)", "Dr. GREVITT"),
    ("Seen by Dr. Ines Marchetti-Voss in clinic.", "Dr. Ines Marchetti-Voss"),
    ("Attending: A. Grevitt, MD", "A. Grevitt"),
    ("Ordering: QUENBY, ROSALIND MD", "QUENBY, ROSALIND"),
    ("Lives with wife Marjorie and two dogs.", "Marjorie"),
    ("Daughter (Nadia) called EMS.", "Nadia"),
    ("-- Delphine Aucoin, RN", "Delphine Aucoin"),
    ("Electronically signed by Mireille Abernathy-Osei, MD on 1/9/2026", "Mireille Abernathy-Osei"),
    ("Mr. Pursglove is a 74-year-old man.", "Mr. Pursglove"),
])
# fmt: on
def test_when_name_has_evidence_then_it_is_found(find_phi, text, expected):
    assert ("NAME", expected) in find_phi(text)


# fmt: off
@pytest.mark.parametrize("text", [
    "PMH: Parkinson's disease on carbidopa-levodopa.",
    "Crohn's disease in remission on adalimumab.",
    "Foley catheter placed; Glasgow Coma Scale 15.",
    "Lactated Ringer's 1 L bolus given. Babinski sign absent.",
    "Started Lasix 40 mg IV and Eliquis 5 mg BID.",
    "Cr 1.3, Mg 1.8, BUN 32. Abd soft. Dispo: home.",
    "Hashimoto's thyroiditis on levothyroxine; Braden score 14.",
])
# fmt: on
def test_when_text_holds_eponyms_drugs_or_labs_then_no_name(find_phi, text):
    assert [p for p in find_phi(text) if p[0] == "NAME"] == []


def test_when_doctor_is_named_parkinson_then_name_but_disease_is_not(find_phi):
    text = "Seen by Dr. Parkinson today for Parkinson's disease follow-up."
    names = [p for p in find_phi(text) if p[0] == "NAME"]
    assert names == [("NAME", "Dr. Parkinson")]  # the title goes with the name
    assert text.index("Parkinson") == text.index("Dr. Parkinson") + 4
