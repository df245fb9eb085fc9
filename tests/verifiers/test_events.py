"""Claims, not mentions: the R2 reproducer of issue 12 (invented text) and medication-list
layouts in several styles, checked end to end (timeline, extractive handoff, verifier)."""

from __future__ import annotations

import pytest

from agent.config import Settings
from agent.handoff.build import handoff_for_patient
from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.notes import Note
from agent.verify import parse_summary

R2 = [
    Note(patient_id="R2", note_id="R2-N1", note_type="history_and_physical", date="2026-04-01",
         text="HISTORY AND PHYSICAL\nHOME MEDICATIONS\n- Carvedilol 6.25 mg PO BID\n"
              "- Rivaroxaban 20 mg PO daily\n- Valsartan 80 mg PO daily\n"
              "- Pravastatin 40 mg PO nightly\n\nALLERGIES: Sulfa - rash\n"),
    Note(patient_id="R2", note_id="R2-N2", note_type="discharge_summary", date="2026-04-05",
         text="DISCHARGE SUMMARY\nMEDICATION CHANGES\n"
              "- Carvedilol INCREASED 6.25 mg BID -> 12.5 mg PO BID (4/3)\n"
              "- Rivaroxaban 20 mg PO daily - held 4/1-4/4 for procedure; RESUMED the evening "
              "of 4/4.\n"
              "- Valsartan 40 mg PO daily - CHANGED (was 80 mg daily)\n"
              "- Rosuvastatin 20 mg PO nightly - NEW (replaces pravastatin)\n"
              "- Olanzapine - single dose 4/2; not continued\n"
              "STOPPED (inpatient only)\n- Cefepime (completed 4/4)\n\n"
              "ALLERGIES / INTOLERANCES: Hydromorphone - pruritus; Tramadol - nausea\n"),
]


@pytest.fixture(scope="module")
def r2(extractor):
    return PatientRecord.prepare(R2, extractor, Rules.load())


def _verdicts(record, text):
    summary = record.verify(parse_summary(text, patient_id="R2"))
    return {s.text: s.verification for s in summary.statements}


def test_r2_handoff_lists_only_current_drugs_at_their_current_dose(extractor):
    summary = handoff_for_patient(R2, Settings(), extractor=extractor)
    meds = [s.text for s in summary.statements if s.section == "medications"]
    current = [t for t in meds if ": current" in t]
    names = " ".join(t.split(":")[0].lower() for t in current)
    for absent in ("pravastatin", "olanzapine", "cefepime", "hydromorphone", "tramadol"):
        assert absent not in names, current
    assert any(t.lower().startswith("carvedilol 12.5 mg") for t in current), current
    assert any(t.lower().startswith("rivaroxaban") and "resumed" in t for t in current)
    allergies = " ".join(s.text for s in summary.statements if s.section == "allergies")
    assert "Hydromorphone" in allergies and "Tramadol" in allergies
    assert not any(s.verification.verdict == "CONTRADICTED" for s in summary.statements)


# fmt: off
@pytest.mark.parametrize("statement, verdict, reason", [
    ("Carvedilol 6.25 mg BID.", "CONTRADICTED", "wrong_dose"),
    ("Rivaroxaban remains on hold.", "CONTRADICTED", "wrong_time"),
    ("Valsartan 80 mg daily continued.", "CONTRADICTED", "wrong_dose"),
    ("Pravastatin is continued.", "CONTRADICTED", "stopped_drug_as_current"),
    ("Patient is on scheduled olanzapine.", "CONTRADICTED", None),
    ("Carvedilol was decreased.", "CONTRADICTED", "wrong_direction"),
    ("Rivaroxaban was discontinued.", "CONTRADICTED", "event_contradicted"),
    ("Carvedilol was increased to 12.5 mg BID.", "SUPPORTED", None),
    ("Rivaroxaban was held for the procedure and resumed.", "SUPPORTED", None),
    ("Pravastatin stopped, replaced by rosuvastatin 20 mg nightly.", "SUPPORTED", None),
    ("Valsartan 40 mg daily.", "SUPPORTED", None),
    ("Cefepime was completed.", "SUPPORTED", None),
])
# fmt: on
def test_r2_statements_get_the_claims_verdict(r2, statement, verdict, reason):
    got = _verdicts(r2, statement)[statement]
    assert got.verdict == verdict, got.detail
    if reason:
        assert reason in got.reasons, got.detail


def test_a_mention_without_its_event_is_never_supported(r2):
    # The drugs are in the notes; these events are not.
    for text in ("Apixaban was started.", "Valsartan was uptitrated.",
                 "Sulfa allergy resolved.", "Carvedilol was started."):
        got = _verdicts(r2, text)[text]
        assert got.verdict != "SUPPORTED", (text, got.detail)


# fmt: off
@pytest.mark.parametrize("text", [
    "DISCHARGE MEDICATIONS\nCONTINUE:\n- Metoprolol 25 mg PO BID\nSTOP:\n- Aspirin 81 mg daily\n",
    "Discharge meds / changes:\nMetoprolol 25 mg PO BID - continue\n"
    "Aspirin 81 mg daily - STOPPED\n",
    "DISCHARGE MEDICATIONS:\n| Drug | Dose | Status |\n| Metoprolol | 25 mg BID | continue |\n"
    "| Aspirin | 81 mg daily | STOPPED |\n",
    "Discharge medications:\n- Metoprolol 25 mg PO BID\n- Aspirin 81 mg daily (DISCONTINUED)\n",
])
# fmt: on
def test_stopped_drug_is_not_current_in_any_list_layout(extractor, text):
    notes = [Note(patient_id="L", note_id="L-1", date="2026-05-01",
                  text="Home medications:\n- Metoprolol 25 mg PO BID\n- Aspirin 81 mg daily\n"),
             Note(patient_id="L", note_id="L-2", date="2026-05-03", text=text)]
    record = PatientRecord.prepare(notes, extractor, Rules.load())
    status = {t.name: t.status for t in record.timeline.medications}
    assert status.get("aspirin") == "stopped", status
    assert status.get("metoprolol") == "active", status


# Statements written as the blind dev corpora write them (issue 12): the claim's own status
# words and the dose its change verb binds (invented text).
S3 = [
    Note(patient_id="S3", note_id="S3-N1", note_type="progress_note", date="2026-06-01",
         text="HOME MEDICATIONS\n- Citalopram 20 mg PO daily\n\nA/P: Citalopram HELD on "
              "admission (QTc 520).\nAgitation: lorazepam 1 mg IV given at 0200 and 1 mg IV "
              "at 0800.\nAmiodarone considered for AF, not needed (converted).\n"),
    Note(patient_id="S3", note_id="S3-N2", note_type="discharge_summary", date="2026-06-04",
         text="DISCHARGE SUMMARY\nMEDICATION CHANGES\n- Citalopram RESUMED 6/3 at 10 mg PO "
              "daily (reduced)\n\nNot diagnosed: myocarditis (MRI normal).\n"),
]


@pytest.fixture(scope="module")
def s3(extractor):
    return PatientRecord.prepare(S3, extractor, Rules.load())


@pytest.mark.parametrize("statement", [
    "Home citalopram 20 mg was held and resumed on 6/3 at a reduced 10 mg daily.",
    "Lorazepam 2 mg IV in total was given overnight.",
    "Amiodarone was considered but not needed.",
])
def test_when_a_true_statement_words_status_or_dose_its_own_way_then_no_contradiction(
        s3, statement):
    got = _verdicts(s3, statement)[statement]
    assert got.verdict != "CONTRADICTED", got.detail


def test_when_the_dose_after_the_change_verb_is_wrong_then_it_is_contradicted(s3):
    text = "Home citalopram 20 mg was held and resumed on 6/3 at 20 mg daily."
    got = _verdicts(s3, text)[text]
    assert got.verdict == "CONTRADICTED" and "wrong_dose" in got.reasons, got.detail


def test_when_a_verb_takes_another_drug_as_its_object_then_it_is_not_this_drugs_change(
        extractor):
    notes = [Note(patient_id="V", note_id="V-1", date="2026-07-01",
                  text="Recommendations:\n1. Start insulin glargine 6 units tonight, insulin "
                       "aspart with meals, and stop the insulin drip 1 hour after the first "
                       "aspart dose.\n"),
             Note(patient_id="V", note_id="V-2", note_type="discharge_summary",
                  date="2026-07-03",
                  text="Hospital course: the drip was stopped on 7/1, one hour after the first "
                       "aspart dose.\nDischarge medications:\n- Insulin glargine 6 units daily\n"
                       "- Insulin aspart 1 unit per 15 g carbohydrate with meals\n")]
    record = PatientRecord.prepare(notes, extractor, Rules.load())
    status = {t.name: t.status for t in record.timeline.medications}
    assert status.get("insulin aspart") != "stopped", status


def test_when_a_note_gives_an_event_dose_without_its_unit_then_the_number_decides(extractor):
    notes = [Note(patient_id="U", note_id="U-1", note_type="discharge_summary",
                  date="2026-07-03",
                  text="Hospital course: glargine started at 6 on 7/1; decreased to 5 units "
                       "on 7/2 after a low of 60.\n")]
    record = PatientRecord.prepare(notes, extractor, Rules.load())
    text = "Glargine was started at 6 units and reduced to 5 units after a low."
    got = _verdicts(record, text)[text]
    assert "wrong_dose" not in got.reasons, got.detail


def test_when_a_statement_starts_a_drug_then_changes_its_dose_each_event_keeps_its_dose(
        extractor):
    """"X 40 mg was started ... and lowered to 20 mg": the start is at 40 mg (the dose by the
    name), the 20 mg is the reduction's; a later verb's dose is never bound to the start."""
    notes = [Note(patient_id="W", note_id="W-1", date="2026-04-01",
                  text="Plan: start methylprednisolone 40 mg IV daily today.\n"),
             Note(patient_id="W", note_id="W-2", note_type="discharge_summary",
                  date="2026-04-06",
                  text="Hospital course: methylprednisolone 40 mg daily was started 4/1 and "
                       "decreased to 20 mg daily on 4/5.\n")]
    record = PatientRecord.prepare(notes, extractor, Rules.load())
    text = "Methylprednisolone 40 mg daily was started on 4/1 and decreased to 20 mg on 4/5."
    got = _verdicts(record, text)[text]
    assert got.verdict != "CONTRADICTED", got.detail
    # The start's own dose is still checked.
    wrong = "Methylprednisolone was started at 20 mg daily on 4/1 and decreased on 4/5."
    got = _verdicts(record, wrong)[wrong]
    assert got.verdict == "CONTRADICTED" and "wrong_dose" in got.reasons, got.detail


@pytest.mark.parametrize(("text", "assertions"), [
    ("Interstitial nephritis was never confirmed.", {"possible"}),
    ("Sarcoidosis was not diagnosed.", {"absent"}),
    # a 'Not diagnosed:' label keeps its own rule: never read as present
    ("Not diagnosed: sarcoidosis -- possible, outpatient workup.", {"possible", "absent"}),
])
def test_when_a_diagnosis_is_unconfirmed_or_not_made_then_the_assertion_says_which(
        extractor, text, assertions):
    problems = [e for e in extractor.extract(text) if e.type == "PROBLEM"]
    assert problems and problems[0].assertion in assertions, problems
