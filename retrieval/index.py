"""A persistent FAISS index of note chunks, partitioned by patient.

An index directory holds:

- ``index.faiss``: the vectors, FAISS id = row number. ``IndexFlatIP`` while the corpus
  is below ``hnsw_threshold`` rows, ``IndexHNSWFlat`` (M=32, inner product) above it; the
  type is chosen when the index is saved and recorded in the manifest.
- ``chunks.jsonl``: one line per row, the chunk (``null`` for a deleted row).
- ``manifest.json``: embedder id, dimension, chunker version, index type, counts and the
  notes (patient, text sha256, chunk count). Written last, so a crash mid-save leaves
  counts that disagree and the next load reports a corrupted index.

Deleting or replacing a note marks its rows deleted (HNSW graphs cannot remove nodes); the
rows are compacted away, and the FAISS index rebuilt from the stored vectors (no
re-embedding), when deleted rows pass a quarter of all rows.

Patient restriction: every search takes the patient's live rows (kept per patient at load
time) and scores only those, so a hit from another patient cannot be produced. Partitions
up to ``exact_partition_max`` rows are scored exactly by one matrix product over the
gathered rows; larger ones go through FAISS with an ``IDSelectorBatch`` of the rows
(``benchmarks/retrieval_index.py`` measures both).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from agent.errors import RetrievalIndexError
from agent.schemas.retrieval import Chunk, IndexManifest, IndexType, NoteEntry

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FAISS_FILE = "index.faiss"
CHUNKS_FILE = "chunks.jsonl"
FORMAT_VERSION = 1
DEFAULT_HNSW_THRESHOLD = 200_000
DEFAULT_EXACT_PARTITION_MAX = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
# Compact (drop deleted rows, rebuild FAISS) when this share of rows is deleted.
COMPACT_AT = 0.25

_REBUILD_FIX = ("Rebuild it: delete the directory and run `clinagent index NOTES --index "
                "DIR` (or pass --rebuild)")


def choose_index_type(rows: int, hnsw_threshold: int) -> IndexType:
    """Flat (exact) below the threshold, HNSW (approximate, sub-linear) at or above it."""
    return "hnsw" if rows >= hnsw_threshold else "flat"


def _new_faiss(index_type: IndexType, dimension: int):
    import faiss

    if index_type == "flat":
        return faiss.IndexFlatIP(dimension)
    index = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


def _flat_storage(index):
    import faiss

    return index if isinstance(index, faiss.IndexFlat) else faiss.downcast_index(index.storage)


class VectorIndex:
    """Chunks, their vectors and the per-patient partitions of one index directory.

    Use :meth:`create` or :meth:`open` (or :meth:`open_or_create`), then :meth:`save`.
    """

    def __init__(self, path: Path, manifest: IndexManifest, faiss_index,
                 chunks: list[Chunk | None], *,
                 exact_partition_max: int = DEFAULT_EXACT_PARTITION_MAX) -> None:
        self.path = path
        self.manifest = manifest
        self.exact_partition_max = exact_partition_max
        #: Bumped on every change; lets callers cache per-patient structures.
        self.generation = 0
        self._set_rows(faiss_index, chunks)

    def _set_rows(self, faiss_index, chunks: list[Chunk | None]) -> None:
        self._faiss = faiss_index
        self._chunks = chunks
        self._by_note: dict[str, list[int]] = {}
        self._by_patient: dict[str, list[int]] = {}
        for row, chunk in enumerate(chunks):
            if chunk is not None:
                self._by_note.setdefault(chunk.note_id, []).append(row)
                self._by_patient.setdefault(chunk.patient_id, []).append(row)

    # ----- construction -------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | Path, *, embedder_id: str, dimension: int,
               chunker_version: str, hnsw_threshold: int = DEFAULT_HNSW_THRESHOLD,
               exact_partition_max: int = DEFAULT_EXACT_PARTITION_MAX) -> VectorIndex:
        """A new, empty index for ``path`` (written by :meth:`save`).

        Raises:
            RetrievalIndexError: ``path`` already holds an index or other files.
        """
        p = Path(path)
        if p.exists() and any(p.iterdir()):
            raise RetrievalIndexError(str(p), "the directory is not empty",
                                      "Use an empty or new directory for a new index")
        manifest = IndexManifest(
            embedder_id=embedder_id, dimension=dimension, chunker_version=chunker_version,
            index_type="flat", hnsw_threshold=hnsw_threshold, rows=0, deleted_rows=0,
            chunk_count=0, note_count=0, patient_count=0, updated_at=_now())
        return cls(p, manifest, _new_faiss("flat", dimension), [],
                   exact_partition_max=exact_partition_max)

    @classmethod
    def open(cls, path: str | Path, *, embedder_id: str, dimension: int,
             chunker_version: str,
             exact_partition_max: int = DEFAULT_EXACT_PARTITION_MAX) -> VectorIndex:
        """Load an index and check it was built with this embedder and chunker.

        Raises:
            RetrievalIndexError: no index there, a file is missing or corrupted, or the
                manifest names another embedder, dimension or chunker (never re-embedded
                silently: vectors of two models are not comparable).
        """
        p = Path(path)
        manifest = read_manifest(p)
        expected = {"embedder_id": embedder_id, "dimension": dimension,
                    "chunker_version": chunker_version}
        for name, want in expected.items():
            have = getattr(manifest, name)
            if have != want:
                raise RetrievalIndexError(
                    str(p), f"it was built with {name} {have!r}, but {want!r} is configured",
                    "Configure the model and chunker the index was built with, or rebuild "
                    "the index (`clinagent index NOTES --index DIR --rebuild`)")
        faiss_index = _read_faiss(p, manifest)
        chunks = _read_chunks(p, manifest)
        return cls(p, manifest, faiss_index, chunks, exact_partition_max=exact_partition_max)

    @classmethod
    def open_or_create(cls, path: str | Path, **kwargs) -> VectorIndex:
        """:meth:`open` when ``path`` holds a manifest, :meth:`create` otherwise."""
        p = Path(path)
        if (p / MANIFEST).exists():
            kwargs.pop("hnsw_threshold", None)
            return cls.open(p, **kwargs)
        return cls.create(p, **kwargs)

    # ----- contents -----------------------------------------------------------------------

    @property
    def dimension(self) -> int:
        return self.manifest.dimension

    def note_entry(self, note_id: str) -> NoteEntry | None:
        """The manifest entry of an indexed note, None if the note is not indexed."""
        return self.manifest.notes.get(note_id)

    def patient_rows(self, patient_id: str) -> np.ndarray:
        """Row numbers of the patient's live chunks (empty for an unknown patient)."""
        return np.asarray(self._by_patient.get(patient_id, ()), dtype=np.int64)

    def chunk(self, row: int) -> Chunk:
        """The chunk stored at ``row`` (a live row)."""
        chunk = self._chunks[row]
        if chunk is None:
            raise RetrievalIndexError(str(self.path), f"row {row} was deleted", _REBUILD_FIX)
        return chunk

    def vectors(self) -> np.ndarray:
        """A read-only view of all stored vectors, shape ``(rows, dimension)``.

        The view is invalidated by the next change; fetch it again after adding.
        """
        import faiss

        n = self._faiss.ntotal
        if n == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        storage = _flat_storage(self._faiss)
        view = faiss.rev_swig_ptr(storage.get_xb(), n * self.dimension)
        return view.reshape(n, self.dimension)

    # ----- changes ------------------------------------------------------------------------

    def upsert_note(self, note_id: str, patient_id: str, text_sha256: str,
                    chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Add a note, or replace every chunk of a note already indexed.

        Raises:
            RetrievalIndexError: vectors and chunks disagree in number or dimension, or a
                chunk belongs to another note or patient.
        """
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape != (len(chunks), self.dimension):
            raise RetrievalIndexError(
                str(self.path), f"note {note_id!r}: {len(chunks)} chunks but vectors of "
                f"shape {vectors.shape} (dimension {self.dimension} expected)",
                "Embed the chunks with the index's embedder")
        if any(c.note_id != note_id or c.patient_id != patient_id for c in chunks):
            raise RetrievalIndexError(str(self.path), f"note {note_id!r}: a chunk names "
                                      "another note or patient", "Chunk each note separately")
        self.delete_note(note_id)
        first = self._faiss.ntotal
        if len(chunks):
            self._faiss.add(vectors)
        rows = list(range(first, first + len(chunks)))
        self._chunks.extend(chunks)
        if rows:
            self._by_note[note_id] = rows
            self._by_patient.setdefault(patient_id, []).extend(rows)
        self.manifest.notes[note_id] = NoteEntry(patient_id=patient_id,
                                                 text_sha256=text_sha256, chunks=len(chunks))
        self.generation += 1

    def delete_note(self, note_id: str) -> bool:
        """Remove a note's chunks from every search; returns whether the note was indexed."""
        entry = self.manifest.notes.pop(note_id, None)
        rows = self._by_note.pop(note_id, [])
        for row in rows:
            self._chunks[row] = None
        if rows and entry is not None:
            gone = set(rows)
            left = [r for r in self._by_patient.get(entry.patient_id, []) if r not in gone]
            if left:
                self._by_patient[entry.patient_id] = left
            else:
                self._by_patient.pop(entry.patient_id, None)
        self.generation += 1
        return entry is not None

    def delete_patient(self, patient_id: str) -> tuple[int, int]:
        """Remove every note of a patient from every search (erasure; :meth:`save` with
        ``compact=True`` then removes the vectors from disk too).

        Returns:
            ``(notes, chunks)`` removed.
        """
        note_ids = [nid for nid, e in self.manifest.notes.items() if e.patient_id == patient_id]
        chunks = sum(len(self._by_note.get(nid, ())) for nid in note_ids)
        for nid in note_ids:
            self.delete_note(nid)
        return len(note_ids), chunks

    def _compact_or_convert(self, force: bool = False) -> None:
        live = [r for r, c in enumerate(self._chunks) if c is not None]
        rows = len(self._chunks)
        deleted = rows - len(live)
        want = choose_index_type(len(live), self.manifest.hnsw_threshold)
        # Hysteresis: an HNSW index stays HNSW until the corpus halves, so a corpus near
        # the threshold is not rebuilt back and forth.
        if self.manifest.index_type == "hnsw" and len(live) >= self.manifest.hnsw_threshold // 2:
            want = "hnsw"
        if want == self.manifest.index_type and (rows == 0 or deleted / rows < COMPACT_AT) \
                and not (force and deleted):
            return
        logger.info("rebuilding %s index: %d live rows, %d deleted", want, len(live), deleted)
        vectors = np.ascontiguousarray(self.vectors()[live]) if live else None
        new = _new_faiss(want, self.dimension)
        if vectors is not None:
            new.add(vectors)
        self._set_rows(new, [self._chunks[r] for r in live])
        self.manifest.index_type = want

    def save(self, *, compact: bool = False) -> IndexManifest:
        """Write the index directory (compacting or switching index type when due).

        Args:
            compact: drop every deleted row now, so no vector of a deleted note stays on
                disk (an erasure must not leave embeddings of the patient's text behind).

        Returns:
            The manifest written.
        """
        import faiss

        self._compact_or_convert(force=compact)
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        live = sum(1 for c in self._chunks if c is not None)
        m = self.manifest
        m.rows = len(self._chunks)
        m.deleted_rows = m.rows - live
        m.chunk_count = live
        m.note_count = len(m.notes)
        m.patient_count = len({e.patient_id for e in m.notes.values()})
        m.updated_at = _now()
        tmp_chunks = self.path / (CHUNKS_FILE + ".tmp")
        with tmp_chunks.open("w", encoding="utf-8") as fh:
            for chunk in self._chunks:
                fh.write(("null" if chunk is None else chunk.model_dump_json()) + "\n")
        tmp_faiss = self.path / (FAISS_FILE + ".tmp")
        faiss.write_index(self._faiss, str(tmp_faiss))
        tmp_manifest = self.path / (MANIFEST + ".tmp")
        tmp_manifest.write_text(m.model_dump_json(indent=1), encoding="utf-8")
        os.replace(tmp_chunks, self.path / CHUNKS_FILE)
        os.replace(tmp_faiss, self.path / FAISS_FILE)
        os.replace(tmp_manifest, self.path / MANIFEST)
        self.generation += 1
        return m

    # ----- search -------------------------------------------------------------------------

    def dense_search(self, query: np.ndarray, rows: np.ndarray, k: int,
                     ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` rows among ``rows`` by inner product with ``query``.

        Args:
            query: a unit-length ``(dimension,)`` vector.
            rows: the candidate rows (one patient's, after filters).
            k: how many to return.

        Returns:
            ``(rows, scores)`` sorted by decreasing score; only rows from ``rows``.
        """
        if len(rows) == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        if len(rows) <= self.exact_partition_max:
            scores = self.vectors()[rows] @ q[0]
            k = min(k, len(rows))
            top = np.argpartition(-scores, k - 1)[:k]
            top = top[np.argsort(-scores[top], kind="stable")]
            return rows[top], scores[top]
        return self._faiss_search(q, rows, k)

    def _faiss_search(self, q: np.ndarray, rows: np.ndarray, k: int,
                      ) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        selector = faiss.IDSelectorBatch(rows)
        if self.manifest.index_type == "hnsw":
            params = faiss.SearchParametersHNSW(sel=selector,
                                                efSearch=max(HNSW_EF_SEARCH, 2 * k))
        else:
            params = faiss.SearchParameters(sel=selector)
        scores, ids = self._faiss.search(q, k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), scores[0][keep]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def read_manifest(path: Path) -> IndexManifest:
    """Read and validate ``manifest.json`` of an index directory.

    Raises:
        RetrievalIndexError: no index there, or the manifest is unreadable or invalid.
    """
    if not path.is_dir():
        raise RetrievalIndexError(str(path), "no such index directory",
                                  "Build it first: clinagent index NOTES --index DIR")
    mpath = path / MANIFEST
    if not mpath.exists():
        raise RetrievalIndexError(str(path), f"{MANIFEST} is missing (not an index "
                                  "directory, or a build was interrupted)", _REBUILD_FIX)
    try:
        raw = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RetrievalIndexError(str(path), f"{MANIFEST} is corrupted "
                                  f"({type(e).__name__})", _REBUILD_FIX) from e
    if isinstance(raw, dict) and raw.get("format_version") != FORMAT_VERSION:
        raise RetrievalIndexError(str(path), f"index format {raw.get('format_version')!r} "
                                  f"is not supported (expected {FORMAT_VERSION})",
                                  _REBUILD_FIX)
    try:
        return IndexManifest.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise RetrievalIndexError(str(path), f"{MANIFEST} is invalid at {where!r}: "
                                  f"{first['msg']}", _REBUILD_FIX) from e


def _read_faiss(path: Path, manifest: IndexManifest):
    import faiss

    fpath = path / FAISS_FILE
    if not fpath.exists():
        raise RetrievalIndexError(str(path), f"{FAISS_FILE} is missing", _REBUILD_FIX)
    try:
        index = faiss.read_index(str(fpath))
    except RuntimeError as e:
        raise RetrievalIndexError(str(path), f"{FAISS_FILE} is corrupted (FAISS could not "
                                  "read it)", _REBUILD_FIX) from e
    if index.d != manifest.dimension or index.ntotal != manifest.rows:
        raise RetrievalIndexError(
            str(path), f"{FAISS_FILE} holds {index.ntotal} vectors of dimension {index.d}, "
            f"the manifest says {manifest.rows} of dimension {manifest.dimension}",
            _REBUILD_FIX)
    return index


def _read_chunks(path: Path, manifest: IndexManifest) -> list[Chunk | None]:
    cpath = path / CHUNKS_FILE
    if not cpath.exists():
        raise RetrievalIndexError(str(path), f"{CHUNKS_FILE} is missing", _REBUILD_FIX)
    chunks: list[Chunk | None] = []
    with cpath.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            try:
                raw = json.loads(line)
                chunks.append(None if raw is None else Chunk.model_validate(raw))
            except (json.JSONDecodeError, ValidationError) as e:
                raise RetrievalIndexError(str(path), f"{CHUNKS_FILE} line {lineno} is "
                                          "corrupted", _REBUILD_FIX) from e
    live: dict[str, int] = {}
    for c in chunks:
        if c is not None:
            live[c.note_id] = live.get(c.note_id, 0) + 1
    expected = {k: v.chunks for k, v in manifest.notes.items() if v.chunks}
    if len(chunks) != manifest.rows or live != expected:
        raise RetrievalIndexError(
            str(path), f"{CHUNKS_FILE} holds {len(chunks)} rows for {len(live)} notes, the "
            f"manifest says {manifest.rows} rows for {len(expected)} notes with chunks",
            _REBUILD_FIX)
    return chunks
