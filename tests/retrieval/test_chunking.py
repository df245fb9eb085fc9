"""Chunking: offsets, deterministic ids, sections, medication items never split."""

from __future__ import annotations

import pytest

from agent.schemas.notes import Note
from retrieval.chunking import SectionSpan, chunk_note, embedding_text

NOTE_TEXT = (
    "HPI: 67 yo F with HTN. Presents with chest pain. Denies fever.\n"
    "\n"
    "Discharge medications:\n"
    "- metoprolol succinate 50 mg PO daily\n"
    "- apixaban 5 mg PO BID\n"
    "  (hold for procedures)\n"
    "- atorvastatin 40 mg PO nightly\n"
    "\n"
    "Plan: follow up with cardiology in 2 weeks.\n"
)


def _note(text: str = NOTE_TEXT) -> Note:
    return Note(patient_id="P9", note_id="P9-01", note_type="discharge_summary",
                date="2026-01-02", text=text)


def _layout(text: str) -> tuple[list[SectionSpan], list[tuple[int, int]]]:
    meds = text.index("Discharge medications")
    plan = text.index("Plan:")
    sections = [SectionSpan(0, meds, "HPI"), SectionSpan(meds, plan, "DISCHARGE_MEDICATIONS"),
                SectionSpan(plan, len(text), "ASSESSMENT_PLAN")]
    sentences, pos = [], 0
    for piece in text.replace("\n", ".").split("."):
        if piece.strip():
            sentences.append((pos, pos + len(piece)))
        pos += len(piece) + 1
    return sections, sentences


def test_when_chunked_then_offsets_point_into_the_note_and_ids_are_deterministic():
    note = _note()
    chunks = chunk_note(note, *_layout(note.text), max_chars=60)
    assert chunks
    for c in chunks:
        assert note.text[c.start:c.end] == c.text
        assert c.chunk_id == f"P9-01:{c.start}-{c.end}"
        assert c.note_type == "discharge_summary" and c.date == "2026-01-02"
    again = chunk_note(note, *_layout(note.text), max_chars=60)
    assert [c.chunk_id for c in again] == [c.chunk_id for c in chunks]


def test_when_section_changes_then_chunks_do_not_cross_it():
    note = _note()
    chunks = chunk_note(note, *_layout(note.text), max_chars=2000)
    assert [c.section for c in chunks] == ["HPI", "DISCHARGE_MEDICATIONS", "ASSESSMENT_PLAN"]


@pytest.mark.parametrize("max_chars", [20, 45, 60, 100])
def test_when_medication_list_is_chunked_then_no_item_is_split(max_chars):
    note = _note()
    chunks = chunk_note(note, *_layout(note.text), max_chars=max_chars)
    med_chunks = [c for c in chunks if c.section == "DISCHARGE_MEDICATIONS"]
    items = ["- metoprolol succinate 50 mg PO daily",
             "- apixaban 5 mg PO BID\n  (hold for procedures)",
             "- atorvastatin 40 mg PO nightly"]
    for item in items:
        assert any(item in c.text for c in med_chunks), item


def test_when_sentence_exceeds_limit_then_it_is_cut_at_whitespace():
    text = "HPI: " + " ".join(["word"] * 200)
    note = _note(text)
    chunks = chunk_note(note, [SectionSpan(0, len(text), "HPI")], [(0, len(text))],
                        max_chars=100)
    assert len(chunks) > 1
    assert all(len(c.text) <= 100 for c in chunks)
    assert all(not c.text.startswith(" ") for c in chunks)


def test_when_no_sections_given_then_whole_text_is_covered_with_section_none():
    note = _note("Short note. Nothing else.")
    chunks = chunk_note(note, [], [(0, 11), (12, 25)])
    assert [(c.start, c.end, c.section) for c in chunks] == [(0, 25, None)]


def test_embedding_text_prefixes_the_section_name():
    note = _note()
    chunk = chunk_note(note, *_layout(note.text))[1]
    assert embedding_text(chunk).startswith("discharge medications: ")
