"""Retrieval use cases shared by the CLI and (later) the API: index notes from a path, and
search one patient's notes.

This module is where sections and sentences are computed (with the clinical pipeline of
``agent.nlp.pipeline``) and handed to ``retrieval.chunking`` as plain spans, so ``retrieval``
stays independent of ``verifiers``.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agent.config import RetrievalSettings, Settings
from agent.deadline import checkpoint
from agent.errors import InputError, RetrievalIndexError
from agent.notes import iter_notes
from agent.rules import rules_for
from agent.schemas.notes import Note
from agent.schemas.retrieval import Chunk, SearchFilters, SearchHit, SearchMode

logger = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stage is "chunking" or "embedding"."""


@dataclass
class IndexReport:
    """What an indexing run did (ids and counts only)."""

    notes_added: int = 0
    notes_replaced: int = 0
    notes_unchanged: int = 0
    notes_deleted: int = 0
    chunks_embedded: int = 0
    index_type: str = "flat"
    chunk_count: int = 0
    note_count: int = 0
    seconds_embedding: float = 0.0
    errors: list[InputError] = field(default_factory=list)


def make_embedder(settings: RetrievalSettings):
    """The configured embedder (loads the model: seconds)."""
    # Deferred: torch / sentence-transformers: heavy, only when embedding.
    from retrieval.embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(settings.model_path, device=settings.device,
                                       batch_size=settings.batch_size)


def note_layout(text: str, pipeline) -> tuple[list, list[tuple[int, int]]]:
    """Section and sentence spans of a note, from the clinical sectionizer and splitter.

    Args:
        text: the note text.
        pipeline: a ``agent.nlp.pipeline.ClinicalPipeline``.

    Returns:
        ``(sections, sentences)``: :class:`retrieval.chunking.SectionSpan` list and
        ``(start, end)`` sentence spans, offsets into ``text``.
    """
    # Deferred: spaCy / medspaCy: heavy, only when a pipeline is built.
    from agent.nlp.segments import segments

    # Deferred: imported with its heavier neighbours (faiss / medspaCy), only on this path.
    from retrieval.chunking import SectionSpan

    sections: list[SectionSpan] = []
    sentences: list[tuple[int, int]] = []
    carried: str | None = None
    # Long notes are laid out segment by segment, as the extractor reads them; offsets are
    # shifted back into the note.
    for offset, segment in segments(text):
        # A service request past its deadline stops here; urgent requests go first.
        checkpoint()
        doc = pipeline.prepare(segment)
        for sec in doc._.sections:
            a, b = sec.section_span
            if b <= a:
                continue
            span = doc[a:b]
            # Text before the first header of a later segment continues the last section.
            category = sec.category if sec.category is not None or a > 0 else carried
            sections.append(SectionSpan(offset + span.start_char, offset + span.end_char,
                                        category))
        if doc._.sections:
            carried = doc._.sections[-1].category or carried
        sentences.extend((offset + s.start_char, offset + s.end_char) for s in doc.sents)
    return sections, sentences


def chunk_notes(notes: list[Note], settings: RetrievalSettings, pipeline=None,
                ) -> dict[str, list[Chunk]]:
    """Chunk notes along sections and sentences (note_id -> chunks)."""
    # Deferred: imported with its heavier neighbours (faiss / medspaCy), only on this path.
    from retrieval.chunking import chunk_note

    if pipeline is None:
        # Deferred: spaCy / medspaCy: heavy, only when a pipeline is built.
        from agent.nlp.pipeline import build_pipeline

        pipeline = build_pipeline()
    out = {}
    for note in notes:
        sections, sentences = note_layout(note.text, pipeline)
        out[note.note_id] = chunk_note(note, sections, sentences,
                                       max_chars=settings.chunk_max_chars)
    return out


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def open_index(index_dir: str | Path, settings: RetrievalSettings, embedder, *,
               create: bool = False):
    """Open (or, with ``create``, create) an index checked against embedder and chunker.

    Raises:
        RetrievalIndexError: missing, corrupted or mismatched index.
    """
    # Deferred: imported with its heavier neighbours (faiss / medspaCy), only on this path.
    from retrieval.chunking import chunker_id

    # Deferred: faiss: heavy, only when an index is opened.
    from retrieval.index import VectorIndex

    kwargs = dict(embedder_id=embedder.model_id, dimension=embedder.dimension,
                  chunker_version=chunker_id(settings.chunk_max_chars),
                  exact_partition_max=settings.exact_partition_max)
    if create:
        return VectorIndex.open_or_create(index_dir, hnsw_threshold=settings.hnsw_threshold,
                                          **kwargs)
    return VectorIndex.open(index_dir, **kwargs)


def add_notes(index, notes: list[Note], settings: RetrievalSettings, embedder, *,
              pipeline=None, progress: ProgressFn | None = None,
              report: IndexReport | None = None,
              chunks: dict[str, list[Chunk]] | None = None) -> IndexReport:
    """Chunk, embed and upsert notes into an open index (not saved).

    Notes already indexed with the same text and patient are skipped; changed ones are
    replaced.

    Args:
        index: an open ``retrieval.index.VectorIndex``.
        notes: the notes.
        settings: retrieval settings.
        embedder: the index's embedder.
        pipeline: a clinical pipeline to reuse; None builds one.
        progress: called as chunks are prepared and embedded.
        report: counts to update (a new one when None).
        chunks: notes already chunked (:func:`chunk_notes`, by note id), e.g. by a service
            that chunks before it locks the index; the other notes are chunked here.

    Returns:
        The report.
    """
    import time

    rs = settings
    report = report if report is not None else IndexReport()
    todo: list[Note] = []
    for note in notes:
        entry = index.note_entry(note.note_id)
        if entry is not None and entry.text_sha256 == _sha256(note.text) \
                and entry.patient_id == note.patient_id:
            report.notes_unchanged += 1
        else:
            todo.append(note)
    chunks_by_note: dict[str, list[Chunk]] = {}
    given = chunks or {}
    if any(n.note_id not in given for n in todo):
        if pipeline is None:
            # Deferred: spaCy / medspaCy: heavy, only when a pipeline is built.
            from agent.nlp.pipeline import build_pipeline

            pipeline = build_pipeline()
        # Deferred: imported with its heavier neighbours (faiss / medspaCy), only on this path.
        from retrieval.chunking import chunk_note

        for i, note in enumerate(todo, start=1):
            if note.note_id not in given:
                sections, sentences = note_layout(note.text, pipeline)
                chunks_by_note[note.note_id] = chunk_note(note, sections, sentences,
                                                          max_chars=rs.chunk_max_chars)
            if progress is not None:
                progress("chunking", i, len(todo))
    chunks_by_note.update({n.note_id: given[n.note_id] for n in todo if n.note_id in given})
    all_chunks = [c for n in todo for c in chunks_by_note[n.note_id]]
    if all_chunks:
        # Deferred: imported with its heavier neighbours (faiss / medspaCy), only on this path.
        from retrieval.chunking import embedding_text

        done = 0

        def _tick(n: int) -> None:
            nonlocal done
            done += n
            if progress is not None:
                progress("embedding", done, len(all_chunks))

        t0 = time.perf_counter()
        vectors = embedder.embed_all([embedding_text(c) for c in all_chunks],
                                     batch_size=rs.batch_size, progress=_tick)
        report.seconds_embedding = time.perf_counter() - t0
        report.chunks_embedded = len(all_chunks)
    pos = 0
    for note in todo:
        chunks = chunks_by_note[note.note_id]
        if index.note_entry(note.note_id) is not None:
            report.notes_replaced += 1
        else:
            report.notes_added += 1
        index.upsert_note(note.note_id, note.patient_id, _sha256(note.text), chunks,
                          vectors[pos:pos + len(chunks)])
        pos += len(chunks)
    return report


def index_notes(notes_path: str | Path | None, index_dir: str | Path, settings: Settings, *,
                patient_id: str = "unknown", encoding: str = "utf-8",
                delete_note_ids: list[str] | None = None, rebuild: bool = False,
                embedder=None, pipeline=None, progress: ProgressFn | None = None,
                ) -> IndexReport:
    """Add, replace or delete notes in an index directory (created when missing).

    A note whose ``note_id`` is already indexed is replaced when its text changed and
    skipped when it did not (text sha256 in the manifest).

    Args:
        notes_path: JSON Lines file, .txt file or folder; None when only deleting.
        index_dir: the index directory.
        settings: all settings (``settings.retrieval`` and ``max_note_chars`` are used).
        patient_id: patient id for .txt inputs.
        encoding: encoding of .txt inputs.
        delete_note_ids: notes to remove from the index.
        rebuild: discard the existing index directory first.
        embedder: an embedder to reuse (tests, API); None loads the configured one.
        pipeline: a clinical pipeline to reuse; None builds one.
        progress: called as chunks are prepared and embedded.

    Returns:
        Counts and the per-line input errors.

    Raises:
        InputError: the input path does not exist or holds nothing.
        RetrievalIndexError: the existing index is corrupted or was built differently.
    """
    rs = settings.retrieval
    report = IndexReport()
    notes: list[Note] = []
    if notes_path is not None:
        for item in iter_notes(notes_path, patient_id=patient_id, encoding=encoding,
                               max_chars=settings.max_note_chars):
            (report.errors if isinstance(item, InputError) else notes).append(item)
        if not notes and not report.errors:
            # Same contract as extract and deid: an empty input is a mistake, not a no-op.
            raise InputError(str(notes_path), "the input holds no notes (empty file); the "
                             "index was not touched", fix="Pass a file with at least one note")
    if embedder is None:
        embedder = make_embedder(rs)
    index_path = Path(index_dir)
    if rebuild and index_path.exists():
        # Deferred: faiss: heavy, only when an index is opened.
        from retrieval.index import MANIFEST

        if not (index_path / MANIFEST).exists() and any(index_path.iterdir()):
            raise RetrievalIndexError(str(index_path), "--rebuild refuses to clear a "
                                      "directory that is not an index (no manifest.json)",
                                      "Pass an index directory or a new one")
        shutil.rmtree(index_path)
    index = open_index(index_path, rs, embedder, create=True)

    for note_id in delete_note_ids or []:
        if index.delete_note(note_id):
            report.notes_deleted += 1
        else:
            logger.warning("note %s is not in the index; nothing deleted", note_id)

    if pipeline is None and notes:
        # Chunk with the configured sections (a user's rules folder), as extraction does.
        from agent.nlp.pipeline import build_pipeline  # medspaCy: heavy, only when indexing

        pipeline = build_pipeline(rules_for(settings).dir)
    add_notes(index, notes, rs, embedder, pipeline=pipeline, progress=progress,
              report=report)
    manifest = index.save()
    report.index_type = manifest.index_type
    report.chunk_count = manifest.chunk_count
    report.note_count = manifest.note_count
    return report


def build_index(notes: list[Note], index_dir: str | Path, settings: RetrievalSettings,
                embedder, *, pipeline=None, progress: ProgressFn | None = None):
    """Index notes into ``index_dir`` (created when missing) and save it.

    Returns:
        The open ``retrieval.index.VectorIndex``.

    Raises:
        RetrievalIndexError: the existing index is corrupted or was built differently.
    """
    index = open_index(index_dir, settings, embedder, create=True)
    add_notes(index, notes, settings, embedder, pipeline=pipeline, progress=progress)
    index.save()
    return index


def search_index(index_dir: str | Path, query: str, *, patient_id: str, settings: Settings,
                 k: int = 5, mode: SearchMode = "hybrid",
                 filters: SearchFilters | None = None, embedder=None) -> list[SearchHit]:
    """Search one patient's indexed notes.

    Args:
        index_dir: the index directory.
        query: free-text query.
        patient_id: the patient; hits never come from another patient.
        settings: all settings.
        k: number of hits.
        mode: ``hybrid``, ``dense`` or ``lexical``.
        filters: note types, sections, date range.
        embedder: an embedder to reuse; None loads the configured one.

    Returns:
        Ranked hits.

    Raises:
        RetrievalIndexError: missing, corrupted or mismatched index.
    """
    # Deferred: faiss and the embedder: heavy, only when searching.
    from retrieval.retriever import Retriever

    rs = settings.retrieval
    if embedder is None:
        embedder = make_embedder(rs)
    index = open_index(index_dir, rs, embedder)
    retriever = Retriever(index, embedder, rrf_k=rs.rrf_k, candidates=rs.candidates)
    return retriever.search(query, patient_id=patient_id, k=k, mode=mode, filters=filters)


def erase_patient(index_dir: str | Path, patient_id: str) -> tuple[int, int]:
    """Remove a patient from an index directory and compact it, so neither the chunks nor
    their vectors stay on disk (``clinagent patients delete``; the service erases from its
    open index instead). The index is opened with the embedder and chunker its manifest
    names: no model is loaded.

    It holds the lock the service's workers take around every index access (the file
    ``.<index folder name>.lock`` next to the folder), so it can run beside a running
    service: each worker reloads the index from disk before its next use.

    Returns:
        ``(notes, chunks)`` removed; ``(0, 0)`` when the folder holds no index.

    Raises:
        RetrievalIndexError: the index is corrupted.
    """
    # Deferred: faiss: heavy, only when an index is opened.
    from retrieval.index import MANIFEST, VectorIndex, read_manifest
    from retrieval.lockfile import FileLock

    path = Path(index_dir)
    with FileLock(path.with_name(f".{path.name}.lock")):
        if not (path / MANIFEST).exists():
            return 0, 0
        manifest = read_manifest(path)
        index = VectorIndex.open(path, embedder_id=manifest.embedder_id,
                                 dimension=manifest.dimension,
                                 chunker_version=manifest.chunker_version)
        removed = index.delete_patient(patient_id)
        if removed[0]:
            index.save(compact=True)
    return removed
