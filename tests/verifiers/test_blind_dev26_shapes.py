"""Shapes from a blind certainty / experiencer / status corpus (multinote_dev26; the notes
here are invented anew, in other words): an allergy a note only wondered about is not an
established allergy; a fact placed "at age N" that only a relative's line places there is
the relative's; a dose change by weight ("2 mg/kg/day -> 10 mg") or without amounts has no
direction to contradict; "X with Y resolved" is past for both; a result of a repeat test
the notes still give as due is not in the notes; a course length no note gives is not
confirmed; a graft's donor named as a relative is not the statement's experiencer; "on
hold: do not restart" is a hold; an exclusion's evidence in parentheses is not excluded;
"not favored" is a hedge; and results or states told of something no vocabulary names are
claims, not "nothing to check"."""

from __future__ import annotations

import pytest

from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.notes import Note
from verifiers.crosscheck import _kin_only_as_donor

B26 = [
    Note(patient_id="B26", note_id="B26-1", note_type="history_and_physical",
         date="2026-03-02",
         text="PEDIATRIC ADMISSION NOTE\n"
              "HPI: 6 y/o boy with right leg redness and fever.\n"
              "Exam: cellulitis with lymphangitis of the right shin.\n"
              "Allergies: sulfa - hives. Urticaria since 3/1 - ? cefdinir reaction vs viral "
              "exanthem.\n"
              "PMH: pneumonia at age 4, treated as outpatient.\n"
              "Renal ultrasound: mild left hydronephrosis. Repeat renal ultrasound in 6 "
              "weeks.\n"
              "Plan: cephalexin 25 mg/kg PO QID started 3/2. Prednisolone 2 mg/kg/day for "
              "urticaria.\n"
              "Lisinopril: on hold - do not restart until nephrology review.\n"
              "Metoprolol 25 mg PO BID.\n"
              "Family history: father had appendicitis at age 12. Mother - pneumonia in "
              "2019.\n"),
    Note(patient_id="B26", note_id="B26-2", note_type="progress_note", date="2026-03-04",
         text="Progress note\n"
              "Cellulitis with lymphangitis improving.\n"
              "Hives: cefdinir allergy not confirmed; viral exanthem favored.\n"
              "Increase sertraline. Metoprolol increased 25 mg -> 50 mg PO BID.\n"
              "Lisinopril: on hold - do not restart.\n"),
    Note(patient_id="B26", note_id="B26-3", note_type="discharge_summary",
         date="2026-03-06",
         text="DISCHARGE SUMMARY\n"
              "Cellulitis with lymphangitis - resolved.\n"
              "Excluded: osteomyelitis (soft tissue swelling only); septic arthritis.\n"
              "Not favored: reactive arthritis.\n"
              "Cephalexin stopped 3/6.\n"
              "Prednisolone 2 mg/kg/day -> 10 mg PO daily.\n"
              "Sertraline 100 mg -> 50 mg PO daily.\n"
              "Metoprolol 50 mg PO BID.\n"
              "Pending: repeat renal ultrasound in 6 weeks.\n"),
]


@pytest.fixture(scope="module")
def b26(extractor):
    return PatientRecord.prepare(B26, extractor, Rules.load())


# An allergy the notes only wondered about.
def test_a_suspected_allergy_stated_as_established_is_contradicted(b26):
    v = b26.check("He is allergic to cefdinir.", [])
    assert v.verdict == "CONTRADICTED" and "wrong_certainty" in v.reasons, v.detail


def test_an_established_allergy_is_still_backed(b26):
    v = b26.check("Sulfa causes hives.", [], section="allergies")
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_suspected_allergy_told_as_suspected_is_not_contradicted(b26):
    v = b26.check("A cefdinir reaction was considered but not confirmed.", [])
    assert v.verdict != "CONTRADICTED", v.detail


# A fact placed in life by an anchor only a relative's line carries.
def test_a_relatives_anchored_fact_given_to_the_patient_is_contradicted(b26):
    v = b26.check("He had appendicitis at age 12.", [])
    assert v.verdict == "CONTRADICTED" and "wrong_experiencer" in v.reasons, v.detail


def test_the_patients_own_anchored_fact_is_not_given_to_a_relative(b26):
    v = b26.check("He had pneumonia at age 4.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_statement_naming_the_relative_places_its_own_anchor(b26):
    v = b26.check("His father had appendicitis at age 12.", [])
    assert v.verdict != "CONTRADICTED", v.detail


# Dose changes without a comparable direction.
def test_a_change_from_a_weight_based_dose_has_no_direction(b26):
    v = b26.check("Prednisolone was reduced to 10 mg daily.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_change_of_unknown_direction_leaves_the_other_direction_open(b26):
    v = b26.check("Sertraline was increased.", [])
    assert v.verdict != "CONTRADICTED", v.detail
    assert v.verdict != "SUPPORTED", v.detail


def test_a_plain_change_the_other_way_is_still_contradicted(b26):
    v = b26.check("Metoprolol was decreased.", [])
    assert v.verdict == "CONTRADICTED" and "wrong_direction" in v.reasons, v.detail


# "X with Y resolved".
def test_problems_joined_by_with_share_the_resolution(b26):
    v = b26.check("Cellulitis with lymphangitis resolved.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_joined_problem_that_was_excluded_is_not_made_past(b26):
    v = b26.check("Cellulitis with osteomyelitis resolved.", [])
    assert v.verdict != "SUPPORTED", v.detail


# A repeat test still due.
def test_a_result_of_a_repeat_test_still_due_is_contradicted(b26):
    v = b26.check("The follow-up renal ultrasound was normal.", [])
    assert v.verdict == "CONTRADICTED", v.detail


def test_the_result_of_the_test_already_done_is_not_contradicted(b26):
    v = b26.check("The renal ultrasound showed mild left hydronephrosis.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_repeat_test_done_later_is_not_called_due(extractor):
    notes = [*B26[:2], B26[2].model_copy(update={
        "text": B26[2].text.replace("Pending: repeat renal ultrasound in 6 weeks.",
                                    "Repeat renal ultrasound 3/6: hydronephrosis resolved.")})]
    record = PatientRecord.prepare(notes, extractor, Rules.load())
    v = record.check("The repeat renal ultrasound was normal.", [])
    assert v.verdict != "CONTRADICTED", v.detail


# A course length.
def test_a_course_length_no_note_gives_is_not_supported(b26):
    v = b26.check("He completed a 10-day course of cephalexin.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_a_course_length_matching_the_start_and_stop_dates_is_not_questioned(b26):
    v = b26.check("He received cephalexin for 4 days.", [])
    assert "length" not in v.detail, v.detail


# A relative named only as a graft's donor.
@pytest.mark.parametrize("text", [
    "He underwent a matched related-sibling stem cell transplant for MDS.",
    "She received her brother's stem cells in 2024.",
    "Kidney transplant from a son-donor.",
])
def test_a_relative_named_as_the_donor_is_not_the_experiencer(text):
    assert _kin_only_as_donor(text)


@pytest.mark.parametrize("text", [
    "His sister has MDS.",
    "Matched-sibling transplant; her sister also has lupus.",
    "No transplant.",
])
def test_a_relative_with_a_fact_of_their_own_is_still_the_experiencer(text):
    assert not _kin_only_as_donor(text)


# "on hold: do not restart".
def test_on_hold_do_not_restart_is_a_hold(b26):
    assert b26.check("Lisinopril remains on hold.", []).verdict != "CONTRADICTED"
    assert b26.check("Lisinopril was discontinued.", []).verdict != "SUPPORTED"


# An exclusion's evidence in parentheses.
def test_the_evidence_of_an_exclusion_is_not_excluded(b26):
    v = b26.check("He had soft tissue swelling.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_the_excluded_item_itself_stays_excluded(b26):
    v = b26.check("He has osteomyelitis.", [])
    assert v.verdict == "CONTRADICTED", v.detail


# "Not favored" is a hedge.
def test_a_diagnosis_not_favored_is_not_established(b26):
    v = b26.check("He has reactive arthritis.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_a_favored_diagnosis_is_not_hedged_by_the_rule(extractor):
    ents = extractor.extract("Not favored: reactive arthritis. Favored diagnosis: gout.")
    got = {e.text.lower(): e.assertion for e in ents if e.type == "PROBLEM"}
    assert got.get("reactive arthritis") == "possible", got
    assert got.get("gout") == "present", got


# Results and states of things no vocabulary names.
@pytest.mark.parametrize("text", [
    "She lacks capacity to make medical decisions.",
    "The day +100 restaging showed a complete remission of nothing named here.",
])
def test_a_result_or_state_without_an_entity_is_a_claim(b26, text):
    v = b26.check(text, [])
    assert v.verdict != "SUPPORTED", v.detail
    assert v.verdict != "NOT_CHECKABLE", v.detail


def test_a_bare_disposition_stays_not_checkable(b26):
    assert b26.check("Discharged home.", []).verdict == "NOT_CHECKABLE"


# Shapes of the older dev corpora's remaining misses, in other words.
C26 = [
    Note(patient_id="C26", note_id="C26-1", note_type="history_and_physical",
         date="2026-04-01",
         text="ADMISSION NOTE\n"
              "HPI: 71M after aortic valve replacement, new atrial flutter with RVR overnight.\n"
              "PMH: paroxysmal atrial fibrillation, on apixaban.\n"
              "Assessment: delirium with visual hallucinations.\n"
              "Legs: tense calves, compartment syndrome to be excluded.\n"
              "Neuro: no seizures.\n"
              "Renal: acute kidney injury, creatinine 2.4.\n"
              "Meds: digoxin 125 mcg PO daily.\n"),
    Note(patient_id="C26", note_id="C26-2", note_type="progress_note", date="2026-04-02",
         text="Progress note\n"
              "Atrial flutter - converted to sinus with ibutilide 04:30.\n"
              "Denies hallucinations since this morning.\n"
              "Compartment pressures normal: compartment syndrome excluded.\n"
              "Neuro: no seizures.\n"),
    Note(patient_id="C26", note_id="C26-3", note_type="discharge_summary",
         date="2026-04-04",
         text="DISCHARGE SUMMARY\n"
              "Post-operative atrial flutter (onset 4/1), back in sinus since 4/2.\n"
              "Paroxysmal atrial fibrillation, in sinus today; apixaban continued.\n"
              "Hallucinations: none since 4/2.\n"
              "Excluded: compartment syndrome.\n"
              "Acute kidney injury - resolved, creatinine 1.0.\n"
              "Digoxin 125 mcg PO daily - continued.\n"
              "Aspirin 81 mg PO daily - stop after the 4/10 dose.\n"
              "Avoid naproxen while on apixaban.\n"),
]


@pytest.fixture(scope="module")
def c26(extractor):
    return PatientRecord.prepare(C26, extractor, Rules.load())


def test_an_arrhythmia_back_in_sinus_is_not_ongoing(c26):
    v = c26.check("He remains in atrial flutter at discharge.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_a_chronic_rhythm_disease_in_sinus_today_is_still_his(c26):
    v = c26.check("He has paroxysmal atrial fibrillation.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_denial_after_the_name_is_read(c26):
    v = c26.check("Compartment syndrome never developed.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_the_same_problem_said_to_develop_is_still_contradicted(c26):
    v = c26.check("Compartment syndrome developed.", [])
    assert v.verdict == "CONTRADICTED", v.detail


def test_a_problem_present_then_denied_resolved(c26):
    v = c26.check("The hallucinations resolved.", [])
    assert v.verdict == "SUPPORTED", v.detail


def test_a_problem_present_then_denied_was_not_ruled_out(c26):
    v = c26.check("Hallucinations were ruled out.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_a_problem_only_ruled_out_stays_ruled_out(c26):
    v = c26.check("Compartment syndrome was ruled out.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_problem_only_ever_denied_did_not_resolve(c26):
    v = c26.check("His seizures resolved.", [])
    assert v.verdict != "SUPPORTED", v.detail


@pytest.mark.parametrize("text", [
    "The left second toe was amputated.",
    "About 20 cm of colon was resected on 4/2.",
    "His chest wound was draining at discharge.",
])
def test_a_passive_deed_without_an_entity_is_a_claim(c26, text):
    v = c26.check(text, [])
    assert v.verdict not in ("SUPPORTED", "NOT_CHECKABLE"), v.detail


def test_a_problem_resolved_by_discharge_is_not_confirmed_as_present_now(c26):
    v = c26.check("He has an acute kidney injury.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_the_same_problem_told_in_the_past_is_not_questioned(c26):
    v = c26.check("He had an acute kidney injury, which resolved.", [])
    assert v.verdict != "CONTRADICTED", v.detail
    assert "now" not in v.detail, v.detail


def test_a_drugs_harm_is_not_backed_by_the_drug(c26):
    v = c26.check("He has digoxin toxicity.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_the_drug_itself_is_still_checked_as_a_drug(c26):
    v = c26.check("He takes digoxin 125 mcg daily.", [])
    assert v.verdict != "CONTRADICTED" and "harm" not in v.detail, v.detail


def test_a_drug_the_notes_only_say_to_avoid_is_not_taken(c26):
    v = c26.check("He takes naproxen for pain.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_a_drug_taken_until_a_planned_stop_is_not_called_untaken(c26):
    v = c26.check("Aspirin 81 mg PO daily through the 4/10 dose.", [])
    assert "only as stopped" not in v.detail, v.detail


# A hedge right after a diagnosis, ending its item, and an unsettled test between the
# name and its "not confirmed".
D26 = [
    Note(patient_id="D26", note_id="D26-1", note_type="discharge_summary", date="2026-05-04",
         text="DISCHARGE SUMMARY\nDiagnoses:\n"
              "1. Cellulitis of the left hand, probable (exam equivocal).\n"
              "2. Septic arthritis - MRI equivocal, not confirmed.\n"
              "3. Gout, probable cause of the knee effusion.\n"
              "4. Hypertension.\n")]


@pytest.fixture(scope="module")
def d26(extractor):
    return PatientRecord.prepare(D26, extractor, Rules.load())


def test_a_hedge_ending_the_item_makes_the_diagnosis_possible(d26):
    assert d26.check("He has cellulitis of the left hand.", []).verdict != "SUPPORTED"


def test_a_test_left_unsettled_before_not_confirmed_leaves_the_diagnosis_open(d26):
    assert d26.check("He has septic arthritis.", []).verdict != "SUPPORTED"


def test_a_hedge_followed_by_its_own_word_is_that_words(d26):
    v = d26.check("He has gout.", [])
    assert v.verdict != "CONTRADICTED", v.detail
    assert "possibility" not in v.detail, v.detail


def test_a_problem_named_as_a_reason_is_not_said_of_now(c26):
    # "held; due to active infection" dates the hold: the reason's "active" is no claim
    # that the problem goes on at discharge (the demo handoff's own hold lines say so).
    v = c26.check("Digoxin was held because of active acute kidney injury.", [])
    assert "now (the notes give it as resolved" not in v.detail, v.detail
