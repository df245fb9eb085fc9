"""ClinagentRetriever: LangChain Documents carrying clinagent's evidence, sync and async,
one patient only, the same hits as ``clinagent search``."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("langchain_core", reason="needs the langchain extra: "
                    'pip install -e ".[langchain]"')

from agent.adapters.langchain_retriever import ClinagentRetriever  # noqa: E402
from agent.indexing import search_index  # noqa: E402

QUESTION = "apixaban anticoagulation"
METADATA = {"note_id", "patient_id", "start", "end", "section", "date", "note_type", "score",
            "dense_score", "lexical_score", "rank", "chunk_id", "clinagent_version",
            "embedder_id", "chunker_version", "producer"}


@pytest.fixture
def retriever(demo_index, fake_embedder, adapter_settings):
    return ClinagentRetriever(index_dir=str(demo_index), patient_id="P001", k=4,
                              settings=adapter_settings, embedder=fake_embedder)


def test_when_invoked_then_documents_carry_note_offsets_and_provenance(retriever, demo_notes):
    docs = retriever.invoke(QUESTION)
    assert 0 < len(docs) <= 4
    texts = {n.note_id: n.text for n in demo_notes}
    for doc in docs:
        meta = doc.metadata
        assert METADATA <= set(meta)
        assert meta["patient_id"] == "P001"
        # The offsets are evidence: they point at the passage in the original note.
        assert texts[meta["note_id"]][meta["start"]:meta["end"]] == doc.page_content
        assert meta["embedder_id"] == "test-hashing-16" and meta["clinagent_version"]
    assert [d.metadata["rank"] for d in docs] == list(range(1, len(docs) + 1))


def test_when_invoked_then_hits_equal_clinagent_search(retriever, demo_index, fake_embedder,
                                                       adapter_settings):
    hits = search_index(demo_index, QUESTION, patient_id="P001", settings=adapter_settings,
                        k=4, embedder=fake_embedder)
    docs = retriever.invoke(QUESTION)
    assert [(d.metadata["note_id"], d.metadata["start"], d.metadata["end"],
             d.metadata["score"]) for d in docs] == [(h.note_id, h.start, h.end, h.score)
                                                     for h in hits]


def test_when_awaited_then_same_documents_as_sync(retriever):
    sync = retriever.invoke(QUESTION)
    both = asyncio.run(retriever.ainvoke(QUESTION))
    assert [d.id for d in both] == [d.id for d in sync]


def test_when_another_patient_is_scoped_then_no_passage_of_the_first(demo_index,
                                                                    fake_embedder,
                                                                    adapter_settings):
    other = ClinagentRetriever(index_dir=str(demo_index), patient_id="P002", k=10,
                               settings=adapter_settings, embedder=fake_embedder)
    docs = other.invoke(QUESTION)
    assert docs and {d.metadata["patient_id"] for d in docs} == {"P002"}


def test_when_index_is_missing_then_error_names_the_fix(tmp_path, fake_embedder,
                                                        adapter_settings):
    from agent.errors import RetrievalIndexError

    missing = ClinagentRetriever(index_dir=str(tmp_path / "none"), patient_id="P001",
                                 settings=adapter_settings, embedder=fake_embedder)
    with pytest.raises(RetrievalIndexError):
        missing.invoke(QUESTION)


def test_when_built_from_notes_then_lexical_mode_finds_the_drug(tmp_path, demo_notes,
                                                                fake_embedder, extractor,
                                                                adapter_settings):
    notes = [n for n in demo_notes if n.patient_id == "P001"]
    retriever = ClinagentRetriever.from_notes(notes, tmp_path / "idx", patient_id="P001",
                                              settings=adapter_settings,
                                              embedder=fake_embedder,
                                              pipeline=extractor.pipeline, mode="lexical")
    docs = retriever.invoke("apixaban")
    assert docs and all("apixaban" in d.page_content.lower() for d in docs)
