"""What the service shares across requests: the store, the heavy models (loaded once in the
lifespan), the retrieval index, the LLM backend and the job runner.

The extractor and the de-identifier are not safe to call from several threads at once: each
is a :class:`~agent.api.lanes.SharedModel` that small requests get first. Requests run in
the thread pool (``limits.run_cpu``) so the event loop, and ``/healthz``, stay responsive
while they work.

The index is shared with the other worker processes of ``clinagent serve --workers N``:
``index_lock`` holds it for one thread of one worker at a time (a file lock next to the
index directory) and reloads it first when another worker saved it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agent.api.job_runner import JobRunner
from agent.api.lanes import SharedModel
from agent.config import Settings
from agent.deadline import checkpoint
from agent.deid.batch import PatientDeidentifier
from agent.errors import NotFound
from agent.extract.batch import make_extractor
from agent.indexing import add_notes, chunk_notes, make_embedder, open_index
from agent.llm.factory import LazyBackend
from agent.schemas.extraction import Entity, Extractor, NoteExtraction
from agent.schemas.layout import NoteLayout
from agent.schemas.notes import Note
from agent.store import repository as repo
from agent.store.engine import make_engine, make_sessionmaker, upgrade
from agent.store.models import NoteRow
from retrieval.index import MANIFEST
from retrieval.lockfile import FileLock, change_token
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
        """Entities of a text (with the shared extractor)."""
        with self._services.extract_lock.hold():
            return self._services.extractor.extract(text)

    def layout(self, text: str, entities: list[Entity]) -> NoteLayout:
        """The layout of a text (no model call; no lock needed)."""
        return self._services.extractor.layout(text, entities)

    def extract_note(self, note: Note) -> NoteExtraction:
        """The extraction of a note, from the store when this version was extracted."""
        # Between notes of a handoff or a verification: stop when past the deadline.
        checkpoint()
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
        with self._services.extract_lock.hold():
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
        self.extract_lock = SharedModel("extractor")
        self.deid_lock = SharedModel("deid")
        self.model_lock = threading.Lock()
        self.index_dir = Path(settings.api.resolved_index_dir())
        self.index_lock = _IndexLock(self)
        self._index_token: tuple[int, int, int] | None = None
        self.index = None
        self.retriever = None
        self.backend = LazyBackend(settings)
        self.jobs = JobRunner(self.sessions, settings.api)
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
        """Migrate the store, fail the jobs of stopped workers (not those of live ones:
        their leases are fresh), load the models and bring the index up to date with the
        stored notes (notes acknowledged just before a crash may not have been indexed)."""
        if self.settings.api.auto_migrate:
            upgrade(self.engine)
        self.jobs.start()
        _ = self.extractor
        if self.embedder is None:
            self.embedder = make_embedder(self.settings.retrieval)
        self._open_index()
        self.reconcile_index()
        self.is_started = True

    def _open_index(self) -> None:
        with self.index_lock:
            self._load_index()

    def _load_index(self) -> None:
        """(Re)load the index from its folder (index_lock held)."""
        rs = self.settings.retrieval
        token = change_token(self.index_dir / MANIFEST)
        self.index = open_index(self.index_dir, rs, self.embedder, create=True)
        self.retriever = Retriever(self.index, self.embedder, rrf_k=rs.rrf_k,
                                   candidates=rs.candidates)
        self._index_token = token

    def _refresh_index(self) -> None:
        """Reload the index when another worker saved it since (index_lock held)."""
        if self.index is not None \
                and change_token(self.index_dir / MANIFEST) != self._index_token:
            logger.info("index changed on disk (another worker); reloading")
            self._load_index()

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
                self.index.delete_note(nid)
            if stale:
                self.index.save()
        for start in range(0, len(todo), 64):
            with self.sessions() as session:
                notes = [repo.to_note(r) for r in repo.notes_by_id(session,
                                                                   todo[start:start + 64])]
            self.index_notes(notes)
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
            todo = [n for n in notes if not self._is_indexed(n)]
        if not todo:
            return 0
        # Chunking runs the extractor's clinical pipeline: it takes the extractor's lane
        # (and steps aside for small requests) without holding the index meanwhile.
        with self.extract_lock.hold():
            chunks = chunk_notes(todo, self.settings.retrieval,
                                 pipeline=self.extractor.pipeline)
        with self.index_lock:
            report = add_notes(self.index, todo, self.settings.retrieval, self.embedder,
                               chunks=chunks)
            self.index.save()
        return report.chunks_embedded

    def _is_indexed(self, note: Note) -> bool:
        entry = self.index.note_entry(note.note_id)
        return entry is not None and entry.patient_id == note.patient_id \
            and entry.text_sha256 == repo.text_sha256(note.text)

    def search_retriever(self):
        """A retriever that takes the index lock around each search."""
        return _LockedRetriever(self)

    def deidentifier(self, mode: str | None) -> PatientDeidentifier:
        """A cached ``PatientDeidentifier`` for a mode (detector built once)."""
        key = mode or self.settings.deid.mode
        with self.model_lock:
            if key not in self._deid:
                self._deid[key] = PatientDeidentifier.from_settings(
                    self.settings.deid, mode=key, privacy=self.settings.privacy)
            return self._deid[key]

    def close(self) -> None:
        """Stop the job runner (its jobs are marked failed once their lease lapses)."""
        self.jobs.close()
        self.engine.dispose()


class _IndexLock:
    """The index for one thread of one worker process at a time (re-entrant).

    Entering takes a thread lock, then the file lock next to the index folder, then reloads
    the index if another worker saved it; leaving remembers the manifest as this worker
    last saw it (its own save included), then releases both. Every use of ``index`` and
    ``retriever`` goes through it.
    """

    def __init__(self, services: Services) -> None:
        self._services = services
        self._thread_lock = threading.RLock()
        self._file_lock = FileLock(services.index_dir.with_name(
            f".{services.index_dir.name}.lock"))
        self._depth = 0

    def __enter__(self) -> _IndexLock:
        return self._enter(shared=False)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the index to read it: other workers may read at the same time."""
        self._enter(shared=True)
        try:
            yield
        finally:
            self.__exit__(None)

    def _enter(self, *, shared: bool) -> _IndexLock:
        self._thread_lock.acquire()
        self._depth += 1
        if self._depth == 1:
            try:
                self._file_lock.acquire(shared=shared)
                try:
                    self._services._refresh_index()
                except BaseException:
                    self._file_lock.release()
                    raise
            except BaseException:
                self._depth -= 1
                self._thread_lock.release()
                raise
        return self

    def __exit__(self, exc_type, *_) -> None:
        if self._depth == 1:
            svc = self._services
            # After a failure the index in memory may hold unsaved changes: reload it from
            # disk next time.
            svc._index_token = (change_token(svc.index_dir / MANIFEST) if exc_type is None
                                else None)
            self._file_lock.release()
        self._depth -= 1
        self._thread_lock.release()


class _LockedRetriever:
    def __init__(self, services: Services) -> None:
        self._services = services

    def search(self, query: str, **kwargs):
        with self._services.index_lock.reading():
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
