"""Request and response models of the coding co-pilot's routes (``/v1/notes/{id}/codes``,
``/v1/coding/*``). The suggestion list itself is :class:`agent.schemas.coding.NoteCodes`.

Stored decisions name the concept and codes, never note text.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agent.schemas.coding import CoderDecision, CodingSystem, DecisionKind

# One review sitting of one note; a larger batch is a client bug, not a coder.
MAX_DECISIONS_PER_REQUEST = 500


class DecisionsRequest(BaseModel):
    """``POST /v1/notes/{id}/codes/decisions``: the coder's decisions on the note's
    suggestions (``note_id`` in a decision may be left out; when given it must be the
    path's)."""

    model_config = ConfigDict(extra="forbid")

    decisions: list[CoderDecision] = Field(min_length=1, max_length=MAX_DECISIONS_PER_REQUEST)


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


class RetrainResponse(BaseModel):
    """``POST /v1/coding/retrain``: the new ranker's version and what it learned from."""

    ranker_version: str
    previous_version: str
    decisions: int
