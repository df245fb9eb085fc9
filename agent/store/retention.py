"""Retention and erasure in the store: purge expired summaries, jobs and extractions
(``retention.*`` settings), and delete everything stored about one patient.

A purged summary takes its acknowledgements with it (foreign key ``ON DELETE CASCADE``;
SQLite runs with ``foreign_keys=ON``). Erasing a patient removes its coders' decisions
(``coding_decisions``, counted in ``other_rows``) like every table with a ``patient_id``.

Both leave the commit to the caller. Audit events are never purged or erased: they are the
record of who accessed what (ids and decisions only, never note text), and the erasure
itself is one of them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, cast, delete, func, or_, select
from sqlalchemy.orm import Session

from agent.config import RetentionSettings
from agent.errors import PatientBusy
from agent.store.models import (
    AuditEventRow,
    AuthFailureRow,
    Base,
    ExtractionRow,
    IdempotencyRow,
    JobRow,
    NoteRow,
    SummaryRow,
)
from agent.store.repository import record_audit

logger = logging.getLogger(__name__)

# Jobs in these states are still working: never purged, and they block an erasure.
ACTIVE_JOB_STATES = ("queued", "running")
# With ``store_summaries`` false and no ``jobs_days``, a job's result is kept this long.
DEFAULT_JOB_RESULT_DAYS = 1
# Kept through an erasure: the access record (see the module docstring).
KEPT_TABLES = frozenset({AuditEventRow.__tablename__})
# JSON columns that name patients and notes by id without a patient_id column: the stored
# answers of idempotent requests (e.g. a notes ingest lists note and patient ids).
MENTION_COLUMNS = {"idempotency_keys": "response"}
# Ids per LIKE group (keeps each statement small for patients with many notes).
_MENTION_BATCH = 200


@dataclass
class PurgeReport:
    """Rows removed by :func:`purge_expired`."""

    summaries: int = 0
    jobs: int = 0
    extractions: int = 0
    idempotency_keys: int = 0
    auth_failures: int = 0

    @property
    def total(self) -> int:
        return (self.summaries + self.jobs + self.extractions + self.idempotency_keys
                + self.auth_failures)


@dataclass
class PatientDeletion:
    """Rows removed by :func:`delete_patient` (counts and ids only)."""

    note_ids: list[str] = field(default_factory=list)
    notes: int = 0
    extractions: int = 0
    summaries: int = 0
    jobs: int = 0
    other_rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return (self.notes + self.extractions + self.summaries + self.jobs
                + sum(self.other_rows.values()))


def _cutoff(now: datetime, days: int) -> str:
    # Same format as repository.now_iso, so ISO strings compare in time order.
    return (now - timedelta(days=days)).isoformat(timespec="milliseconds")


def _deleted(session: Session, stmt) -> int:
    return session.execute(stmt).rowcount or 0


def purge_expired(session: Session, retention: RetentionSettings, *,
                  now: datetime | None = None,
                  idempotency_ttl_s: float | None = None) -> PurgeReport:
    """Delete the summaries, finished jobs and cached extractions older than their
    retention (nothing when every ``*_days`` is None and summaries are stored).

    Args:
        session: the session (the caller commits).
        retention: the ``retention`` settings.
        now: the current time (tests pass one).
        idempotency_ttl_s: stored idempotent answers older than this go too (they name
            patients and notes by id); None keeps them.

    Returns:
        What was removed.
    """
    now = now or datetime.now(UTC)
    report = PurgeReport()
    if retention.extractions_days is not None:
        report.extractions = _deleted(session, delete(ExtractionRow).where(
            ExtractionRow.created_at < _cutoff(now, retention.extractions_days)))
    if retention.summaries_days is not None:
        report.summaries += _deleted(session, delete(SummaryRow).where(
            SummaryRow.created_at < _cutoff(now, retention.summaries_days)))
    if not retention.store_summaries:
        # Summaries written before storing was switched off, then jobs' results once their
        # client has had the time to fetch them.
        report.summaries += _deleted(session, delete(SummaryRow).where(
            SummaryRow.job_id.is_(None)))
        days = (retention.jobs_days if retention.jobs_days is not None
                else DEFAULT_JOB_RESULT_DAYS)
        report.summaries += _deleted(session, delete(SummaryRow).where(
            SummaryRow.created_at < _cutoff(now, days)))
    if retention.jobs_days is not None:
        report.jobs = _deleted(session, delete(JobRow).where(
            JobRow.status.not_in(ACTIVE_JOB_STATES),
            JobRow.updated_at < _cutoff(now, retention.jobs_days)))
    if idempotency_ttl_s is not None:
        cutoff = (now - timedelta(seconds=idempotency_ttl_s)).isoformat(timespec="milliseconds")
        report.idempotency_keys = _deleted(session, delete(IdempotencyRow).where(
            IdempotencyRow.is_done.is_(True), IdempotencyRow.created_at < cutoff))
    if retention.auth_failures_days is not None:
        report.auth_failures = _deleted(session, delete(AuthFailureRow).where(
            AuthFailureRow.last_at < _cutoff(now, retention.auth_failures_days)))
    if report.total:
        logger.info("purged %d summaries, %d jobs, %d extractions, %d idempotency keys, "
                    "%d failed-authentication counts", report.summaries, report.jobs,
                    report.extractions, report.idempotency_keys, report.auth_failures)
    return report


def delete_patient(session: Session, patient_id: str) -> PatientDeletion:
    """Delete every row about a patient: notes, their extractions, summaries, jobs, the
    rows of any other table with a ``patient_id`` column except the audit events, and the
    stored idempotent answers that name the patient or one of its notes.

    Args:
        session: the session (the caller commits, with the audit event of the erasure).
        patient_id: the patient.

    Returns:
        What was removed, with the deleted note ids (to remove them from the index).

    Raises:
        PatientBusy: a job of the patient is queued or running (it would write a summary
            after the deletion); retry when it ends.
    """
    busy = session.scalar(select(func.count()).select_from(JobRow).where(
        JobRow.patient_id == patient_id, JobRow.status.in_(ACTIVE_JOB_STATES)))
    if busy:
        raise PatientBusy(f"{busy} job(s) of this patient are queued or running; delete the "
                          "patient once they end (GET /v1/jobs/{id})")
    out = PatientDeletion(note_ids=list(session.scalars(
        select(NoteRow.note_id).where(NoteRow.patient_id == patient_id))))
    mine = select(NoteRow.note_id).where(NoteRow.patient_id == patient_id)
    out.extractions = _deleted(session, delete(ExtractionRow).where(
        ExtractionRow.note_id.in_(mine)))
    known = {SummaryRow.__tablename__: "summaries", JobRow.__tablename__: "jobs"}
    # Every table that names a patient, so a table added later is erased too; children
    # before the rows they refer to (an acknowledgement before its summary, so it is
    # counted, not removed unseen by the cascade), notes last.
    for table in reversed(Base.metadata.sorted_tables):
        if (table.name in KEPT_TABLES or table.name == NoteRow.__tablename__
                or "patient_id" not in table.c):
            continue
        count = _deleted(session, delete(table).where(table.c.patient_id == patient_id))
        if table.name in known:
            setattr(out, known[table.name], count)
        elif count:
            out.other_rows[table.name] = count
    for name, column in MENTION_COLUMNS.items():
        table = Base.metadata.tables.get(name)
        if table is None:
            continue
        ids = [patient_id, *out.note_ids]
        count = 0
        for start in range(0, len(ids), _MENTION_BATCH):
            # The column holds JSON text: an id appears as its JSON string, quotes included,
            # so "P1" does not match "P10".
            text = cast(table.c[column], String)
            count += _deleted(session, delete(table).where(or_(*(
                text.contains(json.dumps(i), autoescape=True)
                for i in ids[start:start + _MENTION_BATCH]))))
        if count:
            out.other_rows[name] = out.other_rows.get(name, 0) + count
    out.notes = _deleted(session, delete(NoteRow).where(NoteRow.patient_id == patient_id))
    # Patient ids may be MRNs: counts only.
    logger.info("patient erased: %d notes, %d extractions, %d summaries, %d jobs", out.notes,
                out.extractions, out.summaries, out.jobs)
    return out


def patient_counts(session: Session, patient_id: str) -> PatientDeletion:
    """What :func:`delete_patient` would remove (known tables), without removing it."""
    mine = select(NoteRow.note_id).where(NoteRow.patient_id == patient_id)

    def _count(model, *where) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    return PatientDeletion(
        note_ids=list(session.scalars(mine)),
        notes=_count(NoteRow, NoteRow.patient_id == patient_id),
        extractions=_count(ExtractionRow, ExtractionRow.note_id.in_(mine)),
        summaries=_count(SummaryRow, SummaryRow.patient_id == patient_id),
        jobs=_count(JobRow, JobRow.patient_id == patient_id))


def record_deletion(session: Session, deleted: PatientDeletion, patient_id: str, *,
                    key_id: str | None, route: str, request_id: str = "") -> None:
    """Audit an erasure (in the transaction that deletes): who, that it happened, and
    counts; never note ids or text. The patient id is kept, as in every access decision."""
    reason = (f"patient erased: {deleted.notes} notes, {deleted.extractions} extractions, "
              f"{deleted.summaries} summaries, {deleted.jobs} jobs, "
              f"{sum(deleted.other_rows.values())} other rows")
    record_audit(session, key_id=key_id, operation="delete", patient_id=patient_id,
                 is_allowed=True, reason=reason, route=route, request_id=request_id)


def purge_on_startup(sessions, retention: RetentionSettings, *,
                     idempotency_ttl_s: float | None = None) -> PurgeReport:
    """:func:`purge_expired` in its own committed transaction (the service's startup; every
    worker process may run it, the deletes are idempotent)."""
    with sessions() as session:
        report = purge_expired(session, retention, idempotency_ttl_s=idempotency_ttl_s)
        session.commit()
    return report
