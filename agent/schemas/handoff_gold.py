"""Gold handoff facts and traps of the demo corpus (``evals/data/synthetic/
gold_handoff.jsonl``), scored by :mod:`evals.handoff`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

GoldKind = Literal["problem", "medication", "allergy", "pending", "code_status"]
TrapKind = Literal["medication_current", "problem_active", "family_as_patient",
                   "negated_as_present", "resolved_as_active", "planned_as_done"]


class GoldFact(BaseModel):
    """A fact a clinician expects in the handoff; matched by name/alias plus the stated
    status, dose and change when given."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: GoldKind
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    status: Literal["active", "held", "stopped", "resolved", "ruled_out",
                    "historical"] | None = None
    dose: str | None = None
    change: Literal["started", "dose_changed", "held", "resumed", "stopped"] | None = None
    note_id: str


class GoldTrap(BaseModel):
    """A false statement that must never be stated as true (e.g. a stopped drug as
    current, a relative's disease as the patient's)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: TrapKind
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    note_id: str
    why: str


class GoldHandoff(BaseModel):
    """One line of ``gold_handoff.jsonl``: the facts and traps of one patient."""

    model_config = ConfigDict(extra="forbid")

    patient_id: str
    facts: list[GoldFact]
    traps: list[GoldTrap]
