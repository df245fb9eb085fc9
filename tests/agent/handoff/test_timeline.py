"""The patient timeline: medication changes, problem status and items, each cited."""

from __future__ import annotations

import json

import pytest

from agent.errors import InputError, RuleFileError
from agent.handoff.timeline import build_timeline
from agent.rules import Rules
from agent.schemas.notes import Note

HP = """HISTORY OF PRESENT ILLNESS:
70 yo man admitted with heart failure. Denies chest pain.

Medications on admission:
1. Lisinopril 20 mg PO daily
2. Aspirin 81 mg PO daily
3. Furosemide 20 mg PO daily

Family History: Mother with breast cancer.

Assessment and Plan:
1. Heart failure - Furosemide 40 mg IV BID.
2. AKI - HOLD lisinopril while diuresing.
3. r/o PE - CTA chest in AM.
Code status: Full code.
"""
PROGRESS = """Assessment and Plan:
1. AKI - improving. Stop aspirin.
2. CTA negative for PE.
"""
DISCHARGE = """DISCHARGE SUMMARY
Discharge Medications:
CHANGED:
- Lisinopril 10 mg PO daily (DECREASED from 20 mg)
- Furosemide 40 mg PO daily
STOP:
- Aspirin 81 mg

Pending Results: echo report pending.
"""


@pytest.fixture(scope="module")
def story(extractor):
    notes = [Note(patient_id="T1", note_id="n1", note_type="history_and_physical",
                  date="2026-01-01", text=HP),
             Note(patient_id="T1", note_id="n3", note_type="discharge_summary",
                  date="2026-01-03", text=DISCHARGE),
             Note(patient_id="T1", note_id="n2", note_type="progress_note",
                  date="2026-01-02", text=PROGRESS)]
    return notes, build_timeline(notes, [extractor.extract_note(n) for n in notes])


def _track(timeline, name):
    return next(m for m in timeline.medications if m.name == name)


def test_when_drug_held_then_restarted_lower_then_track_active_at_new_dose(story):
    _, tl = story
    lisinopril = _track(tl, "lisinopril")
    changes = [e.change for e in lisinopril.events]
    assert "held" in changes and changes[-1] in ("dose_changed", "resumed")
    assert lisinopril.status == "active" and lisinopril.dose == "10 mg"


def test_when_drug_stopped_then_status_stopped_and_discharge_stop_list_agrees(story):
    _, tl = story
    aspirin = _track(tl, "aspirin")
    assert aspirin.status == "stopped"
    assert [e.note_id for e in aspirin.events if e.change == "stopped"] == ["n2", "n3"]


def test_notes_are_ordered_by_date_whatever_the_input_order(story):
    _, tl = story
    assert [n.note_id for n in tl.notes] == ["n1", "n2", "n3"]


def test_every_event_and_item_cites_the_note_text(story):
    notes, tl = story
    text = {n.note_id: n.text for n in notes}
    cites = [e.citation for m in tl.medications for e in m.events]
    cites += [e.citation for p in tl.problems for e in p.events]
    cites += [c for i in tl.items for c in i.citations]
    assert cites
    for c in cites:
        assert 0 <= c.start < c.end <= len(text[c.note_id])
    furosemide = _track(tl, "furosemide")
    first = furosemide.events[0].citation
    assert text[first.note_id][first.start:first.end].startswith("Furosemide 20 mg")


def test_suspected_then_negative_problem_is_ruled_out(story):
    _, tl = story
    pe = next(p for p in tl.problems if p.codes and p.codes[0].startswith("I26"))
    assert pe.status == "ruled_out"


def test_family_history_is_an_item_not_a_problem_and_code_status_found(story):
    _, tl = story
    assert not any("breast" in p.name.lower() for p in tl.problems)
    kinds = {(i.kind, i.text) for i in tl.items}
    assert ("family_history", "breast cancer") in kinds
    assert ("code_status", "Full code") in kinds
    assert any(i.kind == "pending" and "echo" in i.text for i in tl.items)


def test_when_notes_of_two_patients_then_input_error(extractor):
    notes = [Note(patient_id="A", note_id="a", text="x"),
             Note(patient_id="B", note_id="b", text="y")]
    with pytest.raises(InputError, match="2 patients"):
        build_timeline(notes, [])


def test_when_cue_file_has_bad_label_then_rule_file_error_names_entry(tmp_path):
    (tmp_path / "cues.json").write_text(json.dumps({"cue_rules": [
        {"kind": "medication", "label": "held", "pattern": "hold"},
        {"kind": "medication", "label": "paused", "pattern": "pause"}]}))
    with pytest.raises(RuleFileError, match="entry 1"):
        Rules(tmp_path)


def test_when_a_subtype_is_excluded_then_its_category_diagnosis_stays_active(extractor):
    # HELLP syndrome (O14.2) and preeclampsia (O14.1) share an ICD-10-CM category;
    # excluding the subtype says nothing of the diagnosis made.
    text = ("DISCHARGE DX:\n1. Preeclampsia with severe features -- controlled\n"
            "2. HELLP syndrome -- excluded\n")
    note = Note(patient_id="T2", note_id="d1", note_type="discharge_summary",
                date="2026-06-12", text=text)
    timeline = build_timeline([note], [extractor.extract_note(note)])
    status = {p.name.lower(): p.status for p in timeline.problems}
    assert status["hellp syndrome"] == "ruled_out"
    assert status["preeclampsia"] == "active"


def test_when_the_discharge_list_header_is_abbreviated_then_it_is_the_discharge_list(
        extractor):
    # "D/C meds:" is "discharge meds:"; its "RESUME:" / "CHANGED:" labels are statuses.
    text = ("D/C meds:\nRESUME: metformin 1000 mg PO BID\n"
            "CHANGED: amlodipine 5 mg PO daily (was 10 mg)\n")
    note = Note(patient_id="T3", note_id="d1", note_type="discharge_summary",
                date="2026-02-11", text=text)
    ext = extractor.extract_note(note)
    drugs = {e.text.lower(): (e.section, e.assertion) for e in ext.entities
             if e.type == "MEDICATION"}
    assert drugs["metformin"] == ("DISCHARGE_MEDICATIONS", "present")
    assert drugs["amlodipine"] == ("DISCHARGE_MEDICATIONS", "present")


def test_when_a_line_label_names_a_status_then_every_item_of_the_line_has_it(extractor):
    text = ("DISCHARGE SUMMARY\nDischarge diagnoses:\n"
            "1. Septic shock from RLL pneumonia with bacteremia -- resolved\n"
            "2. PE and endocarditis not supported\n"
            "Excluded: acute coronary syndrome (flat troponin), pneumothorax\n"
            "Discharge medications:\n- metformin 500 mg PO BID\n"
            "Stopped in hospital: continuous albuterol, IV methylprednisolone. "
            "Magnesium sulfate was an ED dose only.\n")
    note = Note(patient_id="T4", note_id="d1", note_type="discharge_summary",
                date="2026-02-11", text=text)
    timeline = build_timeline([note], [extractor.extract_note(note)])
    status = {p.name.lower(): p.status for p in timeline.problems}
    assert status["septic shock"] == "resolved"
    assert status["pe"] == "ruled_out" and status["endocarditis"] == "ruled_out"
    assert status["acute coronary syndrome"] == "ruled_out"
    assert status["pneumothorax"] == "ruled_out"
    drugs = {m.name: m.status for m in timeline.medications}
    assert drugs["methylprednisolone"] == "stopped"
    assert drugs["metformin"] == "active"


def test_when_a_drug_was_a_single_dose_then_it_is_not_current_at_discharge(extractor):
    notes = [
        Note(patient_id="T5", note_id="p1", note_type="progress_note", date="2026-02-13",
             text="A/P:\n- Delirium: no antipsychotic since the single haloperidol dose "
                  "2/12.\n"),
        Note(patient_id="T5", note_id="d1", note_type="discharge_summary",
             date="2026-02-15",
             text="DISCHARGE SUMMARY\nHospital course: vitamin K 2.5 mg IV x1 on 2/10.\n"
                  "Discharge medications:\n- warfarin 3 mg PO daily\n"
                  "Inpatient only: haloperidol 0.5 mg PO once (2/12).\n")]
    timeline = build_timeline(notes, [extractor.extract_note(n) for n in notes])
    status = {m.name: m.status for m in timeline.medications}
    assert status["haloperidol"] != "active"
    assert "vitamin k" in status and status["vitamin k"] != "active"
    assert status["warfarin"] == "active"


def test_when_a_status_follows_a_list_of_drugs_or_a_clause_dates_it_then_each_drug_reads_right(
        extractor):
    notes = [
        Note(patient_id="T6", note_id="p1", note_type="progress_note", date="2026-03-03",
             text="A/P:\n- Induction: cytarabine 100 mg/m2/day and daunorubicin 90 mg/m2.\n"
                  "- Prophylaxis: fluconazole 400 mg PO daily, acyclovir 400 mg PO BID.\n"),
        Note(patient_id="T6", note_id="p2", note_type="progress_note", date="2026-03-15",
             text="A/P:\n- Voriconazole 4 mg/kg IV q12h started 3/14.\n"),
        Note(patient_id="T6", note_id="d1", note_type="discharge_summary", date="2026-03-20",
             text="DISCHARGE SUMMARY\nDischarge medications:\n- acyclovir 400 mg PO BID\n"
                  "- Posaconazole 300 mg PO daily (replaces voriconazole)\n"
                  "STOPPED:\n- Voriconazole - d/c'd 3/18 -> posaconazole\n"
                  "- Fluconazole - d/c'd 3/14 when voriconazole started\n"
                  "- Cytarabine and daunorubicin - induction completed 3/9\n")]
    timeline = build_timeline(notes, [extractor.extract_note(n) for n in notes])
    status = {m.name.lower(): m.status for m in timeline.medications}
    assert status["cytarabine"] == "stopped" and status["daunorubicin"] == "stopped"
    assert status["fluconazole"] == "stopped"
    assert status["voriconazole"] == "stopped"
    assert status["acyclovir"] == "active"


def test_when_a_diagnosis_is_left_indeterminate_then_a_negative_aside_does_not_exclude_it(
        extractor):
    # The negative test in the aside is evidence for the open verdict, not an exclusion;
    # a plain exclusion on the next line still rules its problem out.
    text = ("ASSESSMENT AND PLAN:\n"
            "1. Pneumonia inconclusive (sputum culture negative, CT equivocal) - repeat CT.\n"
            "2. Pulmonary embolism excluded by CTA.\n")
    note = Note(patient_id="T3", note_id="p1", note_type="progress_note",
                date="2026-06-12", text=text)
    timeline = build_timeline([note], [extractor.extract_note(note)])
    status = {p.name.lower(): p.status for p in timeline.problems}
    assert status["pneumonia"] == "possible"
    assert status["pulmonary embolism"] == "ruled_out"


def test_a_drug_named_as_contraindicated_or_advised_against_is_not_given():
    """'X flagged as contraindicated', 'X: advised against': named, never given (the
    medication cue 'not_given'), so the timeline never lists it as current."""
    from agent.config import Settings
    from agent.handoff.timeline import note_mentions
    from agent.nlp.entities import default_extractor
    from agent.rules import rules_for
    from agent.schemas.notes import Note

    extractor, rules = default_extractor(), rules_for(Settings())
    for text, drug, expected in [
        ("Gout - colchicine listed in the record as contraindicated (CKD 4).", "colchicine",
         ("mentioned", "not started")),
        ("Tramadol: advised against because of the seizure history.", "Tramadol",
         ("mentioned", "not given")),
        # A contraindication of something else leaves the drug current.
        ("Metformin 500 mg BID continued; contrast is not contraindicated.", "Metformin",
         ("continued", None)),
    ]:
        note = Note(patient_id="p", note_id="n", text=text, date="2026-01-01")
        mentions = note_mentions(note, extractor.extract_note(note), rules)
        got = [(m.change, m.detail) for m in mentions if m.ent.text == drug]
        assert got == [expected], (text, got)


# A stopped-list line that names what the stopped drug was replaced by (multinote_dev26
# shape, other words): the replacement is taken, the replaced drug and the rest stopped.
@pytest.mark.parametrize("line", [
    "Stopped: omeprazole (replaced by famotidine); vancomycin (course done).",
    "STOPPED: omeprazole (switched to famotidine); vancomycin.",
    "Discontinued: omeprazole -> famotidine; vancomycin (completed).",
])
def test_the_replacement_named_in_a_stopped_line_is_not_stopped(extractor, line):
    notes = [Note(patient_id="T9", note_id="t9a", note_type="history_and_physical",
                  date="2026-02-01",
                  text="Meds: omeprazole 20 mg PO daily. Vancomycin 1 g IV q12h started.\n"),
             Note(patient_id="T9", note_id="t9b", note_type="discharge_summary",
                  date="2026-02-04",
                  text="DISCHARGE SUMMARY\nDischarge medications:\n"
                       "- Famotidine 20 mg PO BID - NEW\n" + line + "\n")]
    tl = build_timeline(notes, [extractor.extract_note(n) for n in notes])
    assert _track(tl, "omeprazole").status == "stopped"
    assert _track(tl, "vancomycin").status == "stopped"
    assert _track(tl, "famotidine").status == "active"


def test_a_stopped_line_without_a_replacement_stops_every_drug(extractor):
    notes = [Note(patient_id="T9", note_id="t9c", note_type="discharge_summary",
                  date="2026-02-04",
                  text="DISCHARGE SUMMARY\nStopped: omeprazole (GI upset); famotidine "
                       "(no longer needed).\n")]
    tl = build_timeline(notes, [extractor.extract_note(n) for n in notes])
    assert _track(tl, "omeprazole").status == "stopped"
    assert _track(tl, "famotidine").status == "stopped"


# An allergy the note only wonders about is no allergy item (multinote_dev26 shape).
def test_a_doubted_allergy_is_not_listed_and_a_firm_one_is(extractor):
    notes = [Note(patient_id="T8", note_id="t8a", note_type="history_and_physical",
                  date="2026-02-01",
                  text="HPI: 5 y/o with hives.\n"
                       "Allergies: sulfa - hives. ? cefdinir reaction vs viral exanthem.\n"
                       "Allergies: possible latex allergy, unconfirmed.\n")]
    tl = build_timeline(notes, [extractor.extract_note(n) for n in notes])
    listed = {i.text.lower() for i in tl.items if i.kind == "allergy"}
    assert "sulfa" in listed
    assert "cefdinir" not in listed
    assert "latex" not in listed


# The evidence of an exclusion, in parentheses after the excluded item, is not excluded
# itself (multinote_dev26 shape: "urinary tract infection (sterile pyuria)").
def test_the_evidence_aside_of_an_excluded_item_is_not_ruled_out(extractor):
    notes = [Note(patient_id="T7", note_id="t7a", note_type="discharge_summary",
                  date="2026-02-04",
                  text="DISCHARGE SUMMARY\nDischarge diagnoses:\n1. Viral bronchitis.\n"
                       "Ruled out: pulmonary embolism (small pleural effusion only); "
                       "pneumonia.\n")]
    tl = build_timeline(notes, [extractor.extract_note(n) for n in notes])
    status = {p.name.lower(): p.status for p in tl.problems}
    assert status.get("pulmonary embolism") == "ruled_out", status
    assert status.get("pneumonia") == "ruled_out", status
    assert status.get("pleural effusion", status.get("small pleural effusion")) != \
        "ruled_out", status


@pytest.mark.parametrize("line, status", [
    # The word before the drug is its status; the parenthesis tells its history.
    ("Restart apixaban 5 mg PO BID (on hold 3/2-3/5 for the biopsy)", "active"),
    ("STOP apixaban 5 mg PO BID (resumed briefly 3/4)", "stopped"),
    # Look-alike: no word outside the parenthesis, so the aside is all there is.
    ("apixaban 5 mg PO BID (held 3/2-3/5)", "held"),
])
def test_a_status_word_before_the_drug_outranks_the_history_in_its_parenthesis(
        extractor, line, status):
    notes = [Note(patient_id="T10", note_id="t10a", note_type="history_and_physical",
                  date="2026-03-01", text="Home meds:\n- apixaban 5 mg PO BID\n"),
             Note(patient_id="T10", note_id="t10b", note_type="discharge_summary",
                  date="2026-03-06",
                  text="DISCHARGE SUMMARY\nDischarge medications:\n" + line + "\n")]
    tl = build_timeline(notes, [extractor.extract_note(n) for n in notes])
    assert _track(tl, "apixaban").status == status


@pytest.mark.parametrize("discharge_list, status", [
    # The note moves the drug to tablets and stops the drip form: still taken.
    ("- Famotidine 20 mg PO BID - NEW route\n", "active"),
    # Look-alike: nothing else of it on the list, so the stop is the drug's.
    ("- Docusate 100 mg PO BID\n", "stopped"),
])
def test_stopping_one_route_of_a_drug_the_same_note_continues_by_another_keeps_it(
        extractor, discharge_list, status):
    notes = [Note(patient_id="T11", note_id="t11a", note_type="progress_note",
                  date="2026-03-01", text="Plan:\n- famotidine 20 mg IV BID\n- heparin 5000 "
                                          "units SC q8h\n"),
             Note(patient_id="T11", note_id="t11b", note_type="discharge_summary",
                  date="2026-03-04",
                  text="DISCHARGE SUMMARY\nDischarge medications:\n" + discharge_list
                       + "Stopped in hospital: IV famotidine, heparin SC.\n")]
    tl = build_timeline(notes, [extractor.extract_note(n) for n in notes])
    assert _track(tl, "famotidine").status == status
    assert _track(tl, "heparin").status == "stopped"


def test_stopping_the_infusion_of_a_drug_the_same_note_moves_to_tablets_keeps_it(extractor):
    notes = [Note(patient_id="T12", note_id="t12a", note_type="progress_note",
                  date="2026-03-01", text="Plan:\n- esomeprazole 8 mg/h IV infusion\n"),
             Note(patient_id="T12", note_id="t12b", note_type="discharge_summary",
                  date="2026-03-04",
                  text="DISCHARGE SUMMARY\nDischarge medications:\n- Esomeprazole 40 mg PO BID"
                       " - NEW\nInpatient only: esomeprazole infusion (3/1-3/3).\n")]
    tl = build_timeline(notes, [extractor.extract_note(n) for n in notes])
    assert _track(tl, "esomeprazole").status == "active"
