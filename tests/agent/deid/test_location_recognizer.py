"""STREET_ADDRESS, CITY, ZIP, HOSPITAL; states and services are not PHI."""

from __future__ import annotations

import pytest

ADDRESS = "Lab, 410 Quarry Lane, Tarrowfield, ST 55918"
LIVES = "Lives with daughter at 88 Heron Bluff Rd, Apt 3C, Lindenvale 55734."


# fmt: off
@pytest.mark.parametrize("text, expected", [
    (ADDRESS, ("STREET_ADDRESS", "410 Quarry Lane")),
    (ADDRESS, ("CITY", "Tarrowfield")),
    (ADDRESS, ("ZIP", "55918")),
    (LIVES, ("STREET_ADDRESS", "88 Heron Bluff Rd, Apt 3C")),
    (LIVES, ("CITY", "Lindenvale")),
    ("SHx: Married, lives in Harrowgate Falls, works as a teacher.", ("CITY", "Harrowgate Falls")),
    ("Recent flight from Port Ellery 2 wks ago", ("CITY", "Port Ellery")),
    ("Fernhollow General Hospital - ED", ("HOSPITAL", "Fernhollow General Hospital")),
    ("FERNHOLLOW GENERAL HOSPITAL RADIOLOGY", ("HOSPITAL", "FERNHOLLOW GENERAL HOSPITAL")),
    ("Follow-up: St. Odilia Diabetes Center, Dr. Hu", ("HOSPITAL", "St. Odilia Diabetes Center")),
    ("Arrived from Willowmere Assisted Living", ("HOSPITAL", "Willowmere Assisted Living")),
])
# fmt: on
def test_when_place_is_written_then_it_is_found(find_phi, text, expected):
    assert expected in find_phi(text)


def test_when_clinic_is_a_generic_service_then_no_hospital(find_phi):
    found = find_phi("Follow up in Heart & Vascular Clinic; Stroke Service aware. Lives in MN.")
    assert [p for p in found if p[0] in ("HOSPITAL", "CITY")] == []
