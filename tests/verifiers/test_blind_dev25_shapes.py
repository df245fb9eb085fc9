"""Shapes from a blind certainty / status-over-time corpus (multinote_dev25; the notes here
are invented anew, in other words): a statement that tells its own work-up and how it
settled ("questioned, but the repeat swab was negative"); a diagnosis "not confirmed" is
left open, not denied; the reason of an action on a drug ("paused for the colonoscopy") is
not denied by the pause; "X ruled out" is unsure when the latest note gives X as the
patient's and only a narrower X was excluded; and a relative's disease given to another
relative is not confirmed."""

from __future__ import annotations

import pytest

from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.extraction import Entity
from agent.schemas.notes import Note
from verifiers.crosscheck import reread_negation

R25 = [
    Note(patient_id="R25", note_id="R25-1", note_type="history_and_physical",
         date="2026-05-02",
         text="ADMISSION H&P\n"
              "HPI: 70F with fever, cough and a swollen right first toe.\n"
              "Influenza PCR equivocal - repeat swab sent.\n"
              "PMH: gout, on allopurinol 100 mg daily.\n"
              "Possible gout flare of the right first MTP; joint tap today.\n"
              "Meds: warfarin 5 mg PO daily for atrial fibrillation.\n"
              "FHx: Mother - rheumatoid arthritis. Uncle with hemochromatosis.\n"
              "A/P: small pericardial effusion on echo, pericarditis suspected.\n"),
    Note(patient_id="R25", note_id="R25-2", note_type="progress_note", date="2026-05-03",
         text="Progress note\n"
              "Repeat influenza PCR negative. Influenza ruled out.\n"
              "Joint fluid: no crystals seen; pseudogout less likely.\n"
              "Warfarin on hold since 5/2 pending the procedure.\n"
              "Colonoscopy done: two small polyps removed.\n"),
    Note(patient_id="R25", note_id="R25-3", note_type="discharge_summary",
         date="2026-05-06",
         text="DISCHARGE SUMMARY\n"
              "Discharge diagnosis: viral pericarditis.\n"
              "Excluded: purulent pericarditis (pericardial fluid culture negative); "
              "Zq-syndrome (panel negative).\n"
              "Gout flare possible; uric acid recheck in clinic.\n"
              "Warfarin resumed 5/4 at 5 mg PO daily.\n"),
]


@pytest.fixture(scope="module")
def r25(extractor):
    return PatientRecord.prepare(R25, extractor, Rules.load())


def test_a_statement_telling_its_own_exclusion_is_not_contradicted(r25):
    v = r25.check("The influenza swab was indeterminate at first; the repeat swab was "
                  "negative.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_an_excluded_diagnosis_left_open_is_not_supported(r25):
    v = r25.check("Influenza cannot be excluded.", [])
    assert v.verdict in ("CONTRADICTED", "UNSUPPORTED"), v.detail


def test_an_unconfirmed_diagnosis_is_open_not_denied(r25):
    v = r25.check("A gout flare was thought probable but was not established.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_an_unconfirmed_diagnosis_stated_as_excluded_is_not_supported(r25):
    v = r25.check("Gout was ruled out.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_the_reason_of_a_hold_is_not_denied(r25):
    v = r25.check("Warfarin was held for the colonoscopy and restarted the next day.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_denied_procedure_that_was_done_is_still_flagged(r25):
    v = r25.check("No colonoscopy was performed.", [])
    assert v.verdict in ("CONTRADICTED", "UNSUPPORTED"), v.detail


def test_the_final_diagnosis_said_excluded_is_not_supported(r25):
    v = r25.check("Pericarditis was excluded.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_an_exclusion_no_later_note_undoes_is_still_supported(r25):
    v = r25.check("Influenza was ruled out.", [])
    assert v.verdict == "SUPPORTED", v.detail


def test_a_relatives_disease_given_to_another_relative_is_not_supported(r25):
    v = r25.check("Her uncle has rheumatoid arthritis.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_the_right_relative_is_supported(r25):
    v = r25.check("Her mother has rheumatoid arthritis.", [])
    assert v.verdict == "SUPPORTED", v.detail


def _problem(text: str, name: str, kind: str = "PROBLEM") -> Entity:
    start = text.index(name)
    return Entity(type=kind, text=name, start=start, end=start + len(name), assertion="absent")


def test_not_established_reads_as_open_not_denied():
    text = "Sarcoidosis was felt likely but has not been proven."
    claim = _problem(text, "Sarcoidosis")
    assert reread_negation(claim, text, Rules.load().cues, [claim]).assertion == "possible"


def test_a_plain_denial_before_stays_denied():
    text = "No sarcoidosis; not confirmed on biopsy."
    claim = _problem(text, "sarcoidosis")
    assert reread_negation(claim, text, Rules.load().cues, [claim]).assertion == "absent"


def test_the_reason_of_a_stop_is_not_denied():
    text = "Heparin was stopped because of the epidural placement."
    claim = _problem(text, "epidural placement", "PROCEDURE")
    assert reread_negation(claim, text, Rules.load().cues, [claim]).assertion == "present"


def test_the_indication_of_a_drug_not_started_is_not_denied():
    text = "Dabigatran for the flutter has not been started."
    drug = Entity(type="MEDICATION", text="Dabigatran", start=0, end=10, assertion="absent")
    claim = _problem(text, "flutter")
    assert reread_negation(claim, text, Rules.load().cues, [drug, claim]).assertion \
        == "present"


def test_a_denial_after_for_stays_denied():
    text = "Aspirin was held for now; no bleeding."
    claim = _problem(text, "bleeding")
    assert reread_negation(claim, text, Rules.load().cues, [claim]).assertion == "absent"


# A drug held, then stopped for good; a drug held now; a drug a discharge list gives only
# as planned ("to be started in clinic").
R25B = [
    Note(patient_id="R25B", note_id="R25B-1", note_type="history_and_physical",
         date="2026-06-01",
         text="ADMISSION H&P\n"
              "Meds: capecitabine 1000 mg PO BID; lisinopril 20 mg PO daily; metformin "
              "500 mg PO BID.\n"
              "A/P: capecitabine on hold for grade 3 mucositis.\n"
              "SH: lives with her husband, who takes warfarin for a mechanical valve.\n"
              "FHx: father - atopic dermatitis, on dupilumab.\n"),
    Note(patient_id="R25B", note_id="R25B-2", note_type="discharge_summary",
         date="2026-06-05",
         text="DISCHARGE SUMMARY\n"
              "DISCHARGE MEDICATIONS\n"
              "- Metformin 500 mg PO BID - continue\n"
              "- Lisinopril 20 mg PO daily - on hold for AKI until renal follow-up\n"
              "- Dupilumab planned, first dose in dermatology clinic\n"
              "Stopped: capecitabine (permanently; oncology aware).\n"),
]


@pytest.fixture(scope="module")
def r25b(extractor):
    return PatientRecord.prepare(R25B, extractor, Rules.load())


def test_a_hold_later_made_a_stop_is_not_on_hold_now(r25b):
    v = r25b.check("Capecitabine is on hold.", [])
    assert v.verdict in ("CONTRADICTED", "UNSUPPORTED"), v.detail


def test_a_drug_held_now_is_on_hold(r25b):
    v = r25b.check("Lisinopril is on hold.", [])
    assert v.verdict == "SUPPORTED", v.detail


def test_a_drug_listed_as_planned_is_not_started(r25b):
    track = next(t for t in r25b.timeline.medications if t.name.lower() == "dupilumab")
    assert track.last_change != "started" and track.status != "active"
    v = r25b.check("Dupilumab was started before discharge.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_a_spouses_drug_is_not_the_patients(r25b):
    warfarin = [m for m in r25b.evidence.by_note["R25B-1"]
                if m.entity.text.lower() == "warfarin"]
    assert warfarin and all(m.entity.assertion == "family" for m in warfarin)
    v = r25b.check("She takes warfarin.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_a_relatives_drug_said_of_the_relative_is_not_contradicted(r25b):
    v = r25b.check("Her father has atopic dermatitis and is treated with dupilumab.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_diagnosis_no_vocabulary_names_is_not_left_unchecked(r25):
    # "Zq-syndrome" is an invented name the notes exclude: no entity, every word in the
    # notes, but the statement still claims it.
    v = r25.check("The patient has Zq-syndrome.", [])
    assert v.verdict == "UNSUPPORTED", v.detail



def test_a_problem_of_the_history_stated_as_active_is_not_supported(r25):
    v = r25.check("The patient has active gout.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_a_problem_of_the_history_stated_as_history_is_supported(r25):
    v = r25.check("Her history includes gout.", [])
    assert v.verdict != "CONTRADICTED", v.detail
