"""Timeline shapes from a blind corpus (multinote_dev31; the notes here are invented anew,
in other words): the drug a stopped one was "replaced by" is taken now even when a ";" in
the aside makes it the first drug of its clause; an amount after a comparison ("while
prednisone above 20 mg") is a condition, not the dose; excluding another form of an
established diagnosis ("hemorrhagic stroke" beside an ischemic stroke) does not rule the
established one out, while excluding the suspected one still does; "not established" and
"to be considered" leave a diagnosis possible; and an allergy listed again at discharge is
cited there too; a kit "given" at discharge is dispensed, not a single dose, and a drug's
handoff line states the regimen of its list entry, not a course sentence without a dose."""

from __future__ import annotations

import pytest

from agent.handoff.extractive import extractive_statements
from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.notes import Note

T31 = [
    Note(patient_id="T31", note_id="T31-1", note_type="history_and_physical",
         date="2026-06-01",
         text="ADMISSION NOTE\nAllergies: Ciprofloxacin - tendon pain. Shellfish - hives.\n"
              "Assessment: possible aspiration pneumonia. Sarcoidosis to be considered "
              "(hilar adenopathy).\n"
              "Plan: chest CT.\n"),
    Note(patient_id="T31", note_id="T31-2", note_type="discharge_summary",
         date="2026-06-05",
         text="DISCHARGE SUMMARY\nHospital course: Metformin resumed for hyperglycemia "
              "on day 2. Ondansetron 4 mg IV given once for nausea.\n"
              "Discharge diagnoses:\n"
              "1. Ischemic stroke, left MCA territory.\n"
              "2. Sarcoidosis not established (biopsy nondiagnostic).\n"
              "Excluded: aspiration pneumonia; hemorrhagic stroke.\n"
              "Discharge medications:\n- Prednisone 40 mg PO daily - NEW\n"
              "- Famotidine 20 mg PO BID - NEW (GI prophylaxis while prednisone above 20 mg)\n"
              "- Metformin 500 mg PO BID - continued\n"
              "- Losartan 50 mg PO daily - NEW\n"
              "- Epinephrine 0.3 mg auto-injector PRN anaphylaxis - NEW (kit given)\n"
              "STOPPED: Metoprolol (bradycardia). Lisinopril (cough; replaced by losartan).\n"
              "Allergies: Ciprofloxacin - tendon pain.\n"),
]


@pytest.fixture(scope="module")
def t31(extractor):
    return PatientRecord.prepare(T31, extractor, Rules.load())


def _med(record, name):
    return next(t for t in record.timeline.medications if t.name.lower() == name)


def _problem(record, name):
    return next(t for t in record.timeline.problems if t.name.lower() == name)


def test_the_replacement_named_in_a_stop_lines_aside_is_taken_now(t31):
    assert _med(t31, "losartan").status == "active"


def test_the_drug_the_stop_line_names_stays_stopped(t31):
    assert _med(t31, "lisinopril").status == "stopped"
    assert _med(t31, "metoprolol").status == "stopped"


def test_an_amount_after_a_comparison_is_not_the_dose(t31):
    assert _med(t31, "prednisone").dose == "40 mg"


def test_a_plain_dose_is_still_the_dose(t31):
    assert _med(t31, "metformin").dose == "500 mg"


def test_excluding_another_form_keeps_the_established_diagnosis(t31):
    assert _problem(t31, "ischemic stroke").status == "active"


def test_excluding_the_suspected_diagnosis_still_rules_it_out(t31):
    assert _problem(t31, "aspiration pneumonia").status == "ruled_out"


def test_a_diagnosis_not_established_stays_possible(t31):
    assert _problem(t31, "sarcoidosis").status == "possible"


def test_an_allergy_listed_again_at_discharge_is_cited_there(t31):
    cipro = next(i for i in t31.timeline.items
                 if i.kind == "allergy" and i.text.lower() == "ciprofloxacin")
    assert {c.note_id for c in cipro.citations} == {"T31-1", "T31-2"}


def test_an_allergy_listed_once_keeps_its_one_citation(t31):
    fish = next(i for i in t31.timeline.items
                if i.kind == "allergy" and i.text.lower() == "shellfish")
    assert [c.note_id for c in fish.citations] == ["T31-1"]


def test_a_kit_given_at_discharge_is_a_current_medication(t31):
    assert _med(t31, "epinephrine").status == "active"


def test_a_dose_given_once_is_still_a_single_dose(t31):
    assert _med(t31, "ondansetron").status != "active"


def test_the_handoff_line_states_the_list_regimen_not_the_course_sentence(t31):
    meds = [s.text for s in extractive_statements(t31.notes, t31.timeline, t31.layouts)
            if s.section == "medications"]
    metformin = next(t for t in meds if t.lower().startswith("metformin"))
    assert "500 mg" in metformin, metformin
