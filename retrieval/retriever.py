"""Patient-restricted hybrid search: dense (embeddings) and lexical (BM25) rankings fused by
reciprocal rank fusion, with optional note-type, section and date filters.

Why RRF: cosine similarities and BM25 scores live on unrelated scales (BM25 grows with
query length and term rarity), so their ranks are fused, not their scores:
``score = sum over rankings of 1 / (rrf_k + rank)`` (Cormack et al., SIGIR 2009; k = 60).

The patient is a required argument. Candidates are taken from that patient's partition
only, and every hit is checked against it before it is returned.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from agent.errors import RetrievalIndexError
from agent.schemas.retrieval import Chunk, SearchFilters, SearchHit, SearchMode
from retrieval.chunking import embedding_text
from retrieval.embedder import Embedder
from retrieval.index import VectorIndex
from retrieval.lexical import LexicalScorer

DEFAULT_RRF_K = 60
DEFAULT_CANDIDATES = 50
_LEXICAL_CACHE = 32


def _matches(chunk: Chunk, filters: SearchFilters) -> bool:
    if filters.note_types is not None and chunk.note_type not in filters.note_types:
        return False
    if filters.sections is not None and chunk.section not in filters.sections:
        return False
    if filters.date_from is not None or filters.date_to is not None:
        if chunk.date is None:
            return False
        day = chunk.date[:10]
        if filters.date_from is not None and day < filters.date_from[:10]:
            return False
        if filters.date_to is not None and day > filters.date_to[:10]:
            return False
    return True


class Retriever:
    """Search one index for one patient at a time.

    Args:
        index: the opened index.
        embedder: the embedder the index was built with.
        rrf_k: the RRF constant.
        candidates: how many results of each ranking enter the fusion (at least ``k``).
    """

    def __init__(self, index: VectorIndex, embedder: Embedder, *, rrf_k: int = DEFAULT_RRF_K,
                 candidates: int = DEFAULT_CANDIDATES) -> None:
        if embedder.model_id != index.manifest.embedder_id:
            raise RetrievalIndexError(
                str(index.path), f"it was built with {index.manifest.embedder_id!r}, the "
                f"embedder is {embedder.model_id!r}", "Use the index's embedder")
        self.index = index
        self.embedder = embedder
        self.rrf_k = rrf_k
        self.candidates = candidates
        self._lexical: OrderedDict[tuple[str, int], tuple[np.ndarray, LexicalScorer]] = \
            OrderedDict()
        self._last_query: tuple[str, np.ndarray] | None = None

    def _rows(self, patient_id: str, filters: SearchFilters | None) -> np.ndarray:
        rows = self.index.patient_rows(patient_id)
        if filters is None or len(rows) == 0:
            return rows
        keep = [r for r in rows.tolist() if _matches(self.index.chunk(r), filters)]
        return np.asarray(keep, dtype=np.int64)

    def forget_patient(self, patient_id: str) -> None:
        """Drop the cached lexical structures of a patient (after an erasure: they hold the
        tokens of the patient's notes)."""
        for key in [k for k in self._lexical if k[0] == patient_id]:
            del self._lexical[key]

    def _lexical_scorer(self, patient_id: str) -> tuple[np.ndarray, LexicalScorer]:
        key = (patient_id, self.index.generation)
        hit = self._lexical.get(key)
        if hit is None:
            rows = self.index.patient_rows(patient_id)
            texts = [embedding_text(self.index.chunk(r)) for r in rows.tolist()]
            hit = (rows, LexicalScorer(texts))
            self._lexical[key] = hit
            if len(self._lexical) > _LEXICAL_CACHE:
                self._lexical.popitem(last=False)
        else:
            self._lexical.move_to_end(key)
        return hit

    def dense_ranking(self, query: str, rows: np.ndarray, n: int,
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``n`` of ``rows`` by cosine similarity to the query."""
        if self._last_query is None or self._last_query[0] != query:
            # Comparing modes re-asks the same query; embedding is the costly step.
            self._last_query = (query, self.embedder.embed(query))
        return self.index.dense_search(self._last_query[1], rows, n)

    def lexical_ranking(self, query: str, patient_id: str, rows: np.ndarray, n: int,
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``n`` of ``rows`` by BM25 (rows without any query term are left out)."""
        all_rows, scorer = self._lexical_scorer(patient_id)
        scores = scorer.scores(query)
        if len(rows) != len(all_rows):
            mask = np.isin(all_rows, rows)
            all_rows, scores = all_rows[mask], scores[mask]
        positive = scores > 0
        all_rows, scores = all_rows[positive], scores[positive]
        order = np.argsort(-scores, kind="stable")[:n]
        return all_rows[order], scores[order]

    def search(self, query: str, *, patient_id: str, k: int = 5, mode: SearchMode = "hybrid",
               filters: SearchFilters | None = None) -> list[SearchHit]:
        """Rank the patient's passages for a query.

        Args:
            query: free text ("metoprolol dose", "why was the patient anticoagulated").
            patient_id: the only patient whose chunks may be returned.
            k: number of hits.
            mode: ``hybrid`` (RRF of both), ``dense`` or ``lexical``.
            filters: optional note type / section / date restrictions.

        Returns:
            Up to ``k`` hits, best first (empty for an unknown patient or no match).

        Raises:
            RetrievalIndexError: a hit of another patient came out of the index (corrupted
                partition); nothing is returned in that case.
        """
        rows = self._rows(patient_id, filters)
        if len(rows) == 0 or k <= 0 or not query.strip():
            return []
        n = max(self.candidates, k)
        dense: dict[int, tuple[int, float]] = {}
        lexical: dict[int, tuple[int, float]] = {}
        if mode in ("hybrid", "dense"):
            d_rows, d_scores = self.dense_ranking(query, rows, n)
            dense = {int(r): (i + 1, float(s)) for i, (r, s) in
                     enumerate(zip(d_rows, d_scores, strict=True))}
        if mode in ("hybrid", "lexical"):
            l_rows, l_scores = self.lexical_ranking(query, patient_id, rows, n)
            lexical = {int(r): (i + 1, float(s)) for i, (r, s) in
                       enumerate(zip(l_rows, l_scores, strict=True))}
        fused: dict[int, float] = {}
        for ranking in (dense, lexical):
            for row, (rank, _) in ranking.items():
                fused[row] = fused.get(row, 0.0) + 1.0 / (self.rrf_k + rank)
        if mode == "dense":
            order = sorted(dense, key=lambda r: dense[r][0])
        elif mode == "lexical":
            order = sorted(lexical, key=lambda r: lexical[r][0])
        else:
            # Ties (same fused score) go to the better dense rank, then to text order.
            order = sorted(fused, key=lambda r: (-fused[r], dense.get(r, (n + 1,))[0], r))
        hits = []
        for rank, row in enumerate(order[:k], start=1):
            chunk = self.index.chunk(row)
            if chunk.patient_id != patient_id:
                raise RetrievalIndexError(
                    str(self.index.path), f"row {row} of note {chunk.note_id!r} is in the "
                    f"partition of another patient", "Rebuild the index")
            d, lx = dense.get(row), lexical.get(row)
            score = {"dense": d[1] if d else 0.0, "lexical": lx[1] if lx else 0.0,
                     "hybrid": fused.get(row, 0.0)}[mode]
            hits.append(SearchHit(
                rank=rank, chunk_id=chunk.chunk_id, note_id=chunk.note_id,
                patient_id=chunk.patient_id, start=chunk.start, end=chunk.end, text=chunk.text,
                section=chunk.section, note_type=chunk.note_type, date=chunk.date,
                score=round(score, 6), dense_score=None if d is None else round(d[1], 6),
                lexical_score=None if lx is None else round(lx[1], 6),
                dense_rank=None if d is None else d[0],
                lexical_rank=None if lx is None else lx[0]))
        return hits
