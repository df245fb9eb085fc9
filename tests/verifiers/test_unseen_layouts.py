"""Shapes from a blind trauma / sickle-cell corpus (invented patient S3): an allergy list
followed by a header the rules do not know, a culture result that is not a negation, a
denied hold in a follow-on clause, a passive subject with a drug after "to", and a problem
in a prepositional phrase before "but ruled out"."""

from __future__ import annotations

import pytest

from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.notes import Note

S3 = [
    Note(patient_id="S3", note_id="S3-1", note_type="h_and_p", date="2026-11-03",
         text="TRAUMA H&P\nHOME MEDICATIONS -\n- Lisinopril 20 mg PO daily\n"
              "- Hydroxyurea 1500 mg PO daily\n\n"
              "ALLERGIES -\n- MORPHINE: severe itching and vomiting\n"
              "- Azithromycin: hives\n\n"
              "IMAGING:\nCT chest: left lower lobe pulmonary contusion.\n"),
    Note(patient_id="S3", note_id="S3-2", note_type="consult_note", date="2026-11-05",
         text="HEMATOLOGY CONSULT\nRecommendations:\n"
              "1. Antibiotics: ceftriaxone and doxycycline (azithromycin avoided -- allergy).\n"
              "2. Hydroxyurea: CONTINUE 1500 mg daily. Counts are fine; do not hold for ACS.\n"
              "Course: fever 11/5; pneumonia suspected. Procalcitonin 0.09, blood cultures no "
              "growth, opacity felt to be contusion plus atelectasis. Pneumonia ruled out.\n"),
    Note(patient_id="S3", note_id="S3-3", note_type="discharge_summary", date="2026-11-08",
         text="DISCHARGE SUMMARY\nALLERGIES -\n- Morphine: itching\n\n"
              "MEDS TO CONTINUE:\n- Lisinopril 20 mg PO daily\n"
              "- Hydroxyurea 1500 mg PO daily\n- Oxycodone 5 mg PO q6h PRN pain\n"),
]


def _one_note(extractor, patient_id: str, note_type: str, date: str, text: str):
    note = Note(patient_id=patient_id, note_id=f"{patient_id}-1", note_type=note_type,
                date=date, text=text)
    return PatientRecord.prepare([note], extractor, Rules.load())


@pytest.fixture(scope="module")
def s3(extractor):
    return PatientRecord.prepare(S3, extractor, Rules.load())


def test_an_allergy_list_ends_at_an_unknown_header(s3):
    # Without the cut, every drug of "MEDS TO CONTINUE" read as an allergen.
    ext = s3.extractions[-1]
    types = {e.text: e.type for e in ext.entities}
    assert types["Morphine"] == "ALLERGY"
    assert types["Oxycodone"] == types["Hydroxyurea"] == "MEDICATION"


def test_a_spaced_dash_ends_a_header(s3):
    first = s3.extractions[0]
    assert {e.text: e.type for e in first.entities}["MORPHINE"] == "ALLERGY"


def test_a_culture_result_does_not_negate_the_next_finding(s3):
    contusions = [e for e in s3.extractions[1].entities if e.text == "contusion"]
    assert contusions and contusions[0].assertion == "present"


def test_a_denied_hold_is_no_hold(s3):
    v = s3.check("Hydroxyurea was held during the crisis.", [])
    assert v.verdict != "SUPPORTED", v.detail
    assert s3.check("Hydroxyurea was continued.", []).verdict == "SUPPORTED"


def test_the_passive_subject_gets_the_event_not_the_drug_after_to(s3):
    v = s3.check("Azithromycin was added to ceftriaxone for atypical coverage.", [])
    assert v.verdict == "CONTRADICTED", v.detail


@pytest.mark.parametrize("statement", [
    "Pneumonia was suspected with the 11/5 fever but ruled out.",
    "He has a left lower lobe pulmonary contusion.",
])
def test_true_statements_are_not_contradicted(s3, statement):
    v = s3.check(statement, [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_deferred_diagnosis_is_possible_not_active(extractor):
    record = _one_note(extractor, "S4", "discharge_summary", "2026-06-01",
                       "DISCHARGE DIAGNOSES:\n1. MDD, recurrent, severe\n"
                       "2. Bipolar II disorder -- remains deferred; records pending\n")
    track = next(t for t in record.timeline.problems if "bipolar" in t.name.lower())
    assert track.status == "possible"
    assert record.check("Bipolar II disorder is active.", []).verdict != "SUPPORTED"


def test_a_specific_claim_is_not_contradicted_by_a_generic_mention(extractor):
    # "arthritis" in the history says nothing of "crystal arthritis" being excluded.
    record = _one_note(extractor, "S5", "consult_note", "2026-05-05",
                       "HPI: lupus since 2017 (inflammatory arthritis of the hands).\n"
                       "A/P: septic arthritis of the knee. Gonococcal arthritis excluded.\n")
    v = record.check("Crystal arthritis was excluded.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_diagnosis_said_unlikely_agrees_with_one_ruled_out(extractor):
    record = _one_note(extractor, "S6", "discharge_summary", "2026-05-14",
                       "Ruled out: HELLP syndrome; post-dural puncture headache (felt "
                       "unlikely, no blood patch).\n")
    assert record.check("Post-dural puncture headache was felt unlikely.", []).verdict \
        != "CONTRADICTED"
    assert record.check("She has a post-dural puncture headache.", []).verdict \
        == "CONTRADICTED"


@pytest.mark.parametrize("label, expected", [
    ("NEW - start taking:", "started"),
    ("STOP taking:", "stopped"),
    ("Stop taking these medicines:", "stopped"),
    ("DO NOT TAKE until your PCP tells you:", "held"),
    ("Keep taking (no change):", "continued"),
    ("Given in hospital only:", "stopped"),
    ("Not started yet:", "not_given"),
])
def test_patient_worded_medication_list_labels_are_read(label, expected):
    # Discharge instructions address the patient ("STOP taking:"): the same list labels.
    cues = Rules.load().cues
    assert [c.label for c in cues.find("medication_list", label, 0, len(label))] == [expected]


def test_any_short_label_naming_allergies_opens_the_allergy_list(extractor):
    text = ("Discharge medications:\n- Aspirin 81 mg daily\n"
            "Allergy band: penicillin (hives); lisinopril (angioedema).\n")
    types = {e.text: (e.type, e.section) for e in extractor.extract(text)}
    assert types["lisinopril"] == ("ALLERGY", "ALLERGIES")
    assert types["Aspirin"][0] == "MEDICATION"


def test_an_allergy_list_ends_at_a_titled_label_or_a_table(extractor):
    text = ("Allergies verified: sulfa -> rash.\n\nLille score today: 0.62.\n\n"
            "| Medication | Plan |\n|---|---|\n| Propranolol | STOP |\n")
    found = {e.text: e.type for e in extractor.extract(text)}
    assert found["Propranolol"] == "MEDICATION"


def test_a_restart_denied_with_an_auxiliary_is_no_restart(extractor):
    # "is not being restarted": the negation stands two words before the event word.
    record = _one_note(extractor, "S7", "discharge_summary", "2026-05-12",
                       "Hospital course: Propranolol was held from admission for hypotension "
                       "and is not being restarted; hepatology will decide about nadolol.\n")
    track = next(t for t in record.timeline.medications if t.name.lower() == "propranolol")
    assert "resumed" not in [e.change for e in track.events]
    assert record.check("Propranolol was restarted.", []).verdict != "SUPPORTED"


def test_a_drug_named_in_an_until_clause_has_no_event_there(extractor):
    # "Aspirin - continue until the apixaban decision": apixaban dates aspirin's plan.
    record = _one_note(extractor, "S8", "discharge_summary", "2026-09-17",
                       "Discharge meds:\n- Aspirin 81 mg daily - continue until the apixaban "
                       "decision\nNot started yet: apixaban 5 mg twice daily - decision at "
                       "wound check 9/22.\n")
    track = next(t for t in record.timeline.medications if t.name.lower() == "apixaban")
    assert not {"started", "continued"} & {e.change for e in track.events}


def test_two_problems_of_one_icd_category_with_no_shared_word_are_two_tracks(extractor):
    # K76.7 hepatorenal syndrome and K76.82 hepatic encephalopathy: excluding one does not
    # rule out the other.
    record = _one_note(extractor, "S9", "discharge_summary", "2026-05-12",
                       "DISCHARGE DIAGNOSES:\n1. Hepatic encephalopathy, grade 2 on admission "
                       "- resolved.\n2. Acute kidney injury - resolved. Hepatorenal syndrome "
                       "excluded.\n")
    tracks = {t.name.lower(): t.status for t in record.timeline.problems}
    assert tracks["hepatic encephalopathy"] == "resolved"
    assert tracks["hepatorenal syndrome"] == "ruled_out"
    assert record.check("Hepatic encephalopathy has resolved.", []).verdict == "SUPPORTED"


def test_an_aside_after_the_cue_does_not_take_the_cue(extractor):
    # dev16's V1: "has resolved (oriented, no asterixis)": the parenthesis says how it
    # resolved; the cue is the encephalopathy's (it was flagged as a negation flip).
    from evals.frozen import corpus_dir
    from evals.synthetic import load_notes

    notes = [n for n in load_notes(str(corpus_dir("dev/multinote_dev16")))
             if n.patient_id == "V1"]
    record = PatientRecord.prepare(notes, extractor, Rules.load())
    v = record.check("Grade 2 hepatic encephalopathy on admission has resolved (oriented, no "
                     "asterixis since 5/8).", [])
    assert v.verdict != "CONTRADICTED", v.detail
