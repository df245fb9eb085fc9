"""Shapes from a blind certainty / experiencer corpus (multinote_dev21; the notes here are
invented anew): a diagnosis a note leaves open after naming it ("X indeterminate",
"X not excluded") even when a negative test follows in an aside; a statement that leaves a
diagnosis open itself ("is equivocal", "was treated empirically"); the problem a work-up
was for ("X was considered for Y and excluded": Y is not excluded); and the means of a
resolution ("resolved with chest physiotherapy": done, not denied)."""

from __future__ import annotations

import pytest

from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.notes import Note

R21 = [
    Note(patient_id="R21", note_id="R21-1", note_type="history_and_physical",
         date="2026-03-02",
         text="ADMISSION H&P\n"
              "HPI: 61M with fever and right knee effusion after a hiking trip.\n"
              "A/P: septic arthritis vs crystal arthritis - knee aspiration today.\n"
              "Possible Lyme arthritis: serology sent.\n"
              "Cefazolin 2 g IV q8h empirically for possible septic arthritis.\n"
              "Bibasilar crackles; hypoxemia on room air.\n"),
    Note(patient_id="R21", note_id="R21-2", note_type="progress_note", date="2026-03-03",
         text="Progress note\n"
              "Synovial fluid: CPP crystals, Gram stain negative, culture no growth.\n"
              "Hypoxemia resolved with chest physiotherapy; chest physiotherapy BID.\n"
              "Septic arthritis was considered for the knee effusion and excluded by "
              "the culture.\n"),
    Note(patient_id="R21", note_id="R21-3", note_type="discharge_summary",
         date="2026-03-05",
         text="DISCHARGE SUMMARY\n"
              "Diagnosis: pseudogout (CPPD) of the right knee.\n"
              "Septic arthritis excluded (culture final no growth); cefazolin stopped 3/4.\n"
              "Open: Lyme arthritis indeterminate (ELISA negative, immunoblot equivocal) - "
              "repeat serology in clinic.\n"),
]


@pytest.fixture(scope="module")
def r21(extractor):
    return PatientRecord.prepare(R21, extractor, Rules.load())


def test_a_name_left_indeterminate_is_possible_despite_a_negative_aside(r21):
    lyme = [m for m in r21.evidence.by_note["R21-3"] if m.entity.text.lower().startswith("lyme")]
    assert lyme and all(m.entity.assertion == "possible" for m in lyme)


def test_a_statement_that_leaves_the_diagnosis_open_is_not_contradicted(r21):
    v = r21.check("Lyme arthritis is indeterminate; repeat serology is planned.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_the_open_diagnosis_stated_as_established_is_not_supported(r21):
    v = r21.check("He has Lyme arthritis.", [])
    assert v.verdict in ("CONTRADICTED", "UNSUPPORTED"), v.detail


def test_empiric_coverage_of_a_later_excluded_diagnosis_is_not_contradicted(r21):
    v = r21.check("Septic arthritis was treated empirically with cefazolin until the "
                  "culture showed no growth.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_the_excluded_diagnosis_stated_as_found_is_contradicted(r21):
    v = r21.check("He was diagnosed with septic arthritis.", [])
    assert v.verdict == "CONTRADICTED", v.detail


def test_the_reason_of_a_work_up_is_not_what_it_excluded(r21):
    v = r21.check("Septic arthritis was considered for the knee effusion and excluded by "
                  "culture; the effusion was pseudogout.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def test_the_subject_of_the_work_up_is_still_excluded(r21):
    v = r21.check("He has septic arthritis of the right knee.", [])
    assert v.verdict == "CONTRADICTED", v.detail


def test_the_means_of_a_resolution_is_not_denied(r21):
    v = r21.check("The hypoxemia resolved with chest physiotherapy.", [])
    assert v.verdict != "CONTRADICTED", v.detail


def _one_note(extractor, line: str) -> PatientRecord:
    note = Note(patient_id="R22", note_id="R22-1", note_type="progress_note",
                date="2026-04-01", text="Progress note\nHPI: 58F with fatigue and a rash.\n"
                                        f"{line}\n")
    return PatientRecord.prepare([note], extractor, Rules.load())


@pytest.mark.parametrize(("line", "name"), [
    ("Assessment: pulmonary embolism favored over pneumonia; CTA pending.", "pneumonia"),
    ("Dermatomyositis clinically suspected but not confirmed.", "dermatomyositis"),
    ("Dermatomyositis is a consideration; CK sent.", "dermatomyositis"),
    ("Rash may represent dermatomyositis.", "dermatomyositis"),
    ("Working diagnosis: dermatomyositis, pending biopsy.", "dermatomyositis"),
    ("Dermatomyositis possible but CK normal.", "dermatomyositis"),
])
def test_a_diagnosis_given_only_as_a_guess_is_not_supported_as_established(
        extractor, line, name):
    v = _one_note(extractor, line).check(f"She has {name}.", [])
    assert v.verdict in ("CONTRADICTED", "UNSUPPORTED"), v.detail


def test_a_donors_condition_is_not_the_patients(extractor):
    v = _one_note(extractor, "Transplant hx: kidney 2019. Donor had hepatitis C, "
                             "treated.").check("She has hepatitis C.", [])
    assert v.verdict == "CONTRADICTED", v.detail


def test_the_alternative_ranked_lower_is_possible(extractor):
    rec = _one_note(extractor, "Pulmonary embolism favored over pneumonia; CTA pending.")
    lower = [m for m in rec.evidence.by_note["R22-1"] if m.entity.text.lower() == "pneumonia"]
    assert lower and all(m.entity.assertion == "possible" for m in lower)


def test_a_heading_its_own_line_denies_is_not_a_finding(extractor):
    notes = [Note(patient_id="R23", note_id=f"R23-{i}", note_type="progress_note",
                  date=f"2026-05-0{i}", text=f"Progress note\nHPI: 70M with a cough.\n{line}\n")
             for i, line in ((1, "A/P: possible pneumonia - CXR."),
                             (2, "# Pneumonia: CXR clear, not pneumonia."))]
    rec = PatientRecord.prepare(notes, extractor, Rules.load())
    heading = [m for m in rec.evidence.by_note["R23-2"]
               if m.entity.text.lower() == "pneumonia"]
    assert heading and all(m.entity.assertion == "absent" for m in heading)
    v = rec.check("He was found to have pneumonia.", [])
    assert v.verdict == "CONTRADICTED", v.detail


def test_a_heading_with_a_finding_in_its_line_stays_present(extractor):
    rec = _one_note(extractor, "# Pneumonia: RLL consolidation, no effusion.")
    heading = [m for m in rec.evidence.by_note["R22-1"] if m.entity.text.lower() == "pneumonia"]
    assert heading and all(m.entity.assertion == "present" for m in heading)
    assert rec.check("Pneumonia with RLL consolidation.", []).verdict != "CONTRADICTED"


def test_a_relatives_condition_in_a_relative_clause_is_not_the_patients(extractor):
    rec = _one_note(extractor, "Social: lives with her husband, who has COPD.")
    v = rec.check("She has COPD.", [])
    assert v.verdict == "CONTRADICTED", v.detail
