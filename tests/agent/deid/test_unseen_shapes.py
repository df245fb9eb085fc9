"""De-identification of identifier shapes the first recognizers were not written for (issue
20, item 4): worded ages over 89, glued and misspelt labels, table columns typed by their
header, identifiers cut by a line break, compact and unusual date formats, obfuscated
e-mails, defanged links and addresses, device serials after a device noun, clinical-trial
registry numbers, foreign name particles and facilities named with a foreign facility
noun. Every input is an invented note written for this file."""

from __future__ import annotations

import pytest

from agent.deid.labels import glued_label_spans
from agent.deid.recognizers import near_month
from agent.deid.tables import column_spans
from agent.deid.wraps import wrapped_spans


def _has(found: list[tuple[str, str]], etype: str, surface: str) -> bool:
    return (etype, surface) in found


# fmt: off
@pytest.mark.parametrize(("text", "etype", "surface"), [
    # ages over 89 in words
    ("Mrs. Haldane is a ninety-three-year-old widow admitted for syncope.", "AGE",
     "ninety-three"),
    ("HER FATHER IS NINETY SEVEN AND LIVES ALONE.", "AGE", "NINETY SEVEN"),
    ("She turned one hundred and two last spring.", "AGE", "one hundred and two"),
    # compact and unusual dates
    ("Specimen received 20251107, resulted next day.", "DATE", "20251107"),
    ("Letzte Kontrolle am 7.XI.2025 in der Ambulanz.", "DATE", "7.XI.2025"),
    ("Seen 2025.11.07 at the outreach clinic.", "DATE", "2025.11.07"),
    ("Remote check due DEC-14-26 per protocol.", "DATE", "DEC-14-26"),
    ("Witnessed on the 4th day of October, 2025 by the undersigned.", "DATE",
     "4th day of October, 2025"),
    ("Follow-up Fri 27.11.25 with labs.", "DATE", "Fri 27.11.25"),
    ("Admitted Septmber 3, 2025 with cellulitis.", "DATE", "Septmber 3, 2025"),
    # obfuscated e-mails, defanged links and addresses
    ("Write to marek.polanski [at] famnet [dot] example for records.", "EMAIL",
     "marek.polanski [at] famnet [dot] example"),
    ("reply to h.oyinlola(at)letterbox.example please", "EMAIL",
     "h.oyinlola(at)letterbox.example"),
    ("her reading log lives at hxxps://sugarlog[.]example/u/44", "URL",
     "hxxps://sugarlog[.]example/u/44"),
    ("login seen from 203[.]0[.]113[.]9 overnight", "IP_ADDRESS", "203[.]0[.]113[.]9"),
    # device serials after a device noun, trial registry numbers
    ("New transmitter 7QM2ZR paired with the receiver.", "DEVICE", "7QM2ZR"),
    ("Neurostimulator generator s/n NVX-20931-B checked.", "DEVICE", "NVX-20931-B"),
    ("Enrolled in NCT04417720 since the spring.", "ID", "NCT04417720"),
    ("Consent form lists 2023-004412-31 (EudraCT).", "ID", "2023-004412-31"),
    ("Previously on ISRCTN90214473 (stopped).", "ID", "ISRCTN90214473"),
    ("Her mother, in her late nineties, still drives.", "AGE", "nineties"),
    ("Age: ninety-six", "AGE", "ninety-six"),
    ("Pharmacy label printed 1931NOV09 in error.", "DATE", "1931NOV09"),
    ("Return 9/Dec/25 for suture removal.", "DATE", "9/Dec/25"),
    ("Surgery booked for January the 8th, 2026.", "DATE", "January the 8th, 2026"),
    ("send the scans to petra.holm at nordmail.example today", "EMAIL",
     "petra.holm at nordmail.example"),
    ("Consented for NCT 0612 7788 yesterday.", "ID", "NCT 0612 7788"),
    # foreign name particles
    ("Dr. Eoghan Ó Dálaigh reviewed the films.", "NAME", "Dr. Eoghan Ó Dálaigh"),
    ("Patient Yousef ibn Tariq al-Qasimi arrived by car.", "NAME",
     "Yousef ibn Tariq al-Qasimi"),
    # a facility named with a foreign facility noun, alone or in a compound
    ("Transferred from Bergstein Klinik after rehab.", "HOSPITAL", "Bergstein Klinik"),
    ("Records from Aarwald Kantonsspital attached.", "HOSPITAL", "Aarwald Kantonsspital"),
])
# fmt: on
def test_when_an_unseen_shape_is_written_then_it_is_found(find_phi, text, etype, surface):
    assert _has(find_phi(text), etype, surface), find_phi(text)


# fmt: off
@pytest.mark.parametrize(("text", "absent"), [
    ("BP is ninety over sixty, improving.", ("AGE", "ninety")),
    ("Given ninety minutes of observation.", ("AGE", "ninety")),
    ("Insulin pump rate 1.2 units/hr overnight.", ("DEVICE", "1.2")),
    ("Lot of 20251399 boxes was recalled.", ("DATE", "20251399")),
    ("CIWA 0-2 X 48 HRS, then stop.", ("DATE", "2 X 48")),
    ("Trial listed on ClinicalTrials.gov for reference.", ("URL", "ClinicalTrials.gov")),
])
# fmt: on
def test_when_a_look_alike_is_written_then_it_is_not_taken(find_phi, text, absent):
    assert absent not in find_phi(text)


def test_when_a_table_header_names_a_column_then_its_cells_are_typed():
    text = ("| Bay | Resident | Hosp no | Born | Plan |\n"
            "|---|---|---|---|---|\n"
            "| 3 | Ottilie Brandvold | HX-55012 | 1931-02-14 | repeat CXR |\n"
            "| 4 | hospitalist | - | n/a | covering |\n")
    spans = column_spans(text, is_clinical=lambda w: w.lower() in {"hospitalist"})
    found = {(s.entity_type, text[s.start:s.end]) for s in spans}
    assert found == {("NAME", "Ottilie Brandvold"), ("MRN", "HX-55012"),
                     ("DATE", "1931-02-14")}


def test_when_columns_are_aligned_with_spaces_then_the_header_types_them():
    text = ("Patient              Born         Chart no\n"
            "Wendeline Arkwright  1930-08-19   CH-440917\n"
            "Bo Lindahl           1941-03-02   CH-440988\n")
    spans = column_spans(text, is_clinical=lambda w: False)
    found = {(s.entity_type, text[s.start:s.end]) for s in spans}
    assert ("NAME", "Wendeline Arkwright") in found and ("MRN", "CH-440988") in found


def test_when_prose_has_single_spaces_then_no_table_is_read():
    text = "Name of the drug was changed.\nBorn in the spring, she is well.\n"
    assert column_spans(text, is_clinical=lambda w: False) == []


def test_when_a_tab_table_has_ragged_rows_then_they_are_not_typed():
    text = "Name\tRecord no\n\tAnsgar Lund\tRX-1102\nstray line\n"
    assert column_spans(text, is_clinical=lambda w: False) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("Name:TheodoraKwarteng MRN 4410932", ("NAME", "TheodoraKwarteng")),
    ("pt:lindqvist,sanna;dob 3/2/51", ("NAME", "lindqvist,sanna")),
    ("seen with dr.achebe-moss today", ("NAME", "achebe-moss")),
    ("Medcial record: 55-801923", ("MRN", "55-801923")),
    ("- Nephew (POA): Dmitri Salonen, lives nearby", ("NAME", "Dmitri Salonen")),
])
def test_when_a_label_is_glued_or_misspelt_then_the_value_is_found(text, expected):
    spans = glued_label_spans(text, is_clinical=lambda w: False,
                              relations=frozenset({"nephew"}))
    assert expected in {(s.entity_type, text[s.start:s.end]) for s in spans}


def test_when_a_label_is_a_different_word_then_no_record_number_is_taken():
    text = "Medical regimen: 4x daily"
    assert glued_label_spans(text, is_clinical=lambda w: False) == []


def test_when_an_identifier_is_cut_by_a_line_break_then_both_halves_are_found():
    text = "Faxed copy for the patient named Oriel Quenneville-\nTorres, chart no. 7710-\n0045.\n"

    def analyze(window: str):
        out = []
        for surface, etype in (("Quenneville-Torres", "NAME"), ("7710-0045", "MRN")):
            i = window.find(surface)
            if i >= 0:
                out.append((etype, i, i + len(surface), 0.9, "test"))
        return out

    spans = wrapped_spans(text, [], analyze)
    halves = [(s.entity_type, text[s.start:s.end]) for s in spans]
    assert halves == [("NAME", "Quenneville-"), ("NAME", "Torres"), ("MRN", "7710-"),
                      ("MRN", "0045")]


def test_when_a_wrapped_identifier_is_in_a_note_then_the_detector_finds_both_halves(find_phi):
    text = ("DISCHARGE SUMMARY, fax copy received from the outside hospital MRN 41-\n"
            "8830072 discharged home in stable condition.")
    found = find_phi(text)
    assert ("MRN", "41-") in found and ("MRN", "8830072") in found


@pytest.mark.parametrize(("word", "expected"), [
    ("Feburary", True), ("Octobr", True), ("Augsut", True), ("October", False),
    ("mother", False),
])
def test_when_a_month_is_misspelt_by_one_letter_then_it_is_still_a_month(word, expected):
    assert near_month(word) is expected
