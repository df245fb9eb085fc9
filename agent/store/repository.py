"""Repository functions over a session: notes, extractions, summaries, jobs, audit events.

Each function does one thing and leaves the commit to the caller unless it says otherwise,
so a request's writes commit together.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.schemas.coding import CoderDecision
from agent.schemas.extraction import NoteExtraction
from agent.schemas.notes import Note, note_order
from agent.store.models import (
    AcknowledgementRow,
    AuditEventRow,
    CodingDecisionRow,
    ExtractionRow,
    JobRow,
    NoteRow,
    SummaryRow,
)


def now_iso() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def text_sha256(text: str) -> str:
    """Hash of a note text (detects changed notes)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def to_note(row: NoteRow) -> Note:
    """The domain :class:`Note` of a stored row."""
    return Note(patient_id=row.patient_id, note_id=row.note_id, note_type=row.note_type,
                date=row.date, text=row.text, extra=dict(row.extra or {}))


# ---- notes ----------------------------------------------------------------------------------

def existing_notes(session: Session, note_ids: list[str]) -> dict[str, NoteRow]:
    """Stored rows of these note ids (missing ids are absent from the result)."""
    if not note_ids:
        return {}
    rows = session.scalars(select(NoteRow).where(NoteRow.note_id.in_(note_ids)))
    return {r.note_id: r for r in rows}


def upsert_notes(session: Session, notes: list[Note]) -> list[str]:
    """Insert new notes and replace changed ones (idempotent by ``note_id``).

    A note whose text, patient, type, date and extra fields are unchanged is left alone.

    Returns:
        One status per note: ``created``, ``updated`` or ``unchanged``.
    """
    have = existing_notes(session, [n.note_id for n in notes])
    stamp = now_iso()
    out = []
    for note in notes:
        sha = text_sha256(note.text)
        row = have.get(note.note_id)
        if row is None:
            row = NoteRow(note_id=note.note_id, patient_id=note.patient_id,
                          note_type=note.note_type, date=note.date, text=note.text,
                          extra=dict(note.extra), text_sha256=sha, received_at=stamp,
                          updated_at=stamp)
            session.add(row)
            have[note.note_id] = row
            out.append("created")
            continue
        same = (row.text_sha256 == sha and row.patient_id == note.patient_id
                and row.note_type == note.note_type and row.date == note.date
                and dict(row.extra or {}) == dict(note.extra))
        if same:
            out.append("unchanged")
            continue
        row.patient_id, row.note_type, row.date = note.patient_id, note.note_type, note.date
        row.text, row.extra, row.text_sha256 = note.text, dict(note.extra), sha
        row.updated_at = stamp
        out.append("updated")
    return out


def patient_notes(session: Session, patient_id: str) -> list[NoteRow]:
    """A patient's notes in the one note order (:func:`agent.schemas.notes.note_order`: by
    date, undated notes last, ties by note id)."""
    rows = list(session.scalars(select(NoteRow).where(NoteRow.patient_id == patient_id)))
    return sorted(rows, key=note_order)


def patients(session: Session, only: list[str] | None = None) -> list[tuple[str, int, str | None,
                                                                            str | None]]:
    """``(patient_id, note count, first date, last date)`` per patient, sorted by id.

    Args:
        session: the session.
        only: restrict to these patient ids (None: all).
    """
    stmt = select(NoteRow.patient_id, func.count(), func.min(NoteRow.date),
                  func.max(NoteRow.date)).group_by(NoteRow.patient_id)
    if only is not None:
        stmt = stmt.where(NoteRow.patient_id.in_(only))
    return [tuple(r) for r in session.execute(stmt.order_by(NoteRow.patient_id))]


def all_note_hashes(session: Session) -> dict[str, tuple[str, str]]:
    """``note_id -> (patient_id, text_sha256)`` of every stored note (index reconciling)."""
    rows = session.execute(select(NoteRow.note_id, NoteRow.patient_id, NoteRow.text_sha256))
    return {r[0]: (r[1], r[2]) for r in rows}


def notes_by_id(session: Session, note_ids: list[str]) -> list[NoteRow]:
    """Stored rows of these ids, in the order given (unknown ids skipped)."""
    have = existing_notes(session, note_ids)
    return [have[i] for i in note_ids if i in have]


# ---- extractions -----------------------------------------------------------------------------

def cached_extractions(session: Session, rows: list[NoteRow]) -> dict[str, NoteExtraction]:
    """Stored extractions of these note versions (by note id; missing ones absent)."""
    if not rows:
        return {}
    want = {r.note_id: r.text_sha256 for r in rows}
    found = session.scalars(select(ExtractionRow).where(ExtractionRow.note_id.in_(list(want))))
    return {e.note_id: NoteExtraction.model_validate(e.payload) for e in found
            if want.get(e.note_id) == e.text_sha256}


def save_extraction(session: Session, row: NoteRow, extraction: NoteExtraction) -> None:
    """Store the extraction of the current version of a note (replacing older versions)."""
    for old in session.scalars(select(ExtractionRow).where(ExtractionRow.note_id == row.note_id)):
        session.delete(old)
    session.flush()
    session.add(ExtractionRow(note_id=row.note_id, text_sha256=row.text_sha256,
                              producer=extraction.provenance.producer,
                              payload=extraction.model_dump(mode="json"), created_at=now_iso()))


# ---- summaries --------------------------------------------------------------------------------

def save_summary(session: Session, patient_id: str, mode: str, payload: dict[str, Any],
                 job_id: str | None = None) -> int:
    """Store a verified summary; returns its id (flushes)."""
    row = SummaryRow(patient_id=patient_id, mode=mode, payload=payload, job_id=job_id,
                     created_at=now_iso())
    session.add(row)
    session.flush()
    return row.id


def get_summary(session: Session, summary_id: int) -> SummaryRow | None:
    """A stored summary, or None."""
    return session.get(SummaryRow, summary_id)


def patient_summaries(session: Session, patient_id: str) -> list[SummaryRow]:
    """The patient's stored summaries, newest first (ids grow with time)."""
    return list(session.scalars(select(SummaryRow).where(SummaryRow.patient_id == patient_id)
                                .order_by(SummaryRow.id.desc())))


def previous_summary(session: Session, summary: SummaryRow) -> SummaryRow | None:
    """The patient's stored summary just before ``summary``, or None."""
    return session.scalars(select(SummaryRow).where(
        SummaryRow.patient_id == summary.patient_id, SummaryRow.id < summary.id)
        .order_by(SummaryRow.id.desc()).limit(1)).first()


# ---- acknowledgements -------------------------------------------------------------------------

def acknowledgements(session: Session, summary_ids: list[int],
                     ) -> dict[int, list[AcknowledgementRow]]:
    """Acknowledgements of these summaries, oldest first per summary (ids without any are
    absent)."""
    if not summary_ids:
        return {}
    out: dict[int, list[AcknowledgementRow]] = {}
    rows = session.scalars(select(AcknowledgementRow).where(
        AcknowledgementRow.summary_id.in_(summary_ids)).order_by(AcknowledgementRow.id))
    for row in rows:
        out.setdefault(row.summary_id, []).append(row)
    return out


def add_acknowledgement(session: Session, summary: SummaryRow, *, key_id: str, key_name: str,
                        comment: str | None = None) -> tuple[AcknowledgementRow, bool]:
    """Record that a key acknowledged a summary (flushes).

    A key acknowledges a summary once: a second call returns its first record, also when
    two requests race (the unique constraint decides, inside a savepoint).

    Returns:
        The acknowledgement and whether it was created now.
    """
    def _first() -> AcknowledgementRow | None:
        return session.scalars(select(AcknowledgementRow).where(
            AcknowledgementRow.summary_id == summary.id,
            AcknowledgementRow.key_id == key_id)).first()

    have = _first()
    if have is not None:
        return have, False
    row = AcknowledgementRow(summary_id=summary.id, patient_id=summary.patient_id,
                             key_id=key_id, key_name=key_name, at=now_iso(), comment=comment)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        have = _first()
        if have is None:
            raise
        return have, False
    return row, True


# ---- coding decisions --------------------------------------------------------------------

def add_coding_decisions(session: Session, note: NoteRow, decisions: list[CoderDecision], *,
                         key_id: str, ranker_version: str, package_version: str,
                         ) -> list[CodingDecisionRow]:
    """Store coders' decisions on a note's suggestions, one row each (flushes).

    Args:
        session: the session (the caller commits).
        note: the decided note.
        decisions: the decisions (codes already checked against the code tables).
        key_id: the coder's API key id.
        ranker_version: the version recorded when a decision does not name the one that
            made its suggestion.
        package_version: the service's package version.

    Returns:
        The new rows, in the order given.
    """
    stamp = now_iso()
    rows = [CodingDecisionRow(
        note_id=note.note_id, patient_id=note.patient_id, key_id=key_id, concept=d.concept,
        section=d.section, system=d.system, code=d.code, decision=d.decision,
        replacement=d.replacement, suggestion_score=d.score,
        ranker_version=d.ranker_version or ranker_version, package_version=package_version,
        at=stamp) for d in decisions]
    session.add_all(rows)
    session.flush()
    return rows


def note_coding_decisions(session: Session, note_id: str) -> list[CodingDecisionRow]:
    """A note's coding decisions, oldest first."""
    return list(session.scalars(select(CodingDecisionRow).where(
        CodingDecisionRow.note_id == note_id).order_by(CodingDecisionRow.id)))


def coding_decisions(session: Session, only: list[str] | None = None,
                     ) -> list[CodingDecisionRow]:
    """Every stored coding decision, oldest first (of the patients in ``only`` when given):
    the re-ranker's training set and the metrics' input."""
    stmt = select(CodingDecisionRow).order_by(CodingDecisionRow.id)
    if only is not None:
        stmt = stmt.where(CodingDecisionRow.patient_id.in_(only))
    return list(session.scalars(stmt))


def decided_note_ids(session: Session, only: list[str] | None = None) -> set[str]:
    """The notes with at least one coding decision (of the patients in ``only``)."""
    stmt = select(CodingDecisionRow.note_id).distinct()
    if only is not None:
        stmt = stmt.where(CodingDecisionRow.patient_id.in_(only))
    return set(session.scalars(stmt))


def to_coder_decision(row: CodingDecisionRow) -> CoderDecision:
    """A stored decision as the re-ranker's training record."""
    return CoderDecision(note_id=row.note_id, concept=row.concept, section=row.section,
                         system=row.system, code=row.code, decision=row.decision,
                         replacement=row.replacement, score=row.suggestion_score,
                         ranker_version=row.ranker_version)


# ---- jobs --------------------------------------------------------------------------------------

def create_job(session: Session, kind: str, *, patient_id: str | None, key_id: str | None,
               params: dict[str, Any], owner: str | None = None) -> JobRow:
    """A queued job (flushes); ``owner`` is the worker that runs it (its lease starts)."""
    stamp = now_iso()
    row = JobRow(job_id=uuid.uuid4().hex, kind=kind, patient_id=patient_id, key_id=key_id,
                 status="queued", progress=0.0, stage="queued", params=params,
                 created_at=stamp, updated_at=stamp, owner=owner, heartbeat_at=stamp)
    session.add(row)
    session.flush()
    return row


def update_job(session: Session, job_id: str, **fields: Any) -> None:
    """Set fields of a job (status, progress, stage, error, summary_id)."""
    row = session.get(JobRow, job_id)
    if row is None:
        return
    for name, value in fields.items():
        setattr(row, name, value)
    row.updated_at = now_iso()


def get_job(session: Session, job_id: str) -> JobRow | None:
    """A job, or None."""
    return session.get(JobRow, job_id)


def renew_job_leases(session: Session, owner: str) -> int:
    """Renew the lease of the owner's queued and running jobs; returns how many."""
    result = session.execute(
        update(JobRow).where(JobRow.owner == owner,
                             JobRow.status.in_(("queued", "running")))
        .values(heartbeat_at=now_iso()))
    return result.rowcount or 0


def fail_owner_jobs(session: Session, owner: str) -> int:
    """Mark failed the queued/running jobs of a worker that is stopping; returns how many."""
    result = session.execute(
        update(JobRow).where(JobRow.owner == owner, JobRow.status.in_(("queued", "running")))
        .values(status="failed", stage="failed", updated_at=now_iso(),
                error="the service stopped while the job ran; submit the request again"))
    return result.rowcount or 0


def fail_stale_jobs(session: Session, lease_s: float) -> int:
    """Mark failed the queued/running jobs whose worker has not renewed the lease for
    ``lease_s`` seconds (it died), and those of a version without leases.

    Returns:
        How many jobs were marked.
    """
    cutoff = (datetime.now(UTC) - timedelta(seconds=lease_s)).isoformat(
        timespec="milliseconds")
    rows = list(session.scalars(select(JobRow).where(
        JobRow.status.in_(("queued", "running")),
        or_(JobRow.heartbeat_at.is_(None), JobRow.heartbeat_at < cutoff))))
    for row in rows:
        row.status = "failed"
        row.stage = "failed"
        row.error = ("the worker running the job stopped (restart or crash); submit the "
                     "request again")
        row.updated_at = now_iso()
    return len(rows)


def fail_interrupted_jobs(session: Session) -> int:
    """Mark jobs left queued/running by a previous process as failed (they died with it).

    Returns:
        How many jobs were marked.
    """
    rows = list(session.scalars(select(JobRow).where(JobRow.status.in_(("queued", "running")))))
    for row in rows:
        row.status = "failed"
        row.error = "the service restarted while the job ran; submit it again"
        row.updated_at = now_iso()
    return len(rows)


# ---- audit ----------------------------------------------------------------------------

def record_audit(session: Session, *, key_id: str | None, operation: str,
                 patient_id: str | None, is_allowed: bool, reason: str = "", route: str = "",
                 request_id: str = "") -> None:
    """Append one access decision (ids and outcome only)."""
    session.add(AuditEventRow(at=now_iso(), key_id=key_id, operation=operation,
                              patient_id=patient_id, is_allowed=is_allowed, reason=reason[:200],
                              route=route[:200], request_id=request_id[:64]))


def audit_events(session: Session, *, patient_id: str | None = None,
                 limit: int = 100) -> list[AuditEventRow]:
    """The latest audit events, newest first (optionally of one patient)."""
    stmt = select(AuditEventRow).order_by(AuditEventRow.id.desc()).limit(limit)
    if patient_id is not None:
        stmt = stmt.where(AuditEventRow.patient_id == patient_id)
    return list(session.scalars(stmt))
