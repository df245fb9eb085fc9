"""Relative day words of a note resolved against its date (chat answers)."""

from __future__ import annotations

import pytest

from agent.nlp.relative_dates import day_label, parse_note_date, resolve_relative_dates


# fmt: off
@pytest.mark.parametrize("text, note_date, expected", [
    ("Switch to PO starting today.", "2026-03-16", "Switch to PO starting today (3/16)."),
    ("Apixaban started yesterday per cardiology.", "2026-03-16",
     "Apixaban started yesterday (3/15) per cardiology."),
    ("BMP this morning; recheck tomorrow.", "2026-03-31T07:00:00",
     "BMP this morning (3/31); recheck tomorrow (4/1)."),
    ("Slept flat last night. Today feels better.", "2026-03-01",
     "Slept flat last night (2/28). Today (3/1) feels better."),
    ("Discharge planned for tonight", "2026-03-16", "Discharge planned for tonight (3/16)"),
    ("started today (3/16)", "2026-03-16", "started today (3/16)"),
    ("started today", None, "started today"),
    ("started today", "March 16", "started today"),
    ("POD 2, doing well; todays plan unchanged", "2026-03-16",
     "POD 2, doing well; todays plan unchanged"),
])
# fmt: on
def test_resolve_relative_dates(text, note_date, expected):
    assert resolve_relative_dates(text, note_date) == expected


def test_when_year_differs_from_reference_then_label_has_year():
    assert resolve_relative_dates("seen yesterday", "2026-01-01", reference_year=2026) == (
        "seen yesterday (12/31/2025)")
    assert day_label(parse_note_date("2025-12-31"), 2025) == "12/31"
