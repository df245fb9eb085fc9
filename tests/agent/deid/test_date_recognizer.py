"""DATE: every element more specific than the year; years, times, ratios and doses are not."""

from __future__ import annotations

import pytest


# fmt: off
@pytest.mark.parametrize("text, expected", [
    ("Arrival: 3/14/2026 02:41", "3/14/2026"),
    ("Seen 3/14 with volume overload", "3/14"),
    ("Date: 15-Mar", "15-Mar"),
    ("Admission: March 14th   Discharge: later", "March 14th"),
    ("Admit 2026-03-14  Discharge 2026-03-18", "2026-03-14"),
    ("Admitted: 8-Jan-2026 22:40", "8-Jan-2026"),
    ("A1c 8.1% in Nov 2025, on pump therapy", "Nov 2025"),
    ("DOB: 19 May 1991", "19 May 1991"),
    ("EF 30% on TTE 08/2025", "08/2025"),
    ("switched to oral furosemide on the 16th.", "16th"),
    ("Admit: April 3, 2026", "April 3, 2026"),
    ("clinic visit Friday 7/10 at noon", "Friday 7/10"),
])
# fmt: on
def test_when_date_is_written_then_it_is_found(find_phi, text, expected):
    assert ("DATE", expected) in find_phi(text)


# fmt: off
@pytest.mark.parametrize("text", [
    "s/p PCI to LAD (2019), on BiPAP 12/5 overnight.",
    "Carbidopa-levodopa 25/100 TID; BP 142/88; pain 7/10.",
    "Strength 5/5 bilaterally; 2/6 SEM at RUSB.",
    "Take 1/2 tab nightly; insulin ICR 1:10; epinephrine 1:10,000.",
    "Arrived at 02:41, HD#3, x 5 days.",
    "hypercapnic respiratory failure 2/2 COPD exacerbation",
])
# fmt: on
def test_when_number_only_looks_like_a_date_then_no_date(find_phi, text):
    assert [p for p in find_phi(text) if p[0] == "DATE"] == []
