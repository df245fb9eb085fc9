"""MRN, ACCOUNT, HEALTH_PLAN, SSN, LICENSE (NPI/DEA checksums), DEVICE, VEHICLE, ID."""

from __future__ import annotations

import pytest

from agent.deid.recognizers import luhn_ok


# fmt: off
@pytest.mark.parametrize("text, expected", [
    ("MRN: 00482913     DOB: 07/22/1951", ("MRN", "00482913")),
    ("MRN BMC-3317520   ACC CT2601094471", ("MRN", "BMC-3317520")),
    ("Medical record number 7781234", ("MRN", "7781234")),
    ("Acct #: 40021987733", ("ACCOUNT", "40021987733")),
    ("MRN SOR-88120457  FIN 7730015529", ("ACCOUNT", "7730015529")),
    ("member ID KMA-778104629-01", ("HEALTH_PLAN", "KMA-778104629-01")),
    ("Medicare/plan ID 7QW4-TR2-HN81", ("HEALTH_PLAN", "7QW4-TR2-HN81")),
    ("Facesheet: SSN 900-41-7702;", ("SSN", "900-41-7702")),
    ("NPI 1722095837  Cardiology", ("LICENSE", "1722095837")),
    ("MD   DEA BH3390212", ("LICENSE", "BH3390212")),
    ("state license #MD-448812", ("LICENSE", "MD-448812")),
    ("pump interrogated (serial TNP-4471-0098321)", ("DEVICE", "TNP-4471-0098321")),
    ("CGM (sensor ID 8RK4-92QX) data", ("DEVICE", "8RK4-92QX")),
    ("hemoclips (lot HC-2291-0457)", ("DEVICE", "HC-2291-0457")),
    ("drove himself, plate 7XKM-214", ("VEHICLE", "7XKM-214")),
    ("Accession: RAD-26-0314-7781", ("ID", "RAD-26-0314-7781")),
])
# fmt: on
def test_when_identifier_is_written_then_it_is_found(find_phi, text, expected):
    assert expected in find_phi(text)


def test_when_unlabelled_number_fails_npi_luhn_then_no_licence(find_phi):
    assert not [p for p in find_phi("ref 1722095830 sent") if p[0] == "LICENSE"]
    assert luhn_ok("80840" + "1722095837")


def test_when_labelled_npi_fails_luhn_then_it_is_still_removed(find_phi):
    # A number named as an NPI is an identifier whether or not its check digit holds
    # (like an SSN that fails a validity rule).
    assert ("LICENSE", "1722095830") in find_phi("NPI 1722095830")


def test_when_dea_check_digit_is_wrong_then_no_result(find_phi):
    assert not [p for p in find_phi("DEA BH3390213") if p[0] == "LICENSE"]


def test_when_ssn_area_is_invalid_then_the_written_number_is_still_an_ssn(find_phi):
    # Safe Harbor removes the number as written: an SSN the SSA could not have issued
    # (area 000, 666, 9xx) still identifies whoever wrote it down.
    found = find_phi("numbers 666-12-3456 and 900-12-3456, SSN 987 65 4321")
    assert found == [("SSN", "666-12-3456"), ("SSN", "900-12-3456"), ("SSN", "987 65 4321")]
