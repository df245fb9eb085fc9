"""``ClinagentRetriever``: clinagent's patient-scoped hybrid search as a LangChain retriever.

A thin wrapper around :func:`agent.indexing.open_index` and
:class:`retrieval.retriever.Retriever` (what ``clinagent search`` runs): one patient's
passages, dense and BM25 rankings fused, returned as LangChain ``Document``s whose metadata
carries the evidence (note id and character offsets into the note) and the provenance.

Needs the ``langchain`` extra (``pip install -e ".[langchain]"``).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, PrivateAttr

from agent.adapters.optional import import_extra
from agent.adapters.settings import resolve_settings
from agent.config import Settings
from agent.indexing import build_index, make_embedder, open_index
from agent.schemas.notes import Note
from agent.schemas.retrieval import SearchFilters, SearchHit
from agent.version import package_version

import_extra("langchain_core", "langchain")

from langchain_core.callbacks import (  # noqa: E402  (after the extra check above)
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document  # noqa: E402
from langchain_core.retrievers import BaseRetriever  # noqa: E402

PRODUCER = "clinagent.adapters.langchain.retriever"


def hit_document(hit: SearchHit, *, embedder_id: str, chunker_version: str) -> Document:
    """A search hit as a LangChain ``Document``.

    Args:
        hit: one ranked passage of ``clinagent search``.
        embedder_id: the index's embedding model (provenance).
        chunker_version: the index's chunker (provenance).

    Returns:
        The passage text with metadata ``note_id``, ``patient_id``, ``start``, ``end``
        (offsets into the note), ``section``, ``note_type``, ``date``, ``score`` (the fused
        score), ``dense_score``, ``lexical_score``, ``rank``, ``chunk_id`` and the
        provenance keys ``clinagent_version``, ``embedder_id``, ``chunker_version``.
    """
    return Document(
        id=hit.chunk_id, page_content=hit.text,
        metadata={"note_id": hit.note_id, "patient_id": hit.patient_id, "start": hit.start,
                  "end": hit.end, "section": hit.section, "note_type": hit.note_type,
                  "date": hit.date, "score": hit.score, "dense_score": hit.dense_score,
                  "lexical_score": hit.lexical_score, "rank": hit.rank,
                  "chunk_id": hit.chunk_id, "producer": PRODUCER,
                  "clinagent_version": package_version(), "embedder_id": embedder_id,
                  "chunker_version": chunker_version})


class ClinagentRetriever(BaseRetriever):
    """One patient's passages from a clinagent index (``clinagent index``).

    Hits never come from another patient: the patient is part of the retriever, not of the
    query. The index and the embedder are opened on the first query and reused.

    Attributes:
        index_dir: the index folder written by ``clinagent index``.
        patient_id: the only patient whose passages are returned.
        k: number of passages.
        mode: ``hybrid`` (dense and BM25 fused by reciprocal rank), ``dense`` or ``lexical``.
        filters: note types, sections and date range, as ``clinagent search`` takes them.
        settings: clinagent settings (retrieval model, chunk size, fusion constant);
            default: the ``CLINAGENT_*`` variables and ``clinagent.env``.
        embedder: an embedder to reuse (default: the configured sentence-transformers model).

    Example:
        >>> retriever = ClinagentRetriever(index_dir="out/index", patient_id="P001")
        >>> docs = retriever.invoke("metoprolol dose")
        >>> docs[0].metadata["note_id"], docs[0].metadata["start"]
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index_dir: str
    patient_id: str = Field(min_length=1)
    k: int = Field(default=5, ge=1, le=1000)
    mode: Literal["hybrid", "dense", "lexical"] = "hybrid"
    filters: SearchFilters | None = None
    settings: Settings | None = None
    embedder: Any = None
    _core: Any = PrivateAttr(default=None)
    # One search at a time per retriever: the core retriever caches the last query's
    # embedding and the patient's BM25 structures.
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @classmethod
    def from_notes(cls, notes: list[Note], index_dir: str | Path, *, patient_id: str,
                   settings: Settings | None = None, embedder: Any = None,
                   pipeline: Any = None, **kwargs: Any) -> ClinagentRetriever:
        """Index ``notes`` into ``index_dir`` (created or updated) and return a retriever.

        Args:
            notes: notes to add (any patients; only ``patient_id``'s are searched).
            index_dir: the index folder.
            patient_id: the patient to search.
            settings: clinagent settings (default: ``CLINAGENT_*`` and clinagent.env).
            embedder: an embedder to reuse (default: the configured model).
            pipeline: a clinical pipeline to reuse for sections and sentences.
            **kwargs: other fields (``k``, ``mode``, ``filters``).

        Raises:
            RetrievalIndexError: the folder holds an index built differently.
        """
        settings = resolve_settings(settings)
        embedder = embedder if embedder is not None else make_embedder(settings.retrieval)
        build_index(notes, index_dir, settings.retrieval, embedder, pipeline=pipeline)
        return cls(index_dir=str(index_dir), patient_id=patient_id, settings=settings,
                   embedder=embedder, **kwargs)

    def _retriever(self):
        if self._core is None:
            # Deferred: faiss and the embedder: heavy, only when the first query runs.
            from retrieval.retriever import Retriever

            rs = resolve_settings(self.settings).retrieval
            embedder = self.embedder if self.embedder is not None else make_embedder(rs)
            index = open_index(self.index_dir, rs, embedder)
            self._core = Retriever(index, embedder, rrf_k=rs.rrf_k, candidates=rs.candidates)
        return self._core

    def search(self, query: str) -> list[SearchHit]:
        """The ranked hits as clinagent returns them (``clinagent search --format json``).

        Raises:
            RetrievalIndexError: missing, corrupted or mismatched index.
        """
        with self._lock:
            core = self._retriever()
            return core.search(query, patient_id=self.patient_id, k=self.k, mode=self.mode,
                               filters=self.filters)

    def _documents(self, query: str) -> list[Document]:
        hits = self.search(query)
        manifest = self._core.index.manifest
        return [hit_document(h, embedder_id=manifest.embedder_id,
                             chunker_version=manifest.chunker_version) for h in hits]

    def _get_relevant_documents(self, query: str, *,
                                run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return self._documents(query)

    async def _aget_relevant_documents(
            self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun,
    ) -> list[Document]:
        # FAISS and the embedder are synchronous and CPU-bound: a worker thread keeps the
        # event loop free.
        return await asyncio.to_thread(self._documents, query)
