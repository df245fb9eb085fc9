"""How far a statement's words reach (invented patient S2): a removal is an event, a verb
is shared by coordinated problems, doses listed in a row go to the drugs in order, a drug
can name a test, and a generic procedure word can only date something else."""

from __future__ import annotations

import pytest

from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.notes import Note

S2 = [
    Note(patient_id="S2", note_id="S2-1", note_type="operative_note", date="2026-03-02",
         text="OPERATIVE NOTE\nProcedure: CABG x3. Two chest tubes and a JP drain placed.\n"
              "Home meds: metformin 1,000 mg PO BID; metoprolol succinate 50 mg PO daily; "
              "lisinopril 20 mg PO daily.\n"),
    Note(patient_id="S2", note_id="S2-2", note_type="progress_note", date="2026-03-04",
         text="PROGRESS NOTE\nA/P:\n- Cardiac tamponade excluded on echo.\n"
              "- Pneumothorax excluded on CXR after chest tube removal.\n"
              "- Chest tubes removed 3/4. JP removed 3/4.\n"
              "- Metoprolol succinate decreased to 25 mg daily, lisinopril decreased to "
              "10 mg daily (orthostasis).\n"
              "- Water deprivation testing deferred to nephrology.\n"
              "- Fever 38.6 on 3/4; aspiration pneumonia suspected, ruled out on CXR.\n"
              "- Pulmonary function tests for amiodarone are ordered for the clinic visit.\n"
              "- Wants a levonorgestrel IUD at the 6-week visit.\n"
              "- New diagnosis of type 2 diabetes, HbA1c 9.1.\n"
              "- Tunneled dialysis catheter discussed; no dialysis indication now.\n"
              "Family history: mother had a left below-knee amputation.\n"
              "Wound: R groin cath site clean.\n"),
    Note(patient_id="S2", note_id="S2-3", note_type="discharge_summary", date="2026-03-06",
         text="DISCHARGE SUMMARY\nD/C meds:\nRESUME: metformin 1,000 mg PO BID\n"
              "CHANGED: metoprolol succinate 25 mg PO daily; lisinopril 10 mg PO daily\n"),
]


@pytest.fixture(scope="module")
def s2(extractor):
    return PatientRecord.prepare(S2, extractor, Rules.load())


# fmt: off
@pytest.mark.parametrize("statement", [
    "The JP drain was removed before discharge.",
    "Cardiac tamponade and a pneumothorax were both excluded.",
    "Cardiac tamponade was excluded on echo, and a pneumothorax on the chest film.",
    "His metoprolol succinate and lisinopril were both lowered, to 25 mg and 10 mg daily.",
    "Metformin was restarted at discharge at 1,000 mg BID.",
    "He was in the ICU on the night of surgery and had no chest pain after surgery.",
    "Aspiration pneumonia was suspected when he spiked a fever on 3/4 but was ruled out.",
    "A previously healthy man whose new type 2 diabetes was found on admission.",
])
# fmt: on
def test_true_statements_are_not_contradicted(s2, statement):
    v = s2.check(statement, [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_removal_the_notes_record_is_supported(s2):
    v = s2.check("The chest tubes were removed.", [])
    assert v.verdict == "SUPPORTED", v.detail


def test_doses_in_a_row_are_checked_in_order(s2):
    v = s2.check("His metoprolol succinate and lisinopril were lowered, to 10 mg and 25 mg "
                 "daily.", [])
    assert v.verdict == "CONTRADICTED", v.detail


def test_a_drug_naming_a_test_is_a_test_the_notes_must_give_as_done(s2):
    v = s2.check("A desmopressin stimulation test was performed.", [])
    assert v.verdict == "UNSUPPORTED", v.detail
    assert "desmopressin stimulation test" in v.detail


def test_a_removal_no_note_records_is_not_supported(s2):
    v = s2.check("The Foley catheter was removed.", [])
    assert v.verdict != "SUPPORTED", v.detail


# fmt: off
@pytest.mark.parametrize("statement, reason", [
    # ordered or wanted, said done
    ("Pulmonary function tests for amiodarone were done before discharge.", "planned_as_done"),
    ("An IUD was placed before discharge.",                                  "planned_as_done"),
    # "dialysis" (no indication) is not the "dialysis catheter" (only discussed)
    ("A tunneled dialysis catheter was placed.",                             "planned_as_done"),
    # only a relative had it
    ("He has had a left below-knee amputation.",                             "wrong_experiencer"),
])
# fmt: on
def test_a_false_procedure_claim_is_contradicted_for_its_reason(s2, statement, reason):
    v = s2.check(statement, [])
    assert v.verdict == "CONTRADICTED", v.detail
    assert reason in v.reasons


def test_an_ordered_test_said_planned_is_supported(s2):
    v = s2.check("Pulmonary function tests are planned for the clinic visit.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_an_event_told_of_something_no_vocabulary_names_is_unsure_not_uncheckable(s2):
    v = s2.check("His skin clips were removed before discharge.", [])
    assert v.verdict == "UNSUPPORTED", v.detail
    assert "'removed'" in v.detail


def test_a_statement_with_no_event_and_no_entity_stays_not_checkable(s2):
    assert s2.check("The groin site is clean.", []).verdict == "NOT_CHECKABLE"
