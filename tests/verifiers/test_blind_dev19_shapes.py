"""Shapes from a blind endocrine-surgery / NICU / thoracic corpus (multinote_dev19; the
notes here are invented anew): a procedure only asked about ("? thoracotomy", "Does she
need ...?") and later given as not done, a finding a later note says "cannot be excluded",
and a deed the extractor has no name for ("was circumcised") that the notes only request,
defer or refer out."""

from __future__ import annotations

import pytest

from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.notes import Note
from verifiers.coverage import hedged_spans

R9 = [
    Note(patient_id="R9", note_id="R9-1", note_type="consult_note", date="2026-05-02",
         text="SURGERY CONSULT\n"
              "Reason for consultation: loculated right effusion, ? thoracotomy.\n"
              "Q: Does she need a thoracotomy now?\n"
              "A: No. Drain first, reassess in 48 h.\n"
              "CT chest 5/2: no nodule, no adenopathy.\n"
              "Social: mother asks for ear piercing before discharge.\n"),
    Note(patient_id="R9", note_id="R9-2", note_type="progress_note", date="2026-05-05",
         text="Progress note\n"
              "CT chest 5/5: effusion smaller. A nodule cannot be excluded in the right "
              "lower lobe - repeat CT in 3 months.\n"
              "Bronchoscopy performed 5/4: normal airways.\n"),
    Note(patient_id="R9", note_id="R9-3", note_type="discharge_summary", date="2026-05-07",
         text="DISCHARGE SUMMARY\n"
              "Procedures: right chest drain 5/2, removed 5/6. No thoracotomy.\n"
              "Not done: ear piercing - deferred to the pediatrician at the mother's "
              "request.\n"
              "Follow-up: pediatrician for ear piercing.\n"),
]


@pytest.fixture(scope="module")
def r9(extractor):
    return PatientRecord.prepare(R9, extractor, Rules.load())


def test_a_procedure_only_asked_about_and_later_not_done_is_not_supported(r9):
    v = r9.check("She underwent a thoracotomy.", [])
    assert v.verdict in ("CONTRADICTED", "UNSUPPORTED"), v.detail


def test_questions_make_a_mention_asked_not_done(r9):
    asked = [m for m in r9.evidence.by_note["R9-1"]
             if m.entity.text.lower().startswith("thoracotomy")]
    assert asked and all(m.is_planned for m in asked)


def test_a_procedure_done_is_still_supported(r9):
    v = r9.check("Bronchoscopy was performed.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_cannot_be_excluded_is_not_ruled_out(r9):
    nodules = [m for m in r9.evidence.by_note["R9-2"] if m.entity.text.lower() == "nodule"]
    assert nodules and not any(m.is_ruled_out for m in nodules)


def test_an_absence_the_latest_note_leaves_open_is_not_supported(r9):
    v = r9.check("The CT showed no nodule.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_a_deed_the_notes_only_request_or_defer_is_not_left_uncheckable(r9):
    v = r9.check("Her ear was pierced before discharge.", [])
    assert v.verdict == "UNSUPPORTED", v.detail


def test_a_deferral_word_is_no_deed(r9):
    v = r9.check("Ear piercing was deferred to the pediatrician.", [])
    assert v.verdict != "CONTRADICTED", v.detail
    assert "only as planned" not in v.detail


R10 = [
    Note(patient_id="R10", note_id="R10-1", note_type="history_and_physical",
         date="2026-06-01",
         text="H&P\nHome meds:\n- Losartan 50 mg PO daily\n- Edoxaban 60 mg PO daily\n"
              "- Atenolol 50 mg PO daily\n"
              "A/P: HOLD losartan for AKI. HOLD edoxaban for the procedure.\n"),
    Note(patient_id="R10", note_id="R10-2", note_type="discharge_summary",
         date="2026-06-05",
         text="DISCHARGE SUMMARY\n"
              "Discharge medications:\n"
              "1. Losartan 25 mg PO daily -- RESUMED 6/4 at a lower dose (was 50 mg)\n"
              "2. Edoxaban 60 mg PO daily -- RESUMED 6/4\n"
              "3. Atenolol 50 mg PO daily -- unchanged; stop after 6/12 per cardiology\n"
              "4. Dapagliflozin 10 mg PO daily -- NEW\n"),
]


@pytest.fixture(scope="module")
def r10(extractor):
    return PatientRecord.prepare(R10, extractor, Rules.load())


@pytest.mark.parametrize("sentence", [
    "Edoxaban will be resumed after discharge.",
    "Losartan is to be restarted at 25 mg.",
    "Dapagliflozin will be started at the clinic visit.",
])
def test_a_change_already_done_given_as_still_to_come_is_contradicted(r10, sentence):
    v = r10.check(sentence, [])
    assert v.verdict == "CONTRADICTED", v.detail
    assert "still to come" in v.detail


def test_a_change_done_in_the_past_tense_stays_supported(r10):
    v = r10.check("Edoxaban was resumed on 6/4.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_a_planned_stop_not_yet_done_is_not_contradicted(r10):
    v = r10.check("Atenolol will be stopped after 6/12.", [])
    assert v.verdict != "CONTRADICTED", v.detail


R11 = [
    Note(patient_id="R11", note_id="R11-1", note_type="history_and_physical",
         date="2026-07-01",
         text="H&P\nReason for admission: fever, ? endocarditis.\n"
              "Exam: soft systolic murmur; likely positional vs valvular.\n"
              "CXR: right lower lobe pneumonia.\n"
              "Heme: anemia; hemolysis not supported (haptoglobin normal).\n"),
    Note(patient_id="R11", note_id="R11-2", note_type="discharge_summary",
         date="2026-07-04",
         text="DISCHARGE SUMMARY\nDiagnoses: possible right lower lobe pneumonia.\n"
              "TTE: no vegetation.\n"),
]


@pytest.fixture(scope="module")
def r11(extractor):
    return PatientRecord.prepare(R11, extractor, Rules.load())


def test_a_word_the_notes_only_hedge_is_not_stated_as_found(r11):
    v = r11.check("The murmur is valvular.", [])
    assert v.verdict == "UNSUPPORTED", v.detail
    assert "only as possible" in v.detail


def test_a_statement_that_hedges_the_word_itself_is_not_flagged_for_it(r11):
    v = r11.check("The murmur is likely positional versus valvular.", [])
    assert "only as possible" not in v.detail, v.detail


def test_a_word_only_written_before_not_supported_is_not_affirmed(r11):
    assert "hemol" not in r11.evidence.certain_stems
    assert "anemi" in r11.evidence.certain_stems


def test_a_problem_only_asked_about_is_possible(r11):
    asked = [m for m in r11.evidence.by_note["R11-1"]
             if m.entity.text.lower() == "endocarditis"]
    assert asked and all(m.entity.assertion == "possible" for m in asked)


def test_a_problem_the_latest_note_leaves_possible_is_not_supported_as_certain(r11):
    v = r11.check("He has right lower lobe pneumonia.", [])
    assert v.verdict != "SUPPORTED", v.detail


R12 = [
    Note(patient_id="R12", note_id="R12-1", note_type="consult_note", date="2026-08-01",
         text="IR CONSULT\nRecommendations:\n1. Recommend urokinase 100,000 units "
              "intrapleural BID.\n2. Paracentesis if ascites worsens.\n"),
    Note(patient_id="R12", note_id="R12-2", note_type="progress_note", date="2026-08-03",
         text="Progress note\nUrokinase 100,000 units intrapleural given 8/2 x2 doses.\n"
              "Ascites stable, no paracentesis needed.\n"),
]


@pytest.fixture(scope="module")
def r12(extractor):
    return PatientRecord.prepare(R12, extractor, Rules.load())


def test_a_plan_carried_out_later_is_not_still_planned(r12):
    v = r12.check("Intrapleural urokinase is planned.", [])
    assert v.verdict == "CONTRADICTED", v.detail


def test_a_plan_told_in_the_past_stays_unflagged(r12):
    v = r12.check("Urokinase was recommended by IR.", [])
    assert v.verdict != "CONTRADICTED", v.detail


R13 = [
    Note(patient_id="R13", note_id="R13-1", note_type="history_and_physical",
         date="2026-09-01",
         text="H&P\nLabs: blood cultures x2 pending.\n"
              "A/P: fever. Histoplasmosis considered, urine antigen sent.\n"
              "Exam: right leg weakness (likely from a prior stroke).\n"),
    Note(patient_id="R13", note_id="R13-2", note_type="discharge_summary",
         date="2026-09-04",
         text="DISCHARGE SUMMARY\nBlood cultures: no growth (final).\n"
              "Pending: fungal serologies.\n"),
]


@pytest.fixture(scope="module")
def r13(extractor):
    return PatientRecord.prepare(R13, extractor, Rules.load())


def test_a_result_that_came_back_after_it_was_pending_is_not_pending(r13):
    v = r13.check("Blood cultures are still pending.", [])
    assert v.verdict == "CONTRADICTED", v.detail


def test_a_diagnosis_named_then_considered_is_possible(r13):
    weighed = [m for m in r13.evidence.by_note["R13-1"]
               if m.entity.text.lower() == "histoplasmosis"]
    assert weighed and all(m.entity.assertion == "possible" for m in weighed)


def test_a_hedge_before_the_next_name_does_not_hedge_this_one(r13):
    weak = [m for m in r13.evidence.by_note["R13-1"]
            if m.entity.text.lower().endswith("weakness")]
    assert weak and all(m.entity.assertion == "present" for m in weak)


R14 = [
    Note(patient_id="R14", note_id="R14-1", note_type="history_and_physical",
         date="2026-10-01",
         text="H&P\nCXR: right lower lobe opacity, pneumonia?\n"
              "A/P: cellulitis vs gout of the right ankle.\n"
              "Meningitis, presumed viral (enterovirus PCR positive).\n"),
]


@pytest.fixture(scope="module")
def r14(extractor):
    return PatientRecord.prepare(R14, extractor, Rules.load())


def _mentions(record, name):
    return [m for m in record.evidence.by_note["R14-1"] if m.entity.text.lower() == name]


def test_a_question_mark_after_a_name_asks_about_it(r14):
    found = _mentions(r14, "pneumonia")
    assert found and all(m.entity.assertion == "possible" for m in found)


def test_the_first_name_of_a_differential_is_possible(r14):
    found = _mentions(r14, "cellulitis")
    assert found and all(m.entity.assertion == "possible" for m in found)


def test_a_hedge_does_not_reach_into_a_parenthesis():
    text = "Meningitis, presumed viral (enterovirus PCR positive)."
    spans = hedged_spans(text, 0, len(text))
    assert any(a <= text.index("viral") < b for a, b in spans)
    assert not any(a <= text.index("enterovirus") < b for a, b in spans)


R15 = [
    Note(patient_id="R15", note_id="R15-1", note_type="history_and_physical",
         date="2026-11-01",
         text="H&P\nA/P:\n1. Pleuritic chest pain: PE unlikely (Wells 1); D-dimer sent.\n"
              "2. Lung nodule, worrisome for malignancy - PET ordered.\n"),
]


@pytest.fixture(scope="module")
def r15(extractor):
    return PatientRecord.prepare(R15, extractor, Rules.load())


def test_unlikely_is_not_ruled_out(r15):
    v = r15.check("Pulmonary embolism was ruled out.", [])
    assert v.verdict == "UNSUPPORTED", v.detail
    assert "only as possible or unlikely" in v.detail


def test_a_word_the_notes_give_as_worrisome_for_is_not_found(r15):
    v = r15.check("The lung nodule is malignant.", [])
    assert v.verdict != "SUPPORTED", v.detail


R16 = [
    Note(patient_id="R16", note_id="R16-1", note_type="history_and_physical",
         date="2026-11-01",
         text="H&P\nA/P:\n1. Stroke symptoms: MRI brain ordered.\n"
              "2. DVT prophylaxis: heparin SQ.\n"),
    Note(patient_id="R16", note_id="R16-2", note_type="progress_note", date="2026-11-02",
         text="Progress\nMRI brain: no acute infarct. Deficits resolved: TIA.\n"),
]


@pytest.fixture(scope="module")
def r16(extractor):
    return PatientRecord.prepare(R16, extractor, Rules.load())


def test_a_name_framing_a_work_up_is_not_the_diagnosis(r16):
    v = r16.check("He had a stroke.", [])
    assert v.verdict != "SUPPORTED", v.detail


def test_a_name_framing_a_precaution_is_not_the_patients(r16):
    framed = [m for m in r16.evidence.by_note["R16-1"] if m.entity.text.upper() == "DVT"]
    assert framed and all(m.entity.assertion == "hypothetical" for m in framed)


R17 = [
    Note(patient_id="R17", note_id="R17-1", note_type="discharge_summary", date="2026-12-01",
         text="DISCHARGE SUMMARY\nMedication reconciliation:\n"
              "[NEW] Sertraline 50 mg PO daily\n"
              "[STOPPED] Amitriptyline 25 mg nightly\n"
              "[INPATIENT ONLY] Ketorolac IV (2 doses); hydromorphone PRN\n"),
]


@pytest.fixture(scope="module")
def r17(extractor):
    return PatientRecord.prepare(R17, extractor, Rules.load())


@pytest.mark.parametrize("drug", ["amitriptyline", "ketorolac", "hydromorphone"])
def test_a_bracket_tag_opening_the_line_is_its_list_label(r17, drug):
    assert _track(r17, drug).status == "stopped"


def test_a_bracket_new_tag_leaves_the_drug_started(r17):
    assert _track(r17, "sertraline").status == "active"


def test_an_inpatient_only_drug_is_not_verified_as_current(r17):
    v = r17.check("Hydromorphone PRN pain.", [], section="medications")
    assert v.verdict == "CONTRADICTED", v.detail


def _track(record, name):
    return next(t for t in record.timeline.medications if t.name.lower() == name)
