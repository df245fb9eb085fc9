"""API models of the handoff history: stored handoffs of a patient, what changed between
two of them, and the clinician's acknowledgement (sign-off) of one."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.schemas.summary import Statement


class Acknowledgement(BaseModel):
    """Who acknowledged a handoff (API key id and name) and when (ISO 8601 UTC)."""

    model_config = ConfigDict(extra="forbid")

    key_id: str
    key_name: str
    at: str
    comment: str | None = None


class HandoffEntry(BaseModel):
    """One stored handoff in a patient's history."""

    model_config = ConfigDict(extra="forbid")

    summary_id: int
    created_at: str
    mode: Literal["extractive", "llm", "external"]
    statement_count: int
    flagged_count: int = Field(description="statements the verifier found CONTRADICTED or "
                               "UNSUPPORTED")
    acknowledgements: list[Acknowledgement] = Field(default_factory=list)


class HandoffHistoryResponse(BaseModel):
    """``GET /v1/patients/{id}/handoffs``: newest first."""

    model_config = ConfigDict(extra="forbid")

    patient_id: str
    handoffs: list[HandoffEntry]


class StatementChange(BaseModel):
    """A statement whose words changed: the older and the newer version."""

    model_config = ConfigDict(extra="forbid")

    before: Statement
    after: Statement


class SectionChanges(BaseModel):
    """What changed in one I-PASS section."""

    model_config = ConfigDict(extra="forbid")

    section: str
    added: list[Statement] = Field(default_factory=list)
    removed: list[Statement] = Field(default_factory=list)
    changed: list[StatementChange] = Field(default_factory=list)


class HandoffChangesResponse(BaseModel):
    """``GET /v1/handoffs/{id}/changes``: sections with a change, in I-PASS order."""

    model_config = ConfigDict(extra="forbid")

    summary_id: int
    since_id: int
    sections: list[SectionChanges]
    unchanged_count: int


class AcknowledgeRequest(BaseModel):
    """``POST /v1/handoffs/{id}/acknowledge`` body (may be empty)."""

    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(default=None, max_length=2000)


class AcknowledgeResponse(BaseModel):
    """The acknowledgement recorded (the first one when the key had already signed)."""

    model_config = ConfigDict(extra="forbid")

    summary_id: int
    key_id: str
    key_name: str
    at: str
    comment: str | None = None
