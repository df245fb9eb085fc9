"""SQLAlchemy 2 models of the store.

Timestamps are ISO 8601 UTC strings (portable across SQLite and PostgreSQL, sortable).
Note text lives only in ``notes.text`` and in result payloads; audit events hold ids and
decisions, never text.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base; ``Base.metadata`` is Alembic's target."""


class NoteRow(Base):
    """One ingested note (idempotent by ``note_id``)."""

    __tablename__ = "notes"

    note_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    patient_id: Mapped[str] = mapped_column(String(200), index=True)
    note_type: Mapped[str] = mapped_column(String(200), default="unknown")
    date: Mapped[str | None] = mapped_column(String(40), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    text_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[str] = mapped_column(String(40))


class ExtractionRow(Base):
    """The extraction of one note version (keyed by the text hash, so edits re-extract)."""

    __tablename__ = "extractions"
    __table_args__ = (UniqueConstraint("note_id", "text_sha256", name="uq_extraction_note_sha"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    note_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("notes.note_id", ondelete="CASCADE"), index=True)
    text_sha256: Mapped[str] = mapped_column(String(64))
    producer: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[str] = mapped_column(String(40))


class SummaryRow(Base):
    """A verified handoff summary (the HandoffSummary JSON with its verifications)."""

    __tablename__ = "summaries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(String(200), index=True)
    mode: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    job_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[str] = mapped_column(String(40))


class AcknowledgementRow(Base):
    """A clinician's acknowledgement (sign-off) of a stored handoff: which API key, under
    which name, when. One per key and summary; erased with the summary (cascade) and with
    the patient. The comment is the clinician's own words: stored, never logged."""

    __tablename__ = "acknowledgements"
    __table_args__ = (UniqueConstraint("summary_id", "key_id", name="uq_acknowledgement_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    summary_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("summaries.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[str] = mapped_column(String(200), index=True)
    key_id: Mapped[str] = mapped_column(String(64))
    key_name: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[str] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)


class CodingDecisionRow(Base):
    """A coder's decision on one suggested ICD-10 code of a note (accept, reject, replace
    with ``replacement``, or ``add`` a missed code): who (API key id), when, the score the
    suggestion was shown with and the ranker and package versions that made it.

    Never note text: ``concept`` is the vocabulary's canonical name of the mention (what
    the re-ranker learns from). Each decision is its own row, so two coders deciding on
    one note at once both keep theirs. Erased with the note (cascade) and the patient.
    """

    __tablename__ = "coding_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    note_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("notes.note_id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[str] = mapped_column(String(200), index=True)
    key_id: Mapped[str] = mapped_column(String(64))
    concept: Mapped[str] = mapped_column(String(300), default="")
    section: Mapped[str | None] = mapped_column(String(200), nullable=True)
    system: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(20))
    replacement: Mapped[str | None] = mapped_column(String(20), nullable=True)
    suggestion_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    ranker_version: Mapped[str] = mapped_column(String(80))
    package_version: Mapped[str] = mapped_column(String(40))
    at: Mapped[str] = mapped_column(String(40))


class CodingReviewRow(Base):
    """One coder's review sitting of a note: the seconds from opening the note on the
    coder's page to submitting its decisions, and how many decisions it sent (the coding
    dashboard's median review time per note). Ids and a duration, never note text; erased
    with the note (cascade) and the patient."""

    __tablename__ = "coding_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    note_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("notes.note_id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[str] = mapped_column(String(200), index=True)
    key_id: Mapped[str] = mapped_column(String(64))
    seconds: Mapped[float] = mapped_column(Float)
    decisions: Mapped[int] = mapped_column(Integer)
    at: Mapped[str] = mapped_column(String(40))


class JobRow(Base):
    """A background job (large handoffs, large extract/deid inputs) with its progress.

    The worker process that created a job runs it and renews ``heartbeat_at`` while the job
    is queued or running; a job whose lease has lapsed (its worker died) is marked failed
    by any worker.
    """

    __tablename__ = "jobs"

    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    patient_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    key_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(200), default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    summary_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[str] = mapped_column(String(40))
    owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    heartbeat_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class IdempotencyRow(Base):
    """A request sent with an ``Idempotency-Key``: a retry with the same key gets the same
    answer (the same job) instead of doing the work again.

    Keys are scoped to the API key that sent them; ``request_sha256`` is the hash of the
    method, path and body, so the key cannot be reused for another request. The stored
    response holds ids and counts, never note text.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("key_id", "idempotency_key", name="uq_idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_id: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_sha256: Mapped[str] = mapped_column(String(64))
    is_done: Mapped[bool] = mapped_column(default=False)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    job_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[str] = mapped_column(String(40), index=True)


class AuditEventRow(Base):
    """One access decision: who (key id), what (operation), whom (patient id), the outcome.

    Never note text, never the question or the request body.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_patient_at", "patient_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[str] = mapped_column(String(40))
    key_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    operation: Mapped[str] = mapped_column(String(20))
    patient_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    is_allowed: Mapped[bool] = mapped_column()
    reason: Mapped[str] = mapped_column(String(200), default="")
    route: Mapped[str] = mapped_column(String(200), default="")
    request_id: Mapped[str] = mapped_column(String(64), default="")


class RateLimitRow(Base):
    """A token bucket of the per-key rate limit, shared by every worker process.

    ``updated_at`` is epoch seconds (a float, not ISO text): the refill is computed in the
    one atomic UPDATE that takes a token.
    """

    __tablename__ = "rate_limits"

    bucket: Mapped[str] = mapped_column(String(200), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class AuthFailureRow(Base):
    """Failed authentications counted per window, client address and reason (one row per
    group, not per attempt, so a flood cannot grow the table). Never the presented key or
    any header value; ``key_id`` only for a well-formed key whose id exists ("" else)."""

    __tablename__ = "auth_failures"
    __table_args__ = (UniqueConstraint("window_start", "client", "reason", "key_id",
                                       name="uq_auth_failure_group"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    window_start: Mapped[str] = mapped_column(String(40))
    client: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(40))
    key_id: Mapped[str] = mapped_column(String(64), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[str] = mapped_column(String(40))
    last_at: Mapped[str] = mapped_column(String(40))


class ApiKeyRow(Base):
    """An API key: only its hash is stored; scopes are operations x patients."""

    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    key_hash: Mapped[str] = mapped_column(String(128))
    hash_scheme: Mapped[str] = mapped_column(String(20))
    operations: Mapped[list[str]] = mapped_column(JSON)
    patients: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[str] = mapped_column(String(40))
    revoked_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class CohortFactRow(Base):
    """One extracted entity of one note version, normalised for cohort queries
    (``agent.cohorts``): the mention's concept and code, assertion, experiencer,
    temporality, lab value in the test's stored unit, and the timeline's status.

    Holds what the store already holds (the mention is a span of ``notes.text``); rebuilt
    per note (delete + insert keyed by note id and text hash), erased with the note
    (cascade) and with the patient. ``note_day`` is the note date as days since
    1970-01-01, so windows compile to integer arithmetic on SQLite and PostgreSQL alike.
    """

    __tablename__ = "cohort_facts"
    __table_args__ = (
        Index("ix_cohort_facts_type_concept", "entity_type", "concept", "patient_id"),
        Index("ix_cohort_facts_patient_day", "patient_id", "note_day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(String(200))
    note_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("notes.note_id", ondelete="CASCADE"), index=True)
    text_sha256: Mapped[str] = mapped_column(String(64))
    note_date: Mapped[str | None] = mapped_column(String(40), nullable=True)
    note_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    entity_type: Mapped[str] = mapped_column(String(20))
    concept: Mapped[str] = mapped_column(String(300))
    code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    assertion: Mapped[str] = mapped_column(String(20))
    experiencer: Mapped[str] = mapped_column(String(20))
    temporality: Mapped[str] = mapped_column(String(20))
    section: Mapped[str | None] = mapped_column(String(200), nullable=True)
    value_num: Mapped[float | None] = mapped_column(Float, nullable=True)
    unit: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status_now: Mapped[str | None] = mapped_column(String(20), nullable=True)
    span_start: Mapped[int] = mapped_column(Integer)
    span_end: Mapped[int] = mapped_column(Integer)
    span_text: Mapped[str] = mapped_column(String(500))


class CohortFactCodeRow(Base):
    """A code a fact matches: its ICD-10-CM code and every ancestor (category, block,
    chapter: "E11" matches E11.40 by equality), or a drug class of its ingredient."""

    __tablename__ = "cohort_fact_codes"
    __table_args__ = (Index("ix_cohort_fact_codes_code", "system", "code", "fact_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fact_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cohort_facts.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[str] = mapped_column(String(200), index=True)
    system: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(100))


class CohortFactNoteRow(Base):
    """Which note version the facts were built from (a note with no entity has a row
    too), so stale notes are found by one join on ``notes.text_sha256``."""

    __tablename__ = "cohort_fact_notes"

    note_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("notes.note_id", ondelete="CASCADE"), primary_key=True)
    patient_id: Mapped[str] = mapped_column(String(200), index=True)
    text_sha256: Mapped[str] = mapped_column(String(64))
    facts: Mapped[int] = mapped_column(Integer, default=0)
    built_at: Mapped[str] = mapped_column(String(40))


class CohortRelationRow(Base):
    """A relation between two entities of one note version (``agent.relations``: CAUSES,
    TREATS, LOCATED_AT, CONTRAINDICATED_BY) with its assertion: the facts of its head and
    tail where they are facts (body sites are not), their concepts, and the offsets of the
    sentence that states it. Rebuilt with the note's facts, erased with them."""

    __tablename__ = "cohort_fact_relations"
    __table_args__ = (
        Index("ix_cohort_fact_relations_head", "type", "head_concept", "patient_id"),
        Index("ix_cohort_fact_relations_tail", "type", "tail_concept", "patient_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(String(200))
    note_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("notes.note_id", ondelete="CASCADE"), index=True)
    relation_id: Mapped[str] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(30))
    assertion: Mapped[str] = mapped_column(String(20))
    head_fact_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("cohort_facts.id", ondelete="CASCADE"), nullable=True)
    tail_fact_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("cohort_facts.id", ondelete="CASCADE"), nullable=True)
    head_type: Mapped[str] = mapped_column(String(20))
    head_concept: Mapped[str] = mapped_column(String(300))
    tail_type: Mapped[str] = mapped_column(String(20))
    tail_concept: Mapped[str] = mapped_column(String(300))
    laterality: Mapped[str | None] = mapped_column(String(20), nullable=True)
    evidence_start: Mapped[int] = mapped_column(Integer)
    evidence_end: Mapped[int] = mapped_column(Integer)


class PrivacyReviewRow(Base):
    """A possible PHI leak the output monitor found in a de-identified output, for the
    privacy officer's review: where (note id, offsets into that output, the output's
    sha256), what kind it looks like, which detector, when. Never the value or any text."""

    __tablename__ = "privacy_review_queue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    note_id: Mapped[str] = mapped_column(String(200), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    type_guess: Mapped[str] = mapped_column(String(40))
    detector: Mapped[str] = mapped_column(String(80))
    output_sha256: Mapped[str] = mapped_column(String(64))
    release_policy: Mapped[str | None] = mapped_column(String(80), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    at: Mapped[str] = mapped_column(String(40), index=True)
