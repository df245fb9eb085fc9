"""Hybrid fusion and filters."""

from __future__ import annotations

from agent.schemas.notes import Note
from agent.schemas.retrieval import SearchFilters
from retrieval.chunking import SectionSpan, chunk_note, embedding_text
from retrieval.index import VectorIndex
from retrieval.retriever import Retriever


def _index(tmp_path, embedder):
    index = VectorIndex.create(tmp_path / "idx", embedder_id=embedder.model_id,
                               dimension=embedder.dimension, chunker_version="test")
    notes = [
        ("n1", "ed_note", "2026-01-01", "MEDICATIONS", "Apixaban 5 mg BID."),
        ("n2", "discharge_summary", "2026-01-05", "DISCHARGE_MEDICATIONS",
         "Apixaban 2.5 mg BID."),
        ("n3", "progress_note", "2026-01-03", "ASSESSMENT_PLAN", "Afib, continue apixaban."),
    ]
    for note_id, note_type, day, section, text in notes:
        note = Note(patient_id="P1", note_id=note_id, note_type=note_type, date=day, text=text)
        chunks = chunk_note(note, [SectionSpan(0, len(text), section)], [(0, len(text))])
        index.upsert_note(note_id, "P1", "x", chunks,
                          embedder.embed_all([embedding_text(c) for c in chunks]))
    return Retriever(index, embedder)


def test_when_filters_given_then_only_matching_chunks_are_ranked(tmp_path, fake_embedder):
    r = _index(tmp_path, fake_embedder)
    def ids(f):
        return {h.note_id for h in r.search("apixaban", patient_id="P1", k=10, filters=f)}
    assert ids(SearchFilters(note_types=["discharge_summary"])) == {"n2"}
    assert ids(SearchFilters(sections=["MEDICATIONS", "ASSESSMENT_PLAN"])) == {"n1", "n3"}
    assert ids(SearchFilters(date_from="2026-01-02", date_to="2026-01-04")) == {"n3"}


def test_when_hybrid_then_scores_are_rrf_of_both_ranks(tmp_path, fake_embedder):
    r = _index(tmp_path, fake_embedder)
    hits = r.search("apixaban BID", patient_id="P1", k=3)
    assert [h.rank for h in hits] == [1, 2, 3]
    for h in hits:
        expected = sum(1 / (60 + rank) for rank in (h.dense_rank, h.lexical_rank) if rank)
        assert abs(h.score - expected) < 1e-5
    assert hits[0].score >= hits[-1].score
