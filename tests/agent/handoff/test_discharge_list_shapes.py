"""Discharge medication lists the timeline must read whatever section they sit in: a
patient-worded "STOP TAKING:" header under an unknown heading, a labelled list that wraps
onto the next line, a "Medicines you got only in the hospital:" label; and a device or
infusion a discharge list stops, given by a statement as still going on."""

from __future__ import annotations

import pytest

from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.notes import Note

W4 = [
    Note(patient_id="W4", note_id="W4-1", note_type="progress_note", date="2026-07-02",
         text="PROGRESS NOTE\nA/P:\n- Pain: tramadol 50 mg PO q6h PRN.\n"
              "- Methylprednisolone 40 mg IV daily. Famotidine 20 mg IV BID.\n"
              "- DVT ppx: heparin 5,000 units SC q8h.\n"
              "- Cellulitis: cefazolin 2 g IV q8h.\n- Dalteparin 5,000 units SC daily.\n"
              "- Home rivaroxaban held 7/1.\n"
              "- DVT: fondaparinux 7.5 mg SC daily started 7/2 (rivaroxaban absorption "
              "poor).\n"
              "- IV fluids: lactated Ringer's at 100 mL/h.\n"),
    Note(patient_id="W4", note_id="W4-2", note_type="discharge_summary", date="2026-07-05",
         text="DISCHARGE SUMMARY\nHospital course: cellulitis improved on IV antibiotics; "
              "IV fluids ran for two days.\n\n"
              "Your medicines\n\n"
              "STOP TAKING:\n- Tramadol: you had it only while in pain after the fall.\n\n"
              "Inpatient only, stopped before discharge: heparin 5,000 units SC (7/1-7/3),\n"
              "cefazolin 2 g IV q8h (7/1-7/5).\n"
              "Medicines you got only in the hospital: dalteparin shots.\n"
              "Stopped before discharge: IV fluids.\n"
              "Methylprednisolone, insulin and famotidine stopped at discharge.\n\n"
              "KEEP TAKING:\n- Cephalexin 500 mg PO QID through 7/12.\n"),
]


@pytest.fixture(scope="module")
def w4(extractor):
    return PatientRecord.prepare(W4, extractor, Rules.load())


def _status(record, name):
    return next(t.status for t in record.timeline.medications if t.name.lower() == name)


def test_a_stop_header_on_its_own_line_heads_its_bullets_in_any_section(w4):
    assert _status(w4, "tramadol") == "stopped"


def test_a_labelled_list_that_wraps_keeps_its_label(w4):
    assert _status(w4, "cefazolin") == "stopped"


def test_a_hospital_only_label_stops_what_it_lists(w4):
    assert _status(w4, "dalteparin") == "stopped"


def test_a_drug_in_parentheses_does_not_take_the_change_before_them(w4):
    # "fondaparinux started 7/2 (rivaroxaban absorption poor)": rivaroxaban was not
    # restarted there.
    assert not any(e.change in ("started", "resumed")
                   for e in next(t for t in w4.timeline.medications
                                 if t.name.lower() == "rivaroxaban").events)


def test_a_status_after_a_list_of_drugs_is_each_ones(w4):
    # "insulin" between them is a drug word too; the stop word after the list still
    # reaches the first drug.
    assert _status(w4, "methylprednisolone") == "stopped"


def test_an_infusion_a_discharge_list_stops_is_not_still_running(w4):
    v = w4.check("He remains on IV fluids.", [])
    assert v.verdict == "CONTRADICTED", v.detail
