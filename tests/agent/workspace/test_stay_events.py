"""The timeline of the stay from the record: notes, admission, discharge, changes, results."""

from __future__ import annotations

from agent.config import WorkspaceSettings
from agent.workspace.note_titles import note_heading
from agent.workspace.stay_events import stay_timeline

WS = WorkspaceSettings()


def _timeline(record):
    headings = {n.note_id: note_heading(n.text, n.note_type, author_labels=WS.author_labels,
                                        header_labels=WS.author_header_labels,
                                        attending_labels=WS.banner_labels.attending)
                for n in record.notes}
    return stay_timeline(record.patient_id, record.notes, record.extractions,
                         record.timeline, headings)


def test_demo_p001_stay(demo_record):
    record = demo_record("P001")
    stay = _timeline(record)
    texts = {n.note_id: n.text for n in record.notes}
    kinds = [e.kind for e in stay.events]
    assert kinds[0] == "admission" and stay.events[0].note_id == "P001-01"
    assert kinds[-1] == "discharge" and stay.events[-1].note_id == "P001-06"
    assert kinds.count("note") == len(record.notes) == len(stay.notes)
    dates = [e.date for e in stay.events]
    assert dates == sorted(dates)
    meds = [e.text for e in stay.events if e.kind == "medication"]
    assert "furosemide dose changed 20 mg oral DAILY -> 40 mg IV BID" in meds
    # Held on admission and still held on day 3 is one change.
    assert meds.count("lisinopril held") == 1
    assert sum(t.startswith("aspirin stopped") for t in meds) == 1
    problems = [e.text for e in stay.events if e.kind == "problem"]
    assert "Hypokalemia resolved" in problems
    results = [e for e in stay.events if e.kind == "result"]
    assert any(e.text.startswith("Cr 1.9, BUN 48") for e in results)
    for e in stay.events:
        if e.citation is not None:
            assert e.citation.note_id == e.note_id
            assert texts[e.note_id][e.citation.start:e.citation.end].strip()


def test_demo_p004_procedure_once_per_day(demo_record):
    stay = _timeline(demo_record("P004"))
    procedures = [(e.date, e.text) for e in stay.events if e.kind == "procedure"]
    assert len(procedures) == len(set(procedures))
    assert stay.notes[2].title == "Gastroenterology procedure note"
