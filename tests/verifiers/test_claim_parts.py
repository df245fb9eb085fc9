"""Parts of a claim the notes must back (invented patient S1): the dose of the event it
names, words a denial covers, counts, ordinals and dates, allergens, and notes that
disagree (unsure, never CONTRADICTED)."""

from __future__ import annotations

import pytest

from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.notes import Note
from verifiers.quantities import stated_counts

S1 = [
    Note(patient_id="S1", note_id="S1-1", note_type="history_and_physical",
         date="2026-09-14",
         text="HISTORY AND PHYSICAL\nHome meds: metoprolol succinate 50 mg PO daily; "
              "lamotrigine none.\nAllergies: codeine (vomiting)\n"
              "HPI: Admitted for SBO. Codeine makes her vomit.\n"
              "Plan:\n- HOLD metoprolol succinate while NPO.\n"
              "- If worsening: BiPAP and ICU transfer.\n"
              "- TPN discussed; would need a PICC.\n"),
    Note(patient_id="S1", note_id="S1-2", note_type="progress_note", date="2026-09-16",
         text="PROGRESS NOTE\nA/P:\n- Metoprolol succinate RESUMED today at 25 mg PO daily "
              "(was 50).\n- Lamotrigine 25 mg PO daily started today.\n"
              "- Lorazepam 1 mg PO PRN given x2 overnight.\n"
              "Imaging: MRI 9/16: no hemorrhage or hemorrhagic transformation.\n"),
    Note(patient_id="S1", note_id="S1-3", note_type="discharge_summary", date="2026-09-18",
         text="DISCHARGE SUMMARY\nProcedures: No BiPAP, no PICC.\n"
              "ALLERGIES / INTOLERANCES: codeine - vomiting\n"
              "D/C meds:\nRESUME: metoprolol succinate 25 mg PO daily (held 9/14-9/16)\n"
              "CONTINUE: lamotrigine 25 mg PO daily\n"),
]


@pytest.fixture(scope="module")
def s1(extractor):
    return PatientRecord.prepare(S1, extractor, Rules.load())


# fmt: off
@pytest.mark.parametrize("statement, verdict", [
    # The dose bound to an event is the dose of that event, wherever the clause says it.
    ("Metoprolol succinate was resumed at his home dose of 50 mg daily.", "CONTRADICTED"),
    ("Lamotrigine was started at 50 mg daily.",                           "CONTRADICTED"),
    # An allergen is not a medication the patient takes...
    ("She may take codeine as needed for pain.",                          "CONTRADICTED"),
])
# fmt: on
def test_claim_parts_get_their_verdict(s1, statement, verdict):
    v = s1.check(statement, [], section="medications")
    assert v.verdict == verdict, v.detail


def test_cannot_take_an_allergen_is_not_contradicted_by_a_note_naming_it(s1):
    # "Codeine makes her vomit" names the drug as present; the allergy list is the fact.
    v = s1.check("She cannot take codeine.", [], section="medications")
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_word_the_notes_only_deny_does_not_cover_the_statement(s1):
    v = s1.check("The MRI showed hemorrhagic transformation.", [])
    assert v.verdict != "SUPPORTED"
    assert "hemorrhagic" in v.detail


def test_a_count_the_evidence_does_not_state_is_not_supported(s1):
    v = s1.check("Lorazepam was given three times.", [])
    assert v.verdict == "UNSUPPORTED"
    assert "three" in v.detail


def test_when_notes_disagree_the_statement_is_unsure_not_contradicted(s1):
    # S1-1 plans BiPAP on a condition, S1-3 says no BiPAP: not CONTRADICTED either way.
    assert s1.check("He did not need BiPAP.", []).verdict != "CONTRADICTED"


def test_a_line_label_outranks_the_history_in_its_parenthesis(s1):
    track = next(t for t in s1.timeline.medications if t.name == "metoprolol")
    assert track.status == "active"
    assert track.on_discharge_list is True


CODE = [
    Note(patient_id="S2", note_id="S2-1", note_type="history_and_physical", date="2026-05-03",
         text="H&P\nPlan: she wishes to remain full code for now.\n"
              "Home meds: pravastatin 40 mg PO qHS\n"),
    Note(patient_id="S2", note_id="S2-2", note_type="discharge_summary", date="2026-05-08",
         text="DISCHARGE SUMMARY\nDischarge medications:\n"
              "- rosuvastatin 20 mg PO daily NEW (replaces pravastatin)\n"
              "Code status: DNR/DNI (changed from full code on 5/5).\n"),
]


# fmt: off
@pytest.mark.parametrize("statement, verdict", [
    ("She remains full code.",                                       "CONTRADICTED"),
    ("Full code on admission, now DNR/DNI.",                          "SUPPORTED"),
    # a plan to go on presupposes the drug is taken
    ("She should continue her pravastatin 40 mg at bedtime.",        "CONTRADICTED"),
])
# fmt: on
def test_code_status_and_continue_plans_are_claims(extractor, statement, verdict):
    record = PatientRecord.prepare(CODE, extractor, Rules.load())
    v = record.check(statement, [])
    assert v.verdict == verdict, v.detail


# fmt: off
@pytest.mark.parametrize("text, counts", [
    ("Lorazepam was given three times.",              [3]),
    ("Given x2 overnight.",                           [2]),
    ("Diltiazem was given only once, 10 mg IV.",      [1]),
    ("Aspirin was stopped once apixaban was started.", []),   # a conjunction
    ("Metoprolol 25 mg twice daily.",                 [2]),
])
# fmt: on
def test_counts_a_statement_states(text, counts):
    assert [n for _, n in stated_counts(text, [])] == counts


S3 = [
    Note(patient_id="S3", note_id="S3-1", note_type="history_and_physical",
         date="2026-09-01",
         text="H&P\nHome meds:\n- amlodipine 10 mg PO daily\n"
              "FAMILY HISTORY: His brother has polycystic kidney disease.\n"
              "A/P:\n- CKD stage 3b; no cysts, so no evidence that he has polycystic kidney "
              "disease.\n- HOLD amlodipine; resume at 5 mg daily once SBP > 140.\n"
              "Code status: full code.\n"),
    Note(patient_id="S3", note_id="S3-2", note_type="discharge_summary", date="2026-09-05",
         text="DISCHARGE SUMMARY\nDischarge diagnoses:\n"
              "1. Adhesive small bowel obstruction -- s/p adhesiolysis\n"
              "2. Excluded: closed-loop obstruction; acute coronary syndrome (troponin "
              "negative x2)\n"
              "Hospital course: amlodipine was resumed on 9/4.\n"
              "Code status: full code on admission; he chose DNR/DNI on 9/4. "
              "Discharge code status: DNR/DNI.\n"
              "Discharge medications:\n"
              "- Amlodipine 5 mg PO daily -- DECREASED from 10 mg (held 9/1-9/3, resumed "
              "9/4)\n"
              "Inpatient only, stopped before discharge: heparin 5,000 units SC q8h. Single "
              "doses in the ED: calcium gluconate 1 g IV.\n"),
]


@pytest.fixture(scope="module")
def s3(extractor):
    return PatientRecord.prepare(S3, extractor, Rules.load())


# fmt: off
@pytest.mark.parametrize("statement, verdict", [
    # the dose of a resumption the same note records as a dose change
    ("Amlodipine was resumed on 9/4 at 5 mg daily.",                   "SUPPORTED"),
    ("Amlodipine was resumed at his home dose of 10 mg daily.",        "CONTRADICTED"),
    # a relative's problem; a more general problem of the patient's is no contradiction
    ("His brother has polycystic kidney disease.",                    "SUPPORTED"),
    # a subtype's exclusion is not the diagnosis's (both read "obstruction": unsure, not
    # CONTRADICTED); a label rules its items out
    ("He had an adhesive small bowel obstruction.",                   "UNSUPPORTED"),
    ("He has acute coronary syndrome.",                               "CONTRADICTED"),
    # the status a line ends with is the code status now
    ("He remains full code.",                                         "CONTRADICTED"),
])
# fmt: on
def test_claims_on_labels_lists_and_changes(s3, statement, verdict):
    v = s3.check(statement, [])
    assert v.verdict == verdict, v.detail


def test_labels_opening_a_sentence_stop_their_drugs(s3):
    status = {m.name: m.status for m in s3.timeline.medications}
    assert status["heparin"] == "stopped"
    assert status["calcium gluconate"] != "active"
    assert status["amlodipine"] == "active"


PENDING = [
    Note(patient_id="S4", note_id="S4-1", note_type="discharge_summary", date="2026-08-07",
         text="DISCHARGE SUMMARY\nPending at discharge: serum free light chains, send-out "
              "drawn 8/4. SPEP resulted 8/5: no monoclonal protein.\n"),
]


def test_a_pending_claim_with_no_entity_is_unsure_whether_or_not_the_notes_list_it(
        extractor):
    record = PatientRecord.prepare(PENDING, extractor, Rules.load())
    v = record.check("The SPEP is still pending at discharge.", [])
    assert v.verdict == "UNSUPPORTED" and "spep" in v.detail
    # named among the pending results: unsure (nothing links the name to a later result),
    # never contradicted
    v = record.check("Free light chains are pending.", [])
    assert v.verdict == "UNSUPPORTED" and "named among the results" in v.detail


def _pending_notes(first: str, second: str) -> list[Note]:
    return [Note(patient_id="S5", note_id=f"S5-{i}", note_type="progress_note",
                 date=f"2026-08-0{i}", text=f"PROGRESS NOTE\n{text}\n")
            for i, text in ((1, first), (2, second))]


def test_nothing_pending_is_never_green_and_doubtful_when_a_later_note_lists_a_result(
        extractor):
    said = "Pending results: none."
    # The notes' last word on pending results is "none": the statement repeats it, which
    # proves nothing is outstanding to no one: unchecked.
    record = PatientRecord.prepare(
        _pending_notes("Pending: blood cultures x2 from 8/1.", "Pending results: none."),
        extractor, Rules.load())
    v = record.check(said, [])
    assert v.verdict == "NOT_CHECKABLE" and "as the notes last say" in v.detail
    # A result given as pending after the last "none": doubtful, not merely unchecked.
    record = PatientRecord.prepare(
        _pending_notes("Pending results: none.", "Pending: blood cultures x2 from 8/1."),
        extractor, Rules.load())
    v = record.check(said, [])
    assert v.verdict == "UNSUPPORTED" and "1 result(s) as pending" in v.detail


def test_a_procedure_still_to_be_done_is_contradicted_once_a_note_records_it_done(extractor):
    planned_then_done = [
        Note(patient_id="S6", note_id="S6-1", note_type="progress_note", date="2026-08-10",
             text="PLAN\n- Will need a PICC for 6 weeks of IV cefazolin.\n"),
        Note(patient_id="S6", note_id="S6-2", note_type="procedure_note", date="2026-08-15",
             text="PICC placed 8/15, right basilic, tip at the cavoatrial junction.\n")]
    record = PatientRecord.prepare(planned_then_done, extractor, Rules.load())
    v = record.check("A PICC still has to be placed.", [])
    assert v.verdict == "CONTRADICTED" and v.reasons == ["event_contradicted"]
    assert "S6-2" in v.detail
    # Only planned so far: the statement says what the notes say.
    record = PatientRecord.prepare(planned_then_done[:1], extractor, Rules.load())
    v = record.check("A PICC still has to be placed.", [])
    assert v.verdict != "CONTRADICTED"
