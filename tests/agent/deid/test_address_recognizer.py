"""Addresses in non-US formats, the town and postcode lines of an address block, and the
clinical look-alikes that must stay untouched."""

from __future__ import annotations

import pytest

RUA = "Daughter lives at 86036 Rua do Arenque 1634, Goiânia"
CORNER = "Son lives at the corner of Dalbraut 99 and Frederikke Coves."
BLOCK = "Mailing address:\n4844 Søndergade 52\n Apt. 656\n Brønderslev\n\n Denmark 35018"


# fmt: off
@pytest.mark.parametrize("text, expected", [
    (RUA, ("STREET_ADDRESS", "86036 Rua do Arenque 1634")),
    (RUA, ("CITY", "Goiânia")),
    ("Home address: 5049 Harjukuja 54, SEINÄJOKI", ("CITY", "SEINÄJOKI")),
    (BLOCK, ("STREET_ADDRESS", "4844 Søndergade 52")),
    (BLOCK, ("STREET_ADDRESS", "Apt. 656")),
    (BLOCK, ("CITY", "Brønderslev")),
    (CORNER, ("STREET_ADDRESS", "Dalbraut 99 and Frederikke Coves")),
    ("Moved here from Quinta de São Tiago 3610-114 last year.", ("CITY", "Quinta de São Tiago")),
    ("Moved here from Quinta de São Tiago 3610-114 last year.", ("ZIP", "3610-114")),
    ("Pt flew to LEPPEN on Tuesday morning.", ("CITY", "LEPPEN")),
    ("Pt grew up in SUND.", ("CITY", "SUND")),
    ("I am in Rohod for a business trip", ("CITY", "Rohod")),
])
# fmt: on
def test_when_address_part_is_written_then_it_is_found(find_phi, text, expected):
    assert expected in find_phi(text)


# fmt: off
@pytest.mark.parametrize("text", [
    "CAD s/p PCI with DES to LAD 2019 after anterior STEMI.",
    "Moved to ICU overnight; returned to OR at 14:00.",
    "Take 2 Tylenol 325 mg tabs.",
    "Transferred to Rehab 4 West, Bed 12.",
    "Lives in MN; visited Canada last year.",
])
# fmt: on
def test_when_clinical_text_looks_like_a_place_then_no_address(find_phi, text):
    assert [p for p in find_phi(text) if p[0] in ("STREET_ADDRESS", "CITY", "ZIP")] == []
