"""Extractive I-PASS statements and the hierarchical LLM summarizer (scripted backend)."""

from __future__ import annotations

import json
import re

import pytest

from agent.errors import BackendUnavailable
from agent.handoff.extractive import extractive_statements
from agent.handoff.hierarchical import HierarchicalSummarizer, pack, passages
from agent.llm.base import Completion
from agent.nlp.layout import layout_note
from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.notes import Note


class ScriptedBackend:
    """Replays queued replies (a string, or an exception to raise)."""

    name = "scripted"
    model = "scripted-model"

    def __init__(self, *replies) -> None:
        self.replies = list(replies)
        self.calls: list[list[dict]] = []

    def generate(self, messages, *, json_schema=None, params=None) -> Completion:
        self.calls.append(messages)
        item = self.replies.pop(0) if self.replies else json.dumps({"statements": []})
        if isinstance(item, BaseException):
            raise item
        return Completion(text=item, prompt_tokens=100, completion_tokens=20,
                          backend=self.name, model=self.model, finish_reason="stop")


@pytest.fixture(scope="module")
def p001(extractor):
    from evals.synthetic import load_notes

    notes = [n for n in load_notes() if n.patient_id == "P001"]
    record = PatientRecord.prepare(notes, extractor, Rules.load())
    return record.notes, record.timeline, record.layouts


def test_every_extractive_statement_cites_a_span_of_its_note(p001):
    notes, tl, layouts = p001
    text = {n.note_id: n.text for n in notes}
    statements = extractive_statements(notes, tl, layouts)
    assert {s.section for s in statements} >= {
        "illness_severity", "patient_summary", "active_problems", "medications",
        "allergies", "pending", "action_list", "situation_awareness"}
    for s in statements:
        assert s.citations, s.text
        for c in s.citations:
            assert 0 <= c.start < c.end <= len(text[c.note_id])


def test_extractive_medications_show_stopped_and_changed_doses(p001):
    notes, tl, layouts = p001
    meds = [s.text for s in extractive_statements(notes, tl, layouts)
            if s.section == "medications"]
    aspirin = next(t for t in meds if t.lower().startswith("aspirin"))
    assert "STOPPED" in aspirin
    lisinopril = next(t for t in meds if t.lower().startswith("lisinopril"))
    assert "10 mg" in lisinopril and "held" in lisinopril and "current" in lisinopril


def test_llm_statements_cite_ids_mapped_to_offsets_and_unknown_ids_keep_no_citation(p001):
    notes, tl, layouts = p001
    note = notes[-1]
    section_reply = json.dumps({"statements": [
        {"section": "patient_summary", "text": "Admitted with heart failure.",
         "cites": ["p1"]},
        {"section": "action_list", "text": "Check BMP.", "cites": ["p999"]}]})
    # The patient level cites the section-level statements (s1, s2) it rests on.
    patient_reply = json.dumps({"statements": [
        {"section": "patient_summary", "text": "Heart failure admission.", "cites": ["s1"]},
        {"section": "situation_awareness", "text": "Full code.", "cites": ["x7"]},
        {"section": "medications", "text": "Not a narrative section.", "cites": ["s1"]}]})
    backend = ScriptedBackend(section_reply, patient_reply)
    summarizer = HierarchicalSummarizer(backend, budget=100_000, max_statements=6)
    out = summarizer.summarize([note], tl, [])
    first = passages(note, 50_000, layouts[note.note_id])[0].citations[0]
    by_text = {s.text: s for s in out}
    assert set(by_text) == {"Heart failure admission.", "Full code."}
    assert by_text["Heart failure admission."].citations == [first]
    assert by_text["Full code."].citations == []
    assert all(s.origin == "llm" for s in out)
    assert summarizer.unmapped == 2  # p999 at the section level, x7 at the patient level
    assert [c.level for c in summarizer.calls] == ["section", "patient"]
    assert all(c.prompt_tokens == 100 for c in summarizer.calls)


def test_when_level_does_not_fit_then_it_is_split_into_calls_never_truncated(p001):
    notes, tl, layouts = p001
    note = notes[1]
    units = passages(note, 300, layouts[note.note_id])
    # Passages cover every word of the note (only blanks, bullet dashes, list numbers and
    # ';' between passages are left out): nothing is cut away.
    def words(text):
        return "".join(ch for ch in text if not ch.isspace() and ch not in "-;*")

    unlisted = re.sub(r"(?m)^(\s*)(?:\d{1,2}[.)]|[a-z][.)]|#\d*)\s+", r"\1", note.text)
    assert words("".join(u.text for u in units)) == words(unlisted)
    assert all(len(u.text) <= 300 for u in units)
    groups = pack(units, 600)
    assert len(groups) > 1 and sum(len(g) for g in groups) == len(units)
    summarizer = HierarchicalSummarizer(ScriptedBackend(), budget=600, max_statements=2)
    summarizer.summarize([note], tl, [])
    section_calls = [c for c in summarizer.calls if c.level == "section"]
    assert len(section_calls) >= len(groups)


def test_when_backend_down_then_error_propagates_for_fallback(p001):
    notes, tl, layouts = p001
    backend = ScriptedBackend(BackendUnavailable("server down"))
    with pytest.raises(BackendUnavailable):
        HierarchicalSummarizer(backend, budget=5000).summarize(notes[:1], tl, [])


def test_when_reply_stays_invalid_then_call_recorded_with_error(p001):
    notes, tl, layouts = p001
    backend = ScriptedBackend("not json", "still not json", "{}")
    summarizer = HierarchicalSummarizer(backend, budget=100_000, max_retries=2)
    summarizer._call("patient", "P001", [], patient_id="P001", facts="(none)")
    call = summarizer.calls[-1]
    assert call.error and call.attempts == 3 and call.prompt_tokens == 300


def test_a_single_sentence_longer_than_the_budget_is_cut_at_spaces():
    text = "HPI: " + " ".join(["word"] * 200) + "."
    note = Note(patient_id="X", note_id="x1", text=text)
    units = passages(note, 120, layout_note(text, [], Rules.load().headers))
    assert len(units) > 1 and all(len(u.text) <= 120 for u in units)
    for u in units:
        c = u.citations[0]
        assert text[c.start:c.end] == u.text


def test_a_drug_whose_dose_changed_in_its_last_note_is_named_with_the_new_regimen(extractor):
    # P001's first three notes: the H&P lists home furosemide 20 mg PO daily and changes it
    # to 40 mg IV BID; the statement named the drug by the home line and was CONTRADICTED.
    from evals.synthetic import load_notes

    notes = [n for n in load_notes() if n.patient_id == "P001"][:3]
    record = PatientRecord.prepare(notes, extractor, Rules.load())
    meds = [s.text for s in extractive_statements(record.notes, record.timeline,
                                                  record.layouts) if s.section == "medications"]
    furosemide = next(t for t in meds if t.lower().startswith("furosemide"))
    assert furosemide.startswith("Furosemide 40 mg IV BID"), furosemide


def _problem_lines(extractor, notes: list[Note]) -> list[str]:
    record = PatientRecord.prepare(notes, extractor, Rules.load())
    return [s.text for s in extractive_statements(record.notes, record.timeline,
                                                  record.layouts)
            if s.section == "active_problems"]


_ADMIT = ("ADMISSION H&P 2026-03-02\nAssessment and plan:\n1. Pulmonary embolism: "
          "heparin drip started.\n2. Hyponatremia: fluid restrict.\n3. Cellulitis of the "
          "left leg: cefazolin.\n")


def _discharge(items: str) -> Note:
    return Note(patient_id="q", note_id="q-2", note_type="discharge_summary",
                date="2026-03-06", text="DISCHARGE SUMMARY 2026-03-06\nDischarge diagnoses:\n"
                                        + items + "\nFollow-up: clinic in 1 week.\n")


@pytest.mark.parametrize("items, open_problem", [
    # The final list leaves an earlier outright diagnosis open: shown as a question.
    ("1. Cellulitis of the left leg\n2. Pulmonary embolism -- not excluded, V/Q scan "
     "pending\n3. Hyponatremia", "embolism"),
    ("1. Cellulitis of the left leg\n2. Possible pulmonary embolism, CTA to be repeated "
     "as outpatient\n3. Hyponatremia", "embolism"),
])
def test_a_problem_the_discharge_list_leaves_open_is_possible_not_active(
        extractor, items, open_problem):
    admit = Note(patient_id="q", note_id="q-1", note_type="history_and_physical",
                 date="2026-03-02", text=_ADMIT)
    lines = _problem_lines(extractor, [admit, _discharge(items)])
    about = [t for t in lines if open_problem in t.lower()]
    assert about and all(t.endswith(": possible, not settled") for t in about), lines
    assert any(t.lower().startswith("cellulitis") and t.endswith(": active") for t in lines)


def test_a_problem_the_discharge_list_confirms_stays_active(extractor):
    # Look-alike: the same admission, the list names the embolism outright.
    admit = Note(patient_id="q", note_id="q-1", note_type="history_and_physical",
                 date="2026-03-02", text=_ADMIT)
    lines = _problem_lines(extractor, [admit, _discharge(
        "1. Cellulitis of the left leg\n2. Pulmonary embolism\n3. Hyponatremia")])
    assert any("embolism" in t.lower() and t.endswith(": active") for t in lines), lines
    assert not any("not settled" in t for t in lines), lines


def test_a_stopped_drug_named_bare_is_shown_with_the_regimen_a_note_stated(extractor):
    notes = [Note(patient_id="s", note_id="s-1", note_type="progress_note", date="2026-05-01",
                  text="Plan:\n- Started levofloxacin 750 mg PO daily for CAP.\n"
                       "- Melatonin at bedtime.\n"),
             Note(patient_id="s", note_id="s-2", note_type="discharge_summary",
                  date="2026-05-04",
                  text="DISCHARGE SUMMARY\nDischarge medications:\n- Amlodipine 5 mg PO daily\n"
                       "Stopped: levofloxacin (course complete); melatonin.\n")]
    record = PatientRecord.prepare(notes, extractor, Rules.load())
    meds = {s.text.split()[0].lower(): s for s in extractive_statements(
        record.notes, record.timeline, record.layouts) if s.section == "medications"}
    levo = meds["levofloxacin"]
    assert levo.text.startswith("levofloxacin 750 mg") and "STOPPED" in levo.text, levo.text
    # The regimen is cited where a note stated it.
    assert any(c.note_id == "s-1" for c in levo.citations), levo.citations
    # Look-alike: no note gave melatonin a dose, so none is made up.
    if "melatonin" in meds:
        assert not any(ch.isdigit() for ch in meds["melatonin"].text.split(":")[0])
