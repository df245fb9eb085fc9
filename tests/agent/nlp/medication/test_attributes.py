"""Tests of medication attribute linking and of the lexicon file validation."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

from agent.errors import RuleFileError
from agent.nlp.medication.attributes import find_medication_attributes
from agent.nlp.medication.lexicon import RULES_FILE, load_lexicon
from agent.schemas.extraction import MEDICATION_ATTRIBUTES, Attribute

# Drug names the synthetic notes use; the real spans come from the entity extractor.
_DRUGS = re.compile(
    r"\b(?:metoprolol tartrate|metoprolol|lisinopril|furosemide|lasix|acetaminophen|heparin|"
    r"insulin glargine|albuterol|ceftriaxone|vancomycin|prednisone|methotrexate|cefazolin|"
    r"oxycodone|ondansetron|nitroglycerin|enoxaparin|timolol|fentanyl|amoxicillin|warfarin|"
    r"aspirin|potassium chloride|tylenol|fluticasone|amiodarone|adenosine|docusate|apixaban|"
    r"gabapentin|cisplatin|trazodone|etoposide|bortezomib|interferon alfa|ketamine|rifampin|"
    r"isotretinoin|tamoxifen|epirubicin|doxycycline|adalimumab|alendronate|pancrelipase|levothyroxine|"
    r"buprenorphine-naloxone|hydrocortisone-pramoxine|"
    r"carbidopa-levodopa|epinephrine|norepinephrine|insulin aspart|insulin lispro|LR|"
    r"albuterol-ipratropium|pantoprazole|varenicline|allopurinol|hydrochlorothiazide|KCl|ciprofloxacin)\b",
    re.IGNORECASE,
)


def _attributes(text: str) -> list[dict[str, Attribute]]:
    spans = [m.span() for m in _DRUGS.finditer(text)]
    return find_medication_attributes(text, spans)


def _values(found: dict[str, Attribute]) -> dict[str, tuple[str, str | None]]:
    return {name: (a.text, a.value) for name, a in found.items()}


# Spans follow the demo corpus guideline (evals/data/synthetic/GUIDELINES.md, n2c2 2018 style):
# strength keeps its unit; a dose is the number alone, its unit word is "unit" (or "form" for
# tablets and capsules); a duration keeps its cue.
# fmt: off
@pytest.mark.parametrize("text, expected", [
    ("Metoprolol tartrate 25 mg PO BID",
     {"strength": ("25 mg", "25 mg"), "route": ("PO", "oral"), "frequency": ("BID", "BID")}),
    ("lisinopril 10mg daily",
     {"strength": ("10mg", "10 mg"), "frequency": ("daily", "DAILY")}),
    ("acetaminophen 650 mg PO q6h PRN pain",
     {"strength": ("650 mg", "650 mg"), "route": ("PO", "oral"), "frequency": ("q6h", "Q6H"),
      "prn": ("PRN", "true"), "indication": ("pain", "pain")}),
    ("Heparin 5,000 units SQ q8h",
     {"dose": ("5,000", "5000"), "unit": ("units", "units"), "route": ("SQ", "subcutaneous"),
      "frequency": ("q8h", "Q8H")}),
    ("insulin glargine 20 units subcut qhs",
     {"dose": ("20", "20"), "unit": ("units", "units"), "route": ("subcut", "subcutaneous"),
      "frequency": ("qhs", "QHS")}),
    ("albuterol 2 puffs inh q4h prn wheezing",
     {"dose": ("2", "2"), "unit": ("puffs", "puff"), "route": ("inh", "inhaled"),
      "frequency": ("q4h", "Q4H"), "prn": ("prn", "true"),
      "indication": ("wheezing", "wheezing")}),
    ("ceftriaxone 1 g IV daily x 7 days",
     {"strength": ("1 g", "1 g"), "route": ("IV", "IV"), "frequency": ("daily", "DAILY"),
      "duration": ("x 7 days", "7 days")}),
    ("Increase metoprolol to 50 mg BID",
     {"strength": ("50 mg", "50 mg"), "frequency": ("BID", "BID")}),
    ("Increased metoprolol from 25 mg to 50 mg twice a day.",
     {"strength": ("50 mg", "50 mg"), "frequency": ("twice a day", "BID")}),
    ("She was treated with oral prednisone 60 mg/day for 2 weeks.",
     {"strength": ("60 mg/day", "60 mg/day"), "route": ("oral", "oral"),
      "duration": ("for 2 weeks", "2 weeks")}),
    ("after intravenous methotrexate (12 g/m2)",
     {"strength": ("12 g/m2", "12 g/m2"), "route": ("intravenous", "IV")}),
    ("Given 2 g of cefazolin before incision.",
     {"strength": ("2 g", "2 g")}),
    ("Oxycodone 5 mg 1-2 tablets by mouth every 4 to 6 hours as needed for pain for five days",
     {"strength": ("5 mg", "5 mg"), "dose": ("1-2", "1-2"), "form": ("tablets", "tablet"),
      "route": ("by mouth", "oral"), "frequency": ("every 4 to 6 hours", "Q4-6H"),
      "duration": ("for five days", "5 days"), "prn": ("as needed", "true"),
      "indication": ("pain", "pain")}),
    ("Ondansetron 4 mg ODT q4-6h prn nausea",
     {"strength": ("4 mg", "4 mg"), "form": ("ODT", "tablet"), "frequency": ("q4-6h", "Q4-6H"),
      "prn": ("prn", "true"), "indication": ("nausea", "nausea")}),
    ("Enoxaparin 40 mg subcutaneously once daily until follow-up",
     {"strength": ("40 mg", "40 mg"), "route": ("subcutaneously", "subcutaneous"),
      "frequency": ("once daily", "DAILY"), "duration": ("until follow-up", "until follow-up")}),
    ("Timolol 0.5% 1 drop OU BID",
     {"strength": ("0.5%", "0.5%"), "dose": ("1", "1"), "unit": ("drop", "drop"),
      "route": ("OU", "ophthalmic"), "frequency": ("BID", "BID")}),
    ("Fentanyl 25 mcg/hr patch transdermal q72h",
     {"strength": ("25 mcg/hr", "25 mcg/hour"), "form": ("patch", "patch"),
      "route": ("transdermal", "transdermal"), "frequency": ("q72h", "Q72H")}),
    ("fentanyl 50 mcg/h infusion",
     {"dose": ("50", "50"), "unit": ("mcg/h", "mcg/hour"), "form": ("infusion", "infusion")}),
    ("Amoxicillin 500 mg capsule, take two capsules three times a day for two weeks",
     {"strength": ("500 mg", "500 mg"), "dose": ("two", "2"), "form": ("capsules", "capsule"),
      "frequency": ("three times a day", "TID"), "duration": ("for two weeks", "2 weeks")}),
    ("Metoprolol seventy-five milligrams daily",
     {"strength": ("seventy-five milligrams", "75 mg"), "frequency": ("daily", "DAILY")}),
    ("Lisinopril forty mg daily",
     {"strength": ("forty mg", "40 mg"), "frequency": ("daily", "DAILY")}),
    ("Potassium chloride 40 mEq PO once",
     {"strength": ("40 mEq", "40 mEq"), "route": ("PO", "oral"), "frequency": ("once", "ONCE")}),
    ("Potassium chloride 20 mEq PO x2",
     {"strength": ("20 mEq", "20 mEq"), "route": ("PO", "oral"), "frequency": ("x2", "2 DOSES")}),
    ("Docusate 100 mg/10 mL solution 10 mL PO QAM",
     {"strength": ("100 mg/10 mL", "100 mg/10 mL"), "dose": ("10", "10"), "unit": ("mL", "mL"),
      "form": ("solution", "solution"), "route": ("PO", "oral"), "frequency": ("QAM", "QAM")}),
    ("Nitroglycerin 0.4 mg SL q5min prn chest pain",
     {"strength": ("0.4 mg", "0.4 mg"), "route": ("SL", "SL"), "frequency": ("q5min", "Q5MIN"),
      "prn": ("prn", "true"), "indication": ("chest pain", "chest pain")}),
    ("Fluticasone 50 mcg/spray 2 sprays each nostril daily",
     {"strength": ("50 mcg/spray", "50 mcg/actuation"), "dose": ("2", "2"),
      "unit": ("sprays", "spray"), "route": ("each nostril", "intranasal"),
      "frequency": ("daily", "DAILY")}),
    ("Fluticasone 250/50 mcg 1 inhalation BID",
     {"strength": ("250/50 mcg", "250/50 mcg"), "dose": ("1", "1"),
      "unit": ("inhalation", "puff"), "frequency": ("BID", "BID")}),
    ("warfarin 5 mg PO qPM, hold for INR > 3",
     {"strength": ("5 mg", "5 mg"), "route": ("PO", "oral"), "frequency": ("qPM", "QPM")}),
    ("Metoprolol Tartrate 25 mg Tablet Sig: One (1) Tablet PO BID (2 times a day).",
     {"strength": ("25 mg", "25 mg"), "dose": ("One (1)", "1"), "form": ("Tablet", "tablet"),
      "route": ("PO", "oral"), "frequency": ("BID", "BID")}),
    ("vancomycin 1 g IV q12h x 3 doses",
     {"strength": ("1 g", "1 g"), "route": ("IV", "IV"), "frequency": ("q12h", "Q12H"),
      "duration": ("x 3 doses", "3 doses")}),
    ("aspirin 81 daily",
     {"strength": ("81", "81"), "frequency": ("daily", "DAILY")}),
    ("Carbidopa-levodopa 25/100 1.5 tabs PO TID",
     {"strength": ("25/100", "25/100"), "dose": ("1.5", "1.5"), "form": ("tabs", "tablet"),
      "route": ("PO", "oral"), "frequency": ("TID", "TID")}),
    ("Epinephrine 1:10,000 6 mL injected",
     {"strength": ("1:10,000", "1:10000"), "dose": ("6", "6"), "unit": ("mL", "mL")}),
    ("heparin gtt at 1,200 units/hr",
     {"dose": ("1,200", "1200"), "unit": ("units/hr", "units/hour"), "form": ("gtt", "drip")}),
    ("Norepinephrine started at 0.05 mcg/kg/min",
     {"dose": ("0.05", "0.05"), "unit": ("mcg/kg/min", "mcg/kg/minute")}),
    ("heparin drip per weight-based nomogram",
     {"form": ("drip", "drip")}),
    ("Albuterol-ipratropium nebs q4h",
     {"form": ("nebs", "nebulizer"), "frequency": ("q4h", "Q4H")}),
    ("insulin glargine 100 units/mL pen: inject 14 units under the skin at bedtime",
     {"strength": ("100 units/mL", "100 units/mL"), "dose": ("14", "14"),
      "unit": ("units", "units"), "form": ("pen", "pen"),
      "route": ("under the skin", "subcutaneous"), "frequency": ("at bedtime", "QHS")}),
    ("insulin aspart via pump (basal 0.9 units/h)",
     {"route": ("via pump", "subcutaneous"), "dose": ("0.9", "0.9"),
      "unit": ("units/h", "units/hour")}),
    ("LR 2 L IV bolus",
     {"dose": ("2", "2"), "unit": ("L", "L"), "route": ("IV", "IV")}),
    ("a 7-day course of amoxicillin",
     {"duration": ("7-day course", "7 days")}),
    ("prednisone 40 mg PO daily to finish a 5-day course",
     {"strength": ("40 mg", "40 mg"), "route": ("PO", "oral"), "frequency": ("daily", "DAILY"),
      "duration": ("5-day course", "5 days")}),
    ("prednisone 30 mg PO daily through 3/20, then stop",
     {"strength": ("30 mg", "30 mg"), "route": ("PO", "oral"), "frequency": ("daily", "DAILY"),
      "duration": ("through 3/20", "through 3/20")}),
    ("pantoprazole infusion to complete 72 h",
     {"form": ("infusion", "infusion"), "duration": ("to complete 72 h", "72 hours")}),
    ("Varenicline 0.5 mg PO daily x3 days",
     {"strength": ("0.5 mg", "0.5 mg"), "route": ("PO", "oral"), "frequency": ("daily", "DAILY"),
      "duration": ("x3 days", "3 days")}),
    ("completed 3 weeks of oral prednisone therapy",
     {"route": ("oral", "oral"), "duration": ("3 weeks", "3 weeks")}),
    ("Patient reports chronic aspirin use.",
     {"duration": ("chronic", "chronic")}),
    ("Adenosine 6 mg rapid IV push given.",
     {"strength": ("6 mg", "6 mg"), "route": ("IV push", "IV")}),
    ("Warfarin 3 mg PO daily at 5 PM",
     {"strength": ("3 mg", "3 mg"), "route": ("PO", "oral"),
      "frequency": ("daily at 5 PM", "DAILY")}),
    ("insulin lispro SQ sliding scale AC/HS",
     {"route": ("SQ", "subcutaneous"), "frequency": ("AC/HS", "AC/HS")}),
    ("Apixaban 5 mg tablet - take 1 tablet by mouth twice a day atrial fibrillation",
     {"strength": ("5 mg", "5 mg"), "dose": ("1", "1"), "form": ("tablet", "tablet"),
      "route": ("by mouth", "oral"), "frequency": ("twice a day", "BID"),
      "indication": ("atrial fibrillation", "atrial fibrillation")}),
])
# fmt: on
def test_when_list_style_given_then_attributes_match(text: str, expected: dict) -> None:
    (found,) = _attributes(text)
    assert _values(found) == expected


def test_when_bracketed_alias_follows_then_both_names_share_attributes() -> None:
    text = "Furosemide (Lasix) 40 mg IV x1"
    furosemide, lasix = _attributes(text)
    expected = {"strength": ("40 mg", "40 mg"), "route": ("IV", "IV"),
                "frequency": ("x1", "ONCE")}
    assert _values(furosemide) == expected
    assert _values(lasix) == expected


# fmt: off
@pytest.mark.parametrize("text, expected_strengths", [
    ("metoprolol 25 mg BID lisinopril 10 mg daily", ["25 mg", "10 mg"]),
    ("He was started on vancomycin 1.25 g IV q12h and ceftriaxone 2 g IV q24h.",
     ["1.25 g", "2 g"]),
    ("aspirin 81 mg daily, 12 mg of adenosine", ["81 mg", "12 mg"]),
    ("Medications:\n- metoprolol 25 mg PO BID\n- lisinopril\n- aspirin 81 mg daily",
     ["25 mg", None, "81 mg"]),
    ("1. Tylenol 650 mg PO q6h prn\n2. Warfarin\n3. Docusate 100 mg BID",
     ["650 mg", None, "100 mg"]),
])
# fmt: on
def test_when_several_drugs_then_none_steals_another_ones_attributes(
    text: str, expected_strengths: list[str | None]
) -> None:
    found = _attributes(text)
    assert [f["strength"].text if "strength" in f else None for f in found] == expected_strengths


def test_when_two_drugs_share_a_line_then_frequencies_stay_with_their_drug() -> None:
    metoprolol, lisinopril = _attributes("metoprolol 25 mg BID lisinopril 10 mg daily")
    assert metoprolol["frequency"].value == "BID"
    assert lisinopril["frequency"].value == "DAILY"


# fmt: off
@pytest.mark.parametrize("text", [
    "Patient takes aspirin.",
    "Allergic to amoxicillin (rash). Labs notable for Na 130 mEq/L.",
    "Continue home warfarin. Follow up in 2 weeks.",
    "Home medications: aspirin\nPlan: 2 tabs of something else",
    "Stage IV lymphoma was treated with methotrexate.",
])
# fmt: on
def test_when_no_attribute_is_written_then_dict_is_empty(text: str) -> None:
    assert _attributes(text)[-1] == {}


# fmt: off
@pytest.mark.parametrize("text, absent", [
    # After a mass strength, a volume is an output or a fluid balance, not the dose.
    ("furosemide 40 mg IV x1 with 900 mL UOP", {"dose", "unit"}),
    ("Furosemide 40 mg IV BID, goal net -1 to -2 L/day", {"dose", "unit"}),
    # "once" as a conjunction is not a single dose.
    ("Add KCl to fluids once K < 5.0", {"frequency"}),
    ("Switch to ciprofloxacin PO once clinically stable", {"frequency"}),
    # A date right after the name is not a combination strength; ICR 1:10 is not a dilution.
    ("Started warfarin 3/15.", {"strength"}),
    ("insulin aspart via pump (ICR 1:10)", {"strength"}),
    # A semicolon ends the instruction; "stopped ... for" gives the reason for stopping.
    ("Continue allopurinol; monitor for gout flare with diuresis", {"indication"}),
    ("Previously on hydrochlorothiazide, stopped 2023 for hyponatremia", {"indication"}),
    # Purposes that are not conditions, and words after a sig that are not an indication.
    ("metoprolol tartrate 25 mg PO q6h for titration", {"indication"}),
    ("metoprolol 25 mg PO BID now", {"indication"}),
    ("heparin 5,000 units SQ q8h for ppx only", {"indication"}),
    ("metoprolol 25 mg PO BID lisinopril", {"indication"}),
])
# fmt: on
def test_when_phrase_only_looks_like_an_attribute_then_it_is_not_reported(
    text: str, absent: set[str]
) -> None:
    found = _attributes(text)[0]
    assert not absent & set(found), _values(found)


def test_when_attributes_found_then_offsets_point_at_their_text() -> None:
    text = (
        "HOSPITAL COURSE: Started on ceftriaxone 1 g IV daily x 7 days for CAP.\n"
        "DISCHARGE MEDICATIONS:\n"
        "1. Metoprolol tartrate 25 mg tablet, 1 tab PO BID\n"
        "2. Albuterol 90 mcg/actuation 2 puffs inh q4-6h prn wheezing or shortness of breath\n"
        "3. Insulin glargine 20 units subcut qhs\n"
        "4. Oxycodone 5 mg 1-2 tabs PO q4h as needed for severe pain x 5 days\n"
    )
    found = _attributes(text)
    assert len(found) == 5
    assert all(found)
    for attributes in found:
        assert set(attributes) <= set(MEDICATION_ATTRIBUTES)
        for attribute in attributes.values():
            assert text[attribute.start:attribute.end] == attribute.text
    assert found[0]["indication"].text == "CAP"
    assert found[2]["indication"].text == "wheezing or shortness of breath"


def test_when_spans_are_unsorted_then_results_follow_input_order() -> None:
    text = "lisinopril 10 mg daily; metoprolol 25 mg BID"
    spans = [m.span() for m in _DRUGS.finditer(text)]
    reversed_results = find_medication_attributes(text, list(reversed(spans)))
    assert [r["strength"].text for r in reversed_results] == ["25 mg", "10 mg"]


def test_when_no_drugs_then_no_results_and_bad_span_raises() -> None:
    assert find_medication_attributes("metoprolol 25 mg", []) == []
    with pytest.raises(ValueError, match="outside"):
        find_medication_attributes("short", [(0, 50)])


def _shipped_rules() -> dict:
    text = resources.files("agent.rules").joinpath(RULES_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "medication_attributes.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# fmt: off
@pytest.mark.parametrize("bad_entry, problem", [
    ({"kind": "term", "attribute": "colour", "pattern": "red", "value": "red"},
     "unknown attribute"),
    ({"kind": "term", "attribute": "route", "pattern": "po(", "value": "oral"},
     "invalid regex"),
    ({"kind": "term", "attribute": "route", "pattern": "po", "value": "oral", "weight": 2},
     "Extra inputs"),
    ({"kind": "synonym", "pattern": "po"}, "Input should be 'term'"),
    ({"kind": "term", "attribute": "frequency", "pattern": "q(?P<n>\\d)h", "value": "Q{m}H"},
     "does not name"),
    ({"kind": "strength_unit", "pattern": "mg"}, "needs a value"),
    ({"kind": "count_unit", "pattern": "puffs?", "value": "puff"},
     "needs a value and an attribute"),
    ({"kind": "count_unit", "attribute": "route", "pattern": "puffs?", "value": "puff"},
     "needs a value and an attribute"),
])
# fmt: on
def test_when_rule_entry_is_invalid_then_error_names_file_and_index(
    tmp_path: Path, bad_entry: dict, problem: str
) -> None:
    data = _shipped_rules()
    entries = data["medication_attribute_rules"]
    entries.append(bad_entry)
    with pytest.raises(RuleFileError, match=problem) as info:
        load_lexicon(_write(tmp_path, data))
    assert info.value.index == len(entries) - 1
    assert info.value.path.endswith("medication_attributes.json")


def test_when_top_level_key_is_unknown_then_rule_file_error(tmp_path: Path) -> None:
    data = _shipped_rules()
    data["extra_rules"] = []
    with pytest.raises(RuleFileError, match="top-level key") as info:
        load_lexicon(_write(tmp_path, data))
    assert info.value.index is None


def test_when_rule_file_is_missing_then_rule_file_error(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="not found"):
        load_lexicon(tmp_path / "absent.json")


def test_when_custom_lexicon_given_then_its_terms_are_used(tmp_path: Path) -> None:
    data = _shipped_rules()
    data["medication_attribute_rules"].append(
        {"kind": "term", "attribute": "route", "pattern": "per\\s+stoma", "value": "stoma"})
    lexicon = load_lexicon(_write(tmp_path, data))
    text = "metoprolol 25 mg per stoma"
    (found,) = find_medication_attributes(text, [(0, 10)], lexicon=lexicon)
    assert found["route"].value == "stoma"


@pytest.mark.parametrize(("text", "dose"), [
    ("Pneumonitis followed high-dose methotrexate for lymphoma.", "high-dose"),
    ("She took an amiodarone overdose at home.", "overdose"),
    ("Neuropathy appeared on low dose amiodarone.", "low dose"),
])
def test_when_an_amount_is_qualitative_then_it_is_the_dose(text: str, dose: str) -> None:
    # PHEE labels these amounts as Dosage; the value is the words as written.
    assert _attributes(text)[0]["dose"].text == dose


def test_when_a_numeric_amount_is_described_then_the_description_is_no_dose() -> None:
    # "full dose" describes the 5 mg already written (demo guideline: strength only).
    found = _attributes("apixaban 5 mg PO BID (full dose: age <80)")[0]
    assert found["strength"].text == "5 mg" and "dose" not in found


def test_when_a_dose_changes_from_one_number_word_to_another_then_no_part_is_read_as_a_dose(
) -> None:
    # "two" inside "twenty-two" is no amount (it was read as the range "2-26")
    (found,) = _attributes("Metoprolol raised from twenty-two to twenty-six mg.")
    assert all(a.value != "2-26" and not a.text.startswith("two") for a in found.values())


@pytest.mark.parametrize(("text", "duration"), [
    ("He had taken lisinopril for several weeks before the visit.", "for several weeks"),
    ("Hearing loss followed a brief course of ciprofloxacin.", "brief course"),
    ("Neuropathy appeared in the second month of amiodarone therapy.", "second month"),
    ("Rash began on the 17th day of allopurinol.", "17th day"),
])
def test_when_a_course_length_has_no_number_or_is_a_position_then_it_is_the_duration(
        text: str, duration: str) -> None:
    # Qualitative lengths and the position in the course (PHEE Duration), general shapes.
    assert _attributes(text)[0]["duration"].text == duration


def test_when_a_course_day_is_counted_in_a_note_then_it_is_no_duration() -> None:
    # The demo guideline leaves "day 2 of vancomycin" (where the course is) unlabelled.
    assert "duration" not in _attributes("Cellulitis improving on day 2 of vancomycin.")[0]


def test_when_a_course_is_indefinite_then_a_article_is_no_count() -> None:
    # "a course of steroids" says nothing of its length.
    assert "duration" not in _attributes("He required a course of prednisone.")[0]


@pytest.mark.parametrize("text", [
    "Hepatitis was diagnosed after 14 months of methotrexate.",
    "Tremor began following six weeks of amiodarone therapy.",
    "Hyperkalemia developed after about 10 days of lisinopril treatment.",
    "Her INR was 4.1 at 2 weeks of warfarin.",
    "Colitis followed, after a short course of amoxicillin.",
    "Ototoxicity was noted after the third cycle of vancomycin.",
])
def test_when_a_length_leads_to_an_event_then_it_is_elapsed_time_not_a_duration(
        text: str) -> None:
    # "after N weeks of X": the latency from the start of the drug to the event, not how long
    # the drug was given (it may go on).
    assert "duration" not in _attributes(text)[0]


@pytest.mark.parametrize(("text", "duration"), [
    ("She received 14 months of methotrexate.", "14 months"),
    ("Tremor began during the third week of amiodarone therapy.", "third week"),
    ("Hyperkalemia developed on lisinopril for 10 days.", "for 10 days"),
])
def test_when_a_length_is_not_led_by_after_then_it_stays_the_duration(
        text: str, duration: str) -> None:
    assert _attributes(text)[0]["duration"].text == duration


@pytest.mark.parametrize(("text", "duration"), [
    ("vancomycin 1.5 g IV over 90 min q12h", None),
    ("amiodarone 150 mg infused over approximately 2 hours", None),
    ("fentanyl 50 mcg IV over 3 minutes", None),
    ("prednisone taper over 10 days", "over 10 days"),
    ("heparin drip over the next 48 h", "over the next 48 h"),
])
def test_when_over_counts_minutes_or_hours_then_it_is_the_administration_time(
        text: str, duration: str | None) -> None:
    # An infusion time says how long one administration takes, not the length of the course.
    found = _attributes(text)[0].get("duration")
    assert (found.text if found else None) == duration


@pytest.mark.parametrize(("text", "duration", "value"), [
    ("Continue amoxicillin for seventeen days.", "for seventeen days", "17 days"),
    ("Give ceftriaxone daily for 3 consecutive days.", "for 3 consecutive days", "3 days"),
    ("Extend apixaban for a further 6 weeks.", "for a further 6 weeks", "6 weeks"),
    ("A prednisone taper lasting two weeks was started.", "lasting two weeks", "2 weeks"),
    ("Warfarin for a period of 3 months.", "for a period of 3 months", "3 months"),
    ("Enoxaparin for the remainder of the pregnancy.", "for the remainder of the pregnancy",
     None),
    ("Lisinopril for life.", "for life", None),
])
def test_when_a_course_length_is_worded_then_it_is_the_duration(
        text: str, duration: str, value: str | None) -> None:
    found = _attributes(text)[0]["duration"]
    assert found.text == duration
    assert value is None or found.value == value


def test_when_life_starts_a_compound_then_it_is_no_duration() -> None:
    assert "duration" not in _attributes("Epinephrine for life-threatening anaphylaxis.")[0]


@pytest.mark.parametrize(("text", "strength", "value"), [
    ("gabapentin 300 mg to 600 mg PO TID", "300 mg to 600 mg", "300-600 mg"),
    ("enoxaparin 1 mg/kg to 1.5 mg/kg SQ", "1 mg/kg to 1.5 mg/kg", "1-1.5 mg/kg"),
    ("buprenorphine-naloxone 12 mg-3 mg SL daily", "12 mg-3 mg", "12 mg-3 mg"),
    ("hydrocortisone-pramoxine 1%-1% cream", "1%-1%", "1%-1%"),
    # Falling amounts joined by "to" are a change of dose, not a range.
    ("gabapentin cut 600 mg to 300 mg", "600 mg", "600 mg"),
])
def test_when_both_ends_carry_a_unit_then_the_amount_is_one_strength(
        text: str, strength: str, value: str) -> None:
    found = _attributes(text)[0]["strength"]
    assert (found.text, found.value) == (strength, value)


@pytest.mark.parametrize(("text", "strength"), [
    ("vancomycin 20 mg/kg (1.4 g) IV q8h", "1.4 g"),
    ("methotrexate 12 mg (0.3 mg/kg) IM weekly", "12 mg"),
    ("cisplatin 75 mg/m2 [130 mg] IV q3 weeks", "130 mg"),
])
def test_when_an_amount_is_restated_in_brackets_then_the_absolute_one_is_kept_and_scope_goes_on(
        text: str, strength: str) -> None:
    # The bracketed weight- or surface-based amount is the same dose, not a new instruction:
    # the route after it still belongs to the drug.
    found = _attributes(text)[0]
    assert found["strength"].text == strength
    assert "route" in found


def test_when_two_absolute_amounts_are_bracketed_then_the_second_still_ends_the_scope() -> None:
    found = _attributes("aspirin 81 mg (325 mg) daily")[0]
    assert found["strength"].text == "81 mg" and "frequency" not in found


@pytest.mark.parametrize(("text", "attribute", "surface", "value"), [
    ("interferon alfa 5 MIU SQ three times weekly", "unit", "MIU", "million units"),
    ("ketamine 0.5 mg.kg-1 IV", "strength", "0.5 mg.kg-1", "0.5 mg/kg"),
    ("ketamine 0.5 mg\u00b7kg\u22121 IV", "strength", "0.5 mg\u00b7kg\u22121", "0.5 mg/kg"),
])
def test_when_journal_units_are_written_then_they_are_read(
        text: str, attribute: str, surface: str, value: str) -> None:
    found = _attributes(text)[0][attribute]
    assert (found.text, found.value) == (surface, value)


@pytest.mark.parametrize(("text", "duration"), [
    ("trazodone 50 mg PO qHS x 3 nights", "x 3 nights"),
    ("etoposide 100 mg/m2 IV on days 1-3 q21 days", "on days 1-3"),
    ("bortezomib 1.3 mg/m2 SQ on days 1, 4, 8 and 11", "on days 1, 4, 8 and 11"),
])
def test_when_a_course_counts_nights_or_cycle_days_then_it_is_the_duration(
        text: str, duration: str) -> None:
    assert _attributes(text)[0]["duration"].text == duration


@pytest.mark.parametrize(("text", "frequency", "value"), [
    ("adalimumab 40 mg SQ every other week", "every other week", "Q2W"),
    ("adalimumab 40 mg SQ fortnightly", "fortnightly", "Q2W"),
    ("alendronate 70 mg 1x/week", "1x/week", "WEEKLY"),
    ("pancrelipase 2 caps with each meal", "with each meal", "WITH MEALS"),
    ("levothyroxine 50 mcg before breakfast", "before breakfast", "QAM"),
])
def test_when_a_schedule_is_written_in_words_then_it_is_the_frequency(
        text: str, frequency: str, value: str) -> None:
    found = _attributes(text)[0]["frequency"]
    assert (found.text, found.value) == (frequency, value)


@pytest.mark.parametrize(("text", "duration"), [
    ("A 4-week trial of gabapentin failed.", "4-week trial"),
    ("Gabapentin was tapered over a 2-week period.", "2-week period"),
])
def test_when_a_length_names_a_trial_or_period_then_it_is_the_duration(
        text: str, duration: str) -> None:
    assert _attributes(text)[0]["duration"].text == duration


@pytest.mark.parametrize(("text", "duration"), [
    ("Continue cefazolin through Thursday.", "through Thursday"),
    ("Hold lisinopril until tomorrow.", "until tomorrow"),
    ("Continue enoxaparin until the end of the pregnancy.", "until the end of the pregnancy"),
    ("Cefazolin until POD 2.", "until POD 2"),
    ("Bridge with enoxaparin until INR >= 2.", "until INR >= 2"),
    ("Vancomycin until afebrile, then reassess.", "until afebrile"),
    ("Doxycycline through 14 May.", "through 14 May"),
    ("Doxycycline until June 3, 2025.", "until June 3, 2025"),
    ("Tamoxifen for >5 years.", "for >5 years"),
])
def test_when_an_end_point_or_bound_is_written_then_it_is_the_duration(
        text: str, duration: str) -> None:
    assert _attributes(text)[0]["duration"].text == duration


@pytest.mark.parametrize(("text", "attribute", "surface"), [
    ("She received epirubicin up to a cumulative dose of 900 mg/m2.", "strength", "900 mg/m2"),
    ("Amiodarone was given at a total daily dosage of 600 mg.", "strength", "600 mg"),
    ("heparin 5000 I.U. SC", "unit", "I.U."),
])
def test_when_a_dose_phrase_names_the_amount_then_it_is_read(
        text: str, attribute: str, surface: str) -> None:
    # "at a cumulative dose of" names the amount that follows: its words are no gap.
    assert _attributes(text)[0][attribute].text == surface


def test_when_other_words_separate_the_amount_then_a_dose_phrase_does_not_bridge_them() -> None:
    text = "Metoprolol, which the cardiology team later moved to a total daily dose of 50 mg."
    assert "strength" not in _attributes(text)[0]
