"""Request and response models of the coding co-pilot's routes (``/v1/notes/{id}/codes``,
``/v1/coding/*``). The suggestion list itself is :class:`agent.schemas.coding.NoteCodes`.

Stored decisions name the concept and codes, never note text.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.schemas.coding import CoderDecision, CodingSystem, DecisionKind

# One review sitting of one note; a larger batch is a client bug, not a coder.
MAX_DECISIONS_PER_REQUEST = 500
# A review sitting longer than a working day is a page left open, not review time (the
# coder's page counts only the time it is visible and sends at most this).
MAX_REVIEW_SECONDS = 8 * 3600
# Code search: a code or a few words; a longer text is a note pasted by mistake.
MAX_CODE_QUERY_CHARS = 100
# What a query must hold (one character other than ASCII white space); the OpenAPI
# document states it, the service checks it with this very class, so both agree on blanks.
CODE_QUERY_PATTERN = r"[^ \t\n\r\f\v]"
MAX_CODE_MATCHES = 50


class DecisionsRequest(BaseModel):
    """``POST /v1/notes/{id}/codes/decisions``: the coder's decisions on the note's
    suggestions (``note_id`` in a decision may be left out; when given it must be the
    path's)."""

    model_config = ConfigDict(extra="forbid")

    decisions: list[CoderDecision] = Field(min_length=1, max_length=MAX_DECISIONS_PER_REQUEST)
    # Seconds from opening the note to submitting (the dashboard's median review time).
    review_seconds: float | None = Field(
        default=None, ge=0.0, le=MAX_REVIEW_SECONDS,
        description="seconds the coder spent on the note, from opening it to submitting "
                    f"(0 to {MAX_REVIEW_SECONDS}); stored per note for the dashboard")


class StoredDecision(BaseModel):
    """One stored decision: what was decided, by which key, when, on which ranker's
    suggestion."""

    model_config = ConfigDict(extra="forbid")

    id: int
    note_id: str
    key_id: str
    concept: str
    section: str | None = None
    system: CodingSystem
    code: str
    decision: DecisionKind
    replacement: str | None = None
    score: float | None = None
    ranker_version: str
    package_version: str
    at: str


class NoteDecisionsResponse(BaseModel):
    """A note's decisions, oldest first (``stored``: how many this request added)."""

    note_id: str
    stored: int = 0
    decisions: list[StoredDecision]


class QueueItem(BaseModel):
    """A note waiting for a coder: its suggestions routed to review."""

    note_id: str
    patient_id: str
    note_type: str
    date: str | None = None
    review_count: int
    suggestion_count: int


class QueueResponse(BaseModel):
    """``GET /v1/coding/queue``: undecided notes with suggestions to review."""

    total: int
    notes: list[QueueItem]
    ranker_version: str


class DayCount(BaseModel):
    """Decisions made on one UTC day."""

    date: str
    decisions: int
    accepted: int
    # Over that day's decisions (precision@k over time); None when none was scored.
    precision_at_1: float | None = None
    precision_at_5: float | None = None


class CodingMetricsResponse(BaseModel):
    """``GET /v1/coding/metrics`` (definitions in the route's docstring)."""

    decisions: int
    decided_notes: int
    accept_rate: float | None = None
    precision_at_1: float | None = None
    precision_at_5: float | None = None
    by_decision: dict[str, int]
    per_day: list[DayCount]
    queue_size: int
    ranker_version: str
    # Review time: per note, the seconds of its review sittings added up; the median over
    # the notes with a recorded time (None before the first).
    median_review_seconds: float | None = None
    reviewed_notes: int = 0


class RetrainResponse(BaseModel):
    """``POST /v1/coding/retrain``: the new ranker's version and what it learned from."""

    ranker_version: str
    previous_version: str
    decisions: int


class CodeMatch(BaseModel):
    """A code found by the code search."""

    code: str
    system: CodingSystem
    description: str
    # A category header is not reportable: pick a billable code under it.
    billable: bool


class CodeSearchResponse(BaseModel):
    """``GET /v1/coding/codes``: codes matching a code prefix or words, with the code
    tables' release."""

    system: CodingSystem
    # "code": the query read as a code prefix; "words": searched in the titles.
    match: Literal["code", "words"]
    matches: list[CodeMatch]
    icd10cm_release: str
    package_version: str
