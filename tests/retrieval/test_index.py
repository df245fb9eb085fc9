"""The persistent index: updates, deletes, index type, corrupted and mismatched dirs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from agent.errors import RetrievalIndexError
from agent.schemas.notes import Note
from retrieval.chunking import SectionSpan, chunk_note, embedding_text
from retrieval.index import VectorIndex
from retrieval.retriever import Retriever


def _note(note_id: str, patient_id: str, text: str) -> Note:
    return Note(patient_id=patient_id, note_id=note_id, note_type="progress_note",
                date="2026-02-01", text=text)


def _upsert(index: VectorIndex, embedder, note: Note) -> None:
    chunks = chunk_note(note, [SectionSpan(0, len(note.text), "ASSESSMENT_PLAN")],
                        [(0, len(note.text))])
    vectors = embedder.embed_all([embedding_text(c) for c in chunks])
    index.upsert_note(note.note_id, note.patient_id, note.text, chunks, vectors)


def _create(path, embedder, **kwargs) -> VectorIndex:
    return VectorIndex.create(path, embedder_id=embedder.model_id,
                              dimension=embedder.dimension, chunker_version="test", **kwargs)


def _open(path, embedder, **kwargs) -> VectorIndex:
    return VectorIndex.open(path, embedder_id=embedder.model_id,
                            dimension=embedder.dimension, chunker_version="test", **kwargs)


def test_when_corpus_is_empty_then_index_saves_loads_and_search_returns_nothing(
        tmp_path, fake_embedder):
    index = _create(tmp_path / "idx", fake_embedder)
    manifest = index.save()
    assert (manifest.chunk_count, manifest.note_count, manifest.index_type) == (0, 0, "flat")
    loaded = _open(tmp_path / "idx", fake_embedder)
    assert Retriever(loaded, fake_embedder).search("apixaban", patient_id="P1") == []


def test_when_note_updated_twice_then_only_latest_text_is_searchable(tmp_path, fake_embedder):
    index = _create(tmp_path / "idx", fake_embedder)
    _upsert(index, fake_embedder, _note("n1", "P1", "Start warfarin 5 mg daily."))
    index.save()
    for text in ("Switch to apixaban 5 mg BID.", "Switch to rivaroxaban 20 mg daily."):
        index = _open(tmp_path / "idx", fake_embedder)
        _upsert(index, fake_embedder, _note("n1", "P1", text))
        index.save()
    index = _open(tmp_path / "idx", fake_embedder)
    assert index.manifest.note_count == 1 and index.manifest.chunk_count == 1
    retriever = Retriever(index, fake_embedder)
    hits = retriever.search("warfarin apixaban rivaroxaban", patient_id="P1", k=10)
    assert [h.text for h in hits] == ["Switch to rivaroxaban 20 mg daily."]


def test_when_note_deleted_then_it_is_never_returned(tmp_path, fake_embedder):
    index = _create(tmp_path / "idx", fake_embedder)
    _upsert(index, fake_embedder, _note("n1", "P1", "Apixaban 5 mg BID for afib."))
    _upsert(index, fake_embedder, _note("n2", "P1", "Metoprolol 25 mg BID."))
    index.save()
    index = _open(tmp_path / "idx", fake_embedder)
    assert index.delete_note("n1") is True
    assert index.delete_note("n1") is False
    index.save()
    index = _open(tmp_path / "idx", fake_embedder)
    for mode in ("hybrid", "dense", "lexical"):
        hits = Retriever(index, fake_embedder).search("apixaban afib", patient_id="P1", k=10,
                                                      mode=mode)
        assert all(h.note_id != "n1" for h in hits)
    # Half the rows were deleted: the save compacted them away.
    assert index.manifest.rows == index.manifest.chunk_count == 1


def test_when_searching_for_one_patient_then_other_patients_never_come_back(
        tmp_path, fake_embedder):
    index = _create(tmp_path / "idx", fake_embedder)
    _upsert(index, fake_embedder, _note("a1", "A", "Metoprolol 25 mg BID."))
    _upsert(index, fake_embedder, _note("b1", "B", "Metoprolol 25 mg BID for afib."))
    _upsert(index, fake_embedder, _note("b2", "B", "Metoprolol dose increased to 50 mg."))
    retriever = Retriever(index, fake_embedder)
    for mode in ("hybrid", "dense", "lexical"):
        hits = retriever.search("metoprolol dose afib", patient_id="A", k=50, mode=mode)
        assert {h.patient_id for h in hits} == {"A"}
    assert retriever.search("metoprolol", patient_id="C", k=5) == []


def test_when_partition_is_large_then_faiss_selector_path_gives_the_same_hits(
        tmp_path, fake_embedder):
    small = _create(tmp_path / "s", fake_embedder)
    large = _create(tmp_path / "l", fake_embedder, exact_partition_max=1)
    for index in (small, large):
        _upsert(index, fake_embedder, _note("a1", "A", "Metoprolol 25 mg BID."))
        _upsert(index, fake_embedder, _note("b1", "B", "Metoprolol 25 mg BID."))
        _upsert(index, fake_embedder, _note("a2", "A", "Apixaban 5 mg BID."))
    q = fake_embedder.embed("metoprolol")
    r_small = small.dense_search(q, small.patient_rows("A"), 5)
    r_large = large.dense_search(q, large.patient_rows("A"), 5)
    assert r_small[0].tolist() == r_large[0].tolist()
    assert np.allclose(r_small[1], r_large[1])


def test_when_corpus_reaches_threshold_then_index_becomes_hnsw(tmp_path, fake_embedder):
    index = _create(tmp_path / "idx", fake_embedder, hnsw_threshold=3)
    for i in range(4):
        _upsert(index, fake_embedder, _note(f"n{i}", "P1", f"Note number {i} mentions heparin."))
    assert index.save().index_type == "hnsw"
    index = _open(tmp_path / "idx", fake_embedder)
    hits = Retriever(index, fake_embedder).search("heparin", patient_id="P1", k=4)
    assert len(hits) == 4


@pytest.fixture()
def saved_index(tmp_path, fake_embedder):
    index = _create(tmp_path / "idx", fake_embedder)
    _upsert(index, fake_embedder, _note("n1", "P1", "Apixaban 5 mg BID."))
    index.save()
    return tmp_path / "idx"


def test_when_manifest_names_another_embedder_then_loading_is_an_error(saved_index,
                                                                       fake_embedder):
    with pytest.raises(RetrievalIndexError, match="embedder_id .*rebuild"):
        VectorIndex.open(saved_index, embedder_id="other-model", dimension=16,
                         chunker_version="test")
    with pytest.raises(RetrievalIndexError, match="dimension"):
        VectorIndex.open(saved_index, embedder_id=fake_embedder.model_id, dimension=384,
                         chunker_version="test")
    with pytest.raises(RetrievalIndexError, match="chunker_version"):
        VectorIndex.open(saved_index, embedder_id=fake_embedder.model_id, dimension=16,
                         chunker_version="v2")


# fmt: off
@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "manifest.json").write_text("{not json"), "manifest.json is corrupted"),
    (lambda d: (d / "manifest.json").unlink(), "manifest.json is missing"),
    (lambda d: (d / "index.faiss").write_bytes(b"garbage"), "index.faiss is corrupted"),
    (lambda d: (d / "index.faiss").unlink(), "index.faiss is missing"),
    (lambda d: (d / "chunks.jsonl").write_text("{bad\n"), "chunks.jsonl line 1"),
    (lambda d: (d / "chunks.jsonl").write_text(""), "chunks.jsonl holds 0 rows"),
    (lambda d: (d / "manifest.json").write_text(json.dumps({"format_version": 99})),
     "format 99 is not supported"),
])
# fmt: on
def test_when_index_dir_is_damaged_then_error_says_what_and_how_to_fix(
        saved_index, fake_embedder, damage, message):
    damage(saved_index)
    with pytest.raises(RetrievalIndexError, match=message) as err:
        _open(saved_index, fake_embedder)
    assert "Rebuild" in str(err.value) or "rebuild" in str(err.value)


def test_when_dir_does_not_exist_then_error_says_to_build_it(tmp_path, fake_embedder):
    with pytest.raises(RetrievalIndexError, match="clinagent index"):
        _open(tmp_path / "missing", fake_embedder)
