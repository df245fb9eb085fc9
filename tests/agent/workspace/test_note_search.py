"""Search within a patient's notes: words together on a line, in note order."""

from __future__ import annotations

import pytest

from agent.errors import InputError
from agent.schemas.notes import Note
from agent.workspace.note_search import search_notes


def _notes():
    return [
        Note(patient_id="X", note_id="B", date="2026-03-15",
             text="Plan:\nIncrease Furosemide to 40 mg IV BID.\nK 3.4"),
        Note(patient_id="X", note_id="A", date="2026-03-14",
             text="Meds: furosemide 20 mg daily\nLungs: crackles\nCr 1.3 (baseline 1.1)"),
    ]


def test_single_word_hits_every_occurrence_case_insensitive():
    notes = sorted(_notes(), key=lambda n: n.date)
    result = search_notes("X", notes, "FUROSEMIDE")
    assert result.total == 2 and [h.note_id for h in result.hits] == ["A", "B"]
    for h in result.hits:
        text = {n.note_id: n.text for n in notes}[h.note_id]
        assert text[h.start:h.end].lower() == "furosemide"
        assert h.snippet[h.start - h.snippet_start:h.end - h.snippet_start].lower() == \
            "furosemide"
        assert "\n" not in h.snippet


def test_several_words_must_share_a_line():
    notes = sorted(_notes(), key=lambda n: n.date)
    result = search_notes("X", notes, "cr baseline")
    assert [(h.note_id, h.snippet) for h in result.hits] == [("A", "Cr 1.3 (baseline 1.1)")]
    assert search_notes("X", notes, "furosemide crackles").hits[0].note_id == "A"
    assert search_notes("X", notes, "furosemide pancreatitis").total == 0


def test_limit_keeps_total():
    notes = sorted(_notes(), key=lambda n: n.date)
    result = search_notes("X", notes, "furosemide", limit=1)
    assert result.total == 2 and len(result.hits) == 1


@pytest.mark.parametrize("query", ["", "   ", "x" * 201])
def test_empty_or_long_query_is_refused(query):
    with pytest.raises(InputError) as e:
        search_notes("X", _notes(), query)
    assert e.value.field == "q"


def test_demo_p002_search(demo_record):
    record = demo_record("P002")
    result = search_notes("P002", record.notes, "prednisone")
    assert result.total >= 2
    dates = [h.date for h in result.hits]
    assert dates == sorted(dates)
