"""PHONE, FAX, EMAIL, URL, IP_ADDRESS in several formats."""

from __future__ import annotations

import pytest


# fmt: off
@pytest.mark.parametrize("text, expected", [
    ("Cardiology office (555) 013-4410", ("PHONE", "(555) 013-4410")),
    ("HCP son, cell 555-016-4481.", ("PHONE", "555-016-4481")),
    ("call 555.019.3300 ext 12", ("PHONE", "555.019.3300 ext 12")),
    ("reach her at +44 20 7946 0958", ("PHONE", "+44 20 7946 0958")),
    ("call 555-019-3300, fax 555-019-3399", ("FAX", "555-019-3399")),
    ("this summary faxed to (555) 012-8839", ("FAX", "(555) 012-8839")),
    ("questions to beatrix.ov57@mailbox.example", ("EMAIL", "beatrix.ov57@mailbox.example")),
    ("portal: https://mychart.example.org/p/3317520; call", ("URL", "https://mychart.example.org/p/3317520")),
    ("see www.clinic-example.org/forms.", ("URL", "www.clinic-example.org/forms")),
    ("last sync from 203.0.113.58).", ("IP_ADDRESS", "203.0.113.58")),
    ("device at 2001:db8::8a2e:370:7334 online", ("IP_ADDRESS", "2001:db8::8a2e:370:7334")),
])
# fmt: on
def test_when_contact_detail_is_written_then_it_is_found(find_phi, text, expected):
    assert expected in find_phi(text)


def test_when_time_has_seconds_or_ip_octet_is_too_big_then_no_ip(find_phi):
    assert not [p for p in find_phi("at 10:30:15, value 300.1.2.3") if p[0] == "IP_ADDRESS"]
