"""Request and response bodies of the HTTP service (``clinagent serve``, ``agent.api``).

Request and response models are separate classes. Every endpoint needs an API key
(``Authorization: Bearer <key>`` or ``X-API-Key: <key>``); errors are RFC 9457 problem
details (:class:`Problem`, media type ``application/problem+json``).

Shapes (the web page under ``agent/api/static`` uses them):

- ``POST /v1/notes`` :class:`NotesIngestRequest` (or a JSON Lines body with
  ``Content-Type: application/x-ndjson``) -> :class:`NotesIngestResponse`
- ``GET /v1/patients`` -> :class:`PatientsResponse`
- ``GET /v1/patients/{id}/notes`` -> :class:`PatientNotesResponse`
- ``POST /v1/extract`` :class:`ExtractRequest` -> :class:`ExtractResponse`
- ``POST /v1/deid`` :class:`DeidRequest` -> :class:`DeidResponse`
- ``POST /v1/verify`` :class:`VerifyRequest` -> :class:`VerifyResponse`
- ``POST /v1/patients/{id}/handoff`` :class:`HandoffRequest` -> 200 :class:`HandoffResponse`
  (small patients) or 202 :class:`JobResponse` (``GET /v1/jobs/{id}`` until ``succeeded``;
  its ``result`` is the :class:`HandoffResponse`)
- ``POST /v1/chat`` :class:`ChatRequest` -> :class:`ChatResponse`, or with ``stream: true``
  server-sent events: ``passages`` (list of Passage), ``sentence`` (AnswerSentence, one per
  event), ``done`` (the whole ChatResponse), ``error`` (a Problem)
- ``POST /v1/chat/completions`` (OpenAI-compatible, ``model`` = ``clinagent:<patient_id>``)
- ``GET /healthz`` -> :class:`HealthResponse`, ``GET /readyz`` -> :class:`ReadyResponse`,
  ``GET /metrics`` (Prometheus text)
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from agent.schemas.chat import ChatAnswer
from agent.schemas.deid import AuditRecord, DeidMode, PhiReplacement
from agent.schemas.extraction import NoteExtraction
from agent.schemas.summary import HandoffSummary

JobStatus = Literal["queued", "running", "succeeded", "failed"]

# Request models are strict (no "5" for 5, no 0 for false) and state what the service checks
# beyond the types, so the OpenAPI document is the contract (tests/agent/api/
# test_api_contract.py): a text must hold more than whitespace, a date is ISO 8601.
NOT_BLANK = r"\S"
ISO_DATE_SCHEMA: dict[str, Any] = {"anyOf": [
    {"type": "string", "format": "date"}, {"type": "string", "format": "date-time"},
    {"type": "string", "maxLength": 0}, {"type": "null"}]}


def _whole_number(value: object) -> object:
    # JSON Schema counts 7.0 as an integer; strict mode alone would refuse it.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
HandoffFormat = Literal["json", "markdown", "fhir"]
RunMode = Literal["auto", "sync", "async"]


class Problem(BaseModel):
    """RFC 9457 problem details: every error response of the service."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="URI naming the problem type")
    title: str
    status: int
    detail: str = ""
    instance: str | None = Field(
        default=None, description="the route template (e.g. /v1/patients/{patient_id}/notes), "
        "never the raw path, which can hold a patient id")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="per-field problems (location and message, never values)")


# ---- notes -----------------------------------------------------------------------------

class NotesIngestRequest(BaseModel):
    """A batch of notes in the JSON Lines contract: each item is one note object
    ``{"patient_id", "note_id", "note_type", "date", "text", ...}``; other fields are kept.

    Items are validated one by one: a bad item is reported in ``rejected`` and the others
    are stored.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    # Validated item by item in the route; the document states what a valid item is.
    notes: list[dict[str, Any]] = Field(min_length=1, json_schema_extra={"items": {
        "type": "object", "required": ["patient_id", "note_id", "text"],
        "properties": {
            "patient_id": {"type": ["string", "integer"], "minLength": 1},
            "note_id": {"type": ["string", "integer"], "minLength": 1},
            "note_type": {"type": ["string", "integer"]},
            "date": ISO_DATE_SCHEMA,
            "text": {"type": "string", "pattern": NOT_BLANK}},
        "additionalProperties": True}})


class NoteIngestResult(BaseModel):
    """What happened to one posted note (idempotent by ``note_id``)."""

    note_id: str
    patient_id: str
    status: Literal["created", "updated", "unchanged"]


class RejectedNote(BaseModel):
    """A posted item that is not a valid note (position and field, never its text)."""

    index: int = Field(description="0-based position in the batch")
    note_id: str | None = None
    field: str | None = None
    problem: str


class NotesIngestResponse(BaseModel):
    """Result of ``POST /v1/notes``: stored (durably, before this response) and indexed."""

    accepted: int
    created: int
    updated: int
    unchanged: int
    notes: list[NoteIngestResult]
    rejected: list[RejectedNote] = Field(default_factory=list)
    indexed_chunks: int = Field(default=0, description="chunks embedded for this batch")


class NoteOut(BaseModel):
    """A stored note."""

    patient_id: str
    note_id: str
    note_type: str
    date: str | None = None
    text: str
    extra: dict[str, Any] = Field(default_factory=dict)
    text_sha256: str
    received_at: str
    title: str = Field(default="Note", description="the note's title line (e.g. 'ED provider "
                       "note'), else its note type as a title")
    author: str | None = Field(default=None, description="the author ('Author:', 'Electronically "
                               "signed by ...', the signature line, else the header's "
                               "attending); None when the note names none")


class PatientNotesResponse(BaseModel):
    """``GET /v1/patients/{id}/notes``: the patient's notes in date order."""

    patient_id: str
    notes: list[NoteOut]


class PatientInfo(BaseModel):
    """One patient the key may read."""

    patient_id: str
    note_count: int
    first_date: str | None = None
    last_date: str | None = None


class PatientsResponse(BaseModel):
    """``GET /v1/patients``: patients visible to the key, with note counts."""

    patients: list[PatientInfo]


class PatientDeletionResponse(BaseModel):
    """``DELETE /v1/patients/{id}``: what was removed (counts only). Audit events are kept:
    they record who accessed the patient, and this deletion."""

    patient_id: str
    notes: int = Field(ge=0)
    extractions: int = Field(ge=0)
    summaries: int = Field(ge=0)
    jobs: int = Field(ge=0)
    index_notes: int = Field(ge=0, description="notes removed from the retrieval index")
    index_chunks: int = Field(ge=0, description="their chunks (vectors compacted away)")
    other_rows: dict[str, int] = Field(default_factory=dict, description="rows of other "
                                       "tables naming the patient, by table")


# ---- extract / deid / verify on posted text -----------------------------------------------

class ExtractRequest(BaseModel):
    """Text to extract entities from (not stored)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(min_length=1, pattern=NOT_BLANK)
    note_id: str = Field(default="adhoc", min_length=1)
    patient_id: str | None = Field(default=None, description="checked against the key's "
                                   "patient scope when given")
    note_type: str = "unknown"
    date: str | None = Field(default=None, json_schema_extra=ISO_DATE_SCHEMA)
    run: RunMode = Field(default="auto", description="auto: synchronous up to "
                         "api.sync_max_chars characters, else a background job (202)")


class ExtractResponse(NoteExtraction):
    """The extraction of the posted text (same shape as a ``clinagent extract`` line)."""


class DeidRequest(BaseModel):
    """Text to de-identify (not stored)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(min_length=1, pattern=NOT_BLANK)
    note_id: str = Field(default="adhoc", min_length=1)
    patient_id: str | None = None
    date: str | None = Field(default=None, description="note date (surrogate date shifts)",
                             json_schema_extra=ISO_DATE_SCHEMA)
    mode: DeidMode | None = Field(default=None, description="default: deid.mode setting")
    run: RunMode = Field(default="auto", description="auto: synchronous up to "
                         "api.sync_max_chars characters, else a background job (202)")


class DeidResponse(BaseModel):
    """The de-identified text, its PHI spans and the PHI-free audit record."""

    note_id: str
    text: str
    mode: DeidMode
    phi: list[PhiReplacement]
    audit: AuditRecord


class VerifyRequest(BaseModel):
    """A summary to check against the patient's stored notes.

    ``summary`` is clinagent JSON (a HandoffSummary) or Markdown / plain text written by a
    person (split into statements).
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    patient_id: str = Field(min_length=1)
    summary: str = Field(min_length=1, pattern=NOT_BLANK)
    format: Literal["auto", "json", "markdown", "text"] = "auto"


class VerifyResponse(BaseModel):
    """The summary with a verification on every statement, and verdict counts."""

    patient_id: str
    counts: dict[str, int]
    summary: HandoffSummary


# ---- handoff and jobs ------------------------------------------------------------------------

class HandoffRequest(BaseModel):
    """Options of ``POST /v1/patients/{id}/handoff``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    format: HandoffFormat = "json"
    use_llm: bool = Field(default=False, description="hierarchical LLM summary; when the "
                          "backend is down the extractive summary comes back with a flag")
    run: Literal["auto", "sync", "async"] = Field(
        default="auto", description="auto: sync up to api.sync_handoff_max_notes notes, "
        "else a background job (202)")


class HandoffResponse(BaseModel):
    """A verified handoff summary in the requested format (all formats carry ``summary``)."""

    patient_id: str
    format: HandoffFormat
    summary_id: int | None = Field(description="id of the stored summary; None when "
                                   "retention.store_summaries is false (not stored)")
    summary: HandoffSummary
    markdown: str | None = None
    fhir: dict[str, Any] | None = None


class JobResponse(BaseModel):
    """A background job (``GET /v1/jobs/{id}``)."""

    job_id: str
    kind: str
    patient_id: str | None = None
    status: JobStatus
    progress: float = Field(ge=0.0, le=1.0)
    stage: str = ""
    created_at: str
    updated_at: str
    error: str | None = None
    result: HandoffResponse | ExtractResponse | DeidResponse | None = Field(
        default=None, description="once succeeded: the response the synchronous request "
        "would have given (by kind: handoff, extract, deid)")


# ---- chat ------------------------------------------------------------------------------------

class ChatRequest(BaseModel):
    """A question about one patient."""

    model_config = ConfigDict(extra="forbid", strict=True)

    patient_id: str = Field(min_length=1)
    question: str = Field(min_length=1, max_length=2000, pattern=NOT_BLANK)
    use_llm: bool | None = Field(default=None, description="default: api.chat_use_llm")
    k: WholeNumber = Field(default=5, ge=1, le=20, description="passages retrieved")
    stream: bool = Field(default=False, description="server-sent events")


class ChatResponse(ChatAnswer):
    """The answer: sentences with citations and verification, the passages used."""


class OpenAIMessage(BaseModel):
    """A chat message of an OpenAI-style request (other fields are ignored)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    """OpenAI ``/v1/chat/completions`` request; the last user message is the question.

    OpenAI clients send many optional fields (temperature, top_p, user...): they are
    accepted and ignored, because the answer is grounded, not sampled.
    """

    model_config = ConfigDict(extra="ignore", strict=True)

    model: str = Field(description="'clinagent:<patient_id>' (or the fixed api.chat_model)")
    messages: list[OpenAIMessage] = Field(min_length=1)
    stream: bool = False


class ChatCompletionMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatCompletionChoice(BaseModel):
    index: int = 0
    message: ChatCompletionMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletionResponse(BaseModel):
    """OpenAI-shaped answer; ``clinagent`` carries the full cited, verified answer."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatCompletionChoice]
    usage: dict[str, int]
    clinagent: ChatAnswer


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "clinagent"


class ModelList(BaseModel):
    """``GET /v1/models``: one model per patient the key may chat about."""

    object: Literal["list"] = "list"
    data: list[ModelCard]


# ---- health -----------------------------------------------------------------------------------

class HealthResponse(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class CheckResult(BaseModel):
    is_ok: bool
    detail: str = ""


class ReadyResponse(BaseModel):
    """``ready``: store, index and LLM backend reachable; ``degraded``: the LLM backend is
    not (extractive answers and summaries still work); 503 when store or index fail.
    ``checks`` (LLM URL, database dialect, note count) only for an admin-scoped key."""

    status: Literal["ready", "degraded", "unavailable"]
    checks: dict[str, CheckResult] | None = None
