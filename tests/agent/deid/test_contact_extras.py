"""International phone groupings with a calling cue, labelled cards, IBANs and licences."""

from __future__ import annotations

import pytest


# fmt: off
@pytest.mark.parametrize("text, expected", [
    ("Please have the daughter call me at 0494 92 82 32 tomorrow.", ("PHONE", "0494 92 82 32")),
    ("They're not answering at 78 651 450", ("PHONE", "78 651 450")),
    ("Son: 416 60 039 office", ("PHONE", "416 60 039")),
    ("card number 630427373398 is lost", ("ACCOUNT", "630427373398")),
    ("my iban is gb42nawi04454264788619", ("ACCOUNT", "gb42nawi04454264788619")),
    ("my driver's license number is 2270-66-1551", ("LICENSE", "2270-66-1551")),
    ("ZIP: 394 13", ("ZIP", "394 13")),
])
# fmt: on
def test_when_identifier_has_a_cue_then_it_is_found(find_phi, text, expected):
    assert expected in find_phi(text)


# fmt: off
@pytest.mark.parametrize("text", [
    "BP 128 74 HR 88 office visit in 2 weeks.",
    "Call at 4 pm if pain 7 10.",
    "Card 12 of 20 reviewed.",
])
# fmt: on
def test_when_numbers_are_clinical_then_no_contact(find_phi, text):
    assert [p for p in find_phi(text) if p[0] in ("PHONE", "FAX", "ACCOUNT")] == []
