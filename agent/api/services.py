"""What the service shares across requests: the store, the heavy models (loaded once in the
lifespan), the retrieval index, the LLM backend and the job runner.

The extractor, index and embedder are not safe to call from several threads at once, so each
has a lock; requests run them in the thread pool (``deps.run_cpu``) so the event loop, and
``/healthz``, stay responsive while they work.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from agent.config import Settings
from agent.deid.batch import PatientDeidentifier
from agent.errors import NotFound
from agent.extract.batch import make_extractor
from agent.indexing import add_notes, make_embedder, open_index
from agent.llm.factory import LazyBackend
from agent.schemas.extraction import Entity, Extractor, NoteExtraction
from agent.schemas.layout import NoteLayout
from agent.schemas.notes import Note
from agent.store import repository as repo
from agent.store.engine import make_engine, make_sessionmaker, upgrade
from agent.store.models import NoteRow
from retrieval.retriever import Retriever

logger = logging.getLogger(__name__)


class StoreExtractor(Extractor):
    """The shared extractor behind a lock, with results cached in the store by note id and
    text hash (an edited note is extracted again). Implements the
    :class:`~agent.schemas.extraction.Extractor` protocol explicitly.

    Args:
        services: the services (extractor, lock, sessions).
        on_note: called after each note is extracted (job progress).
    """

    def __init__(self, services: Services, on_note=None) -> None:
        self._services = services
        self._on_note = on_note

    @property
    def pipeline(self):
        """The wrapped extractor's clinical pipeline (chunking lays out sections with it)."""
        return self._services.extractor.pipeline

    def extract(self, text: str) -> list[Entity]:
        """Entities of a text (locked)."""
        with self._services.extract_lock:
            return self._services.extractor.extract(text)

    def layout(self, text: str, entities: list[Entity]) -> NoteLayout:
        """The layout of a text (no model call; no lock needed)."""
        return self._services.extractor.layout(text, entities)

    def extract_note(self, note: Note) -> NoteExtraction:
        """The extraction of a note, from the store when this version was extracted."""
        sha = repo.text_sha256(note.text)
        with self._services.sessions() as session:
            row = session.get(NoteRow, note.note_id)
            stored = row is not None and row.text_sha256 == sha \
                and row.patient_id == note.patient_id
            if stored:
                hit = repo.cached_extractions(session, [row]).get(note.note_id)
                if hit is not None:
                    self._tick()
                    return hit
        with self._services.extract_lock:
            result = self._services.extractor.extract_note(note)
        if stored:
            with self._services.sessions() as session:
                row = session.get(NoteRow, note.note_id)
                if row is not None and row.text_sha256 == sha:
                    repo.save_extraction(session, row, result)
                    session.commit()
        self._tick()
        return result

    def _tick(self) -> None:
        if self._on_note is not None:
            self._on_note()


class Services:
    """Everything a request needs beyond its own input.

    Args:
        settings: all settings.
        extractor: a ready extractor (tests share one); None loads it in :meth:`start`.
        embedder: a ready embedder; None loads the configured one in :meth:`start`.
    """

    def __init__(self, settings: Settings, *, extractor=None, embedder=None) -> None:
        self.settings = settings
        self.engine = make_engine(settings.api.resolved_database_url())
        self.sessions = make_sessionmaker(self.engine)
        self._extractor = extractor
        self.embedder = embedder
        self.extract_lock = threading.Lock()
        self.index_lock = threading.RLock()
        self.model_lock = threading.Lock()
        self.deid_lock = threading.Lock()
        self.index = None
        self.retriever = None
        self.backend = LazyBackend(settings)
        self.jobs = ThreadPoolExecutor(1, thread_name_prefix="clinagent-job")
        self._deid: dict[str, Any] = {}
        self.is_started = False

    @property
    def extractor(self):
        """The deterministic extractor (loaded on first use when not given)."""
        with self.model_lock:
            if self._extractor is None:
                self._extractor = make_extractor(self.settings)
            return self._extractor

    def start(self) -> None:
        """Migrate the store, fail jobs a previous process left running, load the models
        and bring the index up to date with the stored notes (notes acknowledged just before
        a crash may not have been indexed)."""
        if self.settings.api.auto_migrate:
            upgrade(self.engine)
        with self.sessions() as session:
            failed = repo.fail_interrupted_jobs(session)
            session.commit()
        if failed:
            logger.warning("%d job(s) interrupted by a restart were marked failed", failed)
        _ = self.extractor
        if self.embedder is None:
            self.embedder = make_embedder(self.settings.retrieval)
        self._open_index()
        self.reconcile_index()
        self.is_started = True

    def _open_index(self) -> None:
        rs = self.settings.retrieval
        with self.index_lock:
            self.index = open_index(self.settings.api.resolved_index_dir(), rs, self.embedder,
                                    create=True)
            self.retriever = Retriever(self.index, self.embedder, rrf_k=rs.rrf_k,
                                       candidates=rs.candidates)

    def reconcile_index(self) -> int:
        """Index stored notes missing from (or stale in) the index; drop indexed notes the
        store does not have. Returns the number of notes (re)indexed."""
        with self.sessions() as session:
            stored = repo.all_note_hashes(session)
        with self.index_lock:
            todo = [nid for nid, (pid, sha) in stored.items()
                    if (e := self.index.note_entry(nid)) is None or e.text_sha256 != sha
                    or e.patient_id != pid]
            stale = [nid for nid in self.index.manifest.notes if nid not in stored]
        for nid in stale:
            with self.index_lock:
                self.index.delete_note(nid)
        for start in range(0, len(todo), 64):
            with self.sessions() as session:
                notes = [repo.to_note(r) for r in repo.notes_by_id(session,
                                                                   todo[start:start + 64])]
            self.index_notes(notes)
        if stale and not todo:
            with self.index_lock:
                self.index.save()
        if todo or stale:
            logger.info("index reconciled: %d note(s) indexed, %d removed", len(todo),
                        len(stale))
        return len(todo)

    def index_notes(self, notes: list[Note]) -> int:
        """Chunk, embed and save notes into the index (unchanged ones are skipped).

        Returns:
            Chunks embedded.
        """
        if not notes:
            return 0
        with self.index_lock:
            # The clinical pipeline is the extractor's; it is not thread-safe either.
            with self.extract_lock:
                report = add_notes(self.index, notes, self.settings.retrieval, self.embedder,
                                   pipeline=self.extractor.pipeline)
            self.index.save()
        return report.chunks_embedded

    def search_retriever(self):
        """A retriever that takes the index lock around each search."""
        return _LockedRetriever(self)

    def deidentifier(self, mode: str | None) -> PatientDeidentifier:
        """A cached ``PatientDeidentifier`` for a mode (detector built once)."""
        key = mode or self.settings.deid.mode
        with self.model_lock:
            if key not in self._deid:
                self._deid[key] = PatientDeidentifier.from_settings(self.settings.deid,
                                                                    mode=key)
            return self._deid[key]

    def close(self) -> None:
        """Stop the job runner (running jobs are marked failed at the next start)."""
        self.jobs.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose()


class _LockedRetriever:
    def __init__(self, services: Services) -> None:
        self._services = services

    def search(self, query: str, **kwargs):
        with self._services.index_lock:
            return self._services.retriever.search(query, **kwargs)


def load_patient_notes(services: Services, patient_id: str) -> list[Note]:
    """The patient's stored notes as domain notes.

    Raises:
        NotFound: no notes are stored for the patient.
    """
    with services.sessions() as session:
        rows = repo.patient_notes(session, patient_id)
    if not rows:
        raise NotFound("no notes of this patient are stored; ingest them with "
                       "POST /v1/notes")
    return [repo.to_note(r) for r in rows]
