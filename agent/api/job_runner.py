"""This worker's background jobs, and the leases that let several workers share the jobs
table.

Jobs live in the store, so ``GET /v1/jobs/{id}`` answers from any worker. The worker that
creates a job runs it (its input stays in that worker's memory) on one thread, the
``BACKGROUND`` lane, under a deadline of ``api.job_timeout_s``. While the job is queued or
running the worker renews its lease every third of ``api.job_lease_s``; a job whose lease
has lapsed belonged to a worker that died, and any worker marks it failed (at start, on each
renewal, and when the job is read). A starting worker therefore never fails the jobs of a
worker that is alive.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from agent import deadline
from agent.api.lanes import BACKGROUND
from agent.config import ApiSettings
from agent.errors import ClinicalAgentError
from agent.store import repository as repo

logger = logging.getLogger(__name__)


class JobRunner:
    """Runs this worker's jobs and keeps their leases.

    Args:
        sessions: the store's sessions.
        settings: ``api`` settings (``job_timeout_s``, ``job_lease_s``).
    """

    def __init__(self, sessions: sessionmaker[Session], settings: ApiSettings) -> None:
        self._sessions = sessions
        self._settings = settings
        #: This worker's name in ``jobs.owner``: host, process id and a random suffix (a
        #: restarted worker may get the pid of a dead one).
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="clinagent-job")
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def start(self) -> int:
        """Fail the jobs of dead workers, then start renewing leases.

        Returns:
            How many jobs were marked failed.
        """
        failed = self.reap()
        if failed:
            logger.warning("%d job(s) of a stopped worker were marked failed", failed)
        self._beat = threading.Thread(target=self._renew_forever, name="clinagent-lease",
                                      daemon=True)
        self._beat.start()
        return failed

    def reap(self) -> int:
        """Mark failed the jobs whose lease lapsed; returns how many."""
        with self._sessions() as session:
            failed = repo.fail_stale_jobs(session, self._settings.job_lease_s)
            session.commit()
        return failed

    def _renew_forever(self) -> None:
        every = self._settings.job_lease_s / 3
        while not self._stop.wait(every):
            try:
                with self._sessions() as session:
                    repo.renew_job_leases(session, self.owner)
                    session.commit()
                self.reap()
            except SQLAlchemyError as e:  # a busy or unreachable store: try next round
                logger.warning("job lease renewal failed (%s); retrying in %.0f s",
                               type(e).__name__, every)

    def create(self, kind: str, *, patient_id: str | None, key_id: str | None,
               params: dict) -> str:
        """A queued job owned by this worker; returns its id."""
        with self._sessions() as session:
            job = repo.create_job(session, kind, patient_id=patient_id, key_id=key_id,
                                  params=params, owner=self.owner)
            session.commit()
            return job.job_id

    def submit(self, body: Callable[..., None], *args) -> None:
        """Run ``body(*args)`` on the job thread, in the background lane under
        ``api.job_timeout_s`` (the body records the job's outcome itself)."""

        def run() -> None:
            scope = deadline.Scope(
                work=deadline.Deadline(self._settings.job_timeout_s, "api.job_timeout_s"),
                lane=BACKGROUND)
            with deadline.enter(scope):
                body(*args)

        self._pool.submit(run)

    def run_result_job(self, job_id: str, stage: str, compute: Callable[[], BaseModel],
                       metrics=None) -> None:
        """The body of a job whose result is one response model (extract, deid): stored
        in ``jobs.result``; never raises."""
        self.set(job_id, status="running", stage=stage, progress=0.01)
        try:
            result = compute()
        except Exception as e:  # a job must end in a state the client can read
            logger.error("job %s failed: %s", job_id, type(e).__name__)
            reason = str(e) if isinstance(e, ClinicalAgentError) else type(e).__name__
            self.set(job_id, status="failed", stage="failed", error=reason[:2000])
            if metrics is not None:
                metrics.jobs.labels("failed").inc()
            return
        self.set(job_id, status="succeeded", stage="done", progress=1.0,
                 result=result.model_dump(mode="json"))
        if metrics is not None:
            metrics.jobs.labels("succeeded").inc()

    def set(self, job_id: str, **fields) -> None:
        """Update a job's fields (status, progress, stage, error, result...)."""
        with self._sessions() as session:
            repo.update_job(session, job_id, **fields)
            session.commit()

    def close(self) -> None:
        """Stop renewing leases, drop queued jobs and mark this worker's unfinished jobs
        failed (a worker that dies instead leaves them to the lease)."""
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        try:
            with self._sessions() as session:
                failed = repo.fail_owner_jobs(session, self.owner)
                session.commit()
        except SQLAlchemyError as e:  # the store is gone: the lease will do it
            logger.warning("could not mark this worker's jobs failed (%s)", type(e).__name__)
            return
        if failed:
            logger.warning("%d unfinished job(s) marked failed at shutdown", failed)
