"""API models of the medication reconciliation view: one row per drug with its home,
inpatient and discharge state, the change and its cited reason, and the conditional
plans of the record."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.schemas.extraction import Provenance
from agent.schemas.summary import Citation, MedicationStatus

MedrecChange = Literal["new", "changed", "held", "stopped", "continued", "unknown"]


class MedrecCell(BaseModel):
    """The drug as one list or stage of the stay states it."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="the drug as written, e.g. 'furosemide 40 mg IV BID'")
    status: MedicationStatus
    date: str | None = None
    citations: list[Citation] = Field(min_length=1)


class MedrecReason(BaseModel):
    """The phrase the notes give for a stop, hold or change, with its source."""

    model_config = ConfigDict(extra="forbid")

    text: str
    citation: Citation


class MedrecRow(BaseModel):
    """One drug (the timeline's canonical ingredient)."""

    model_config = ConfigDict(extra="forbid")

    drug: str
    home: MedrecCell | None = None
    inpatient: MedrecCell | None = None
    discharge: MedrecCell | None = None
    change: MedrecChange
    change_text: str | None = Field(default=None, description="'20 mg oral DAILY -> 40 mg "
                                    "oral DAILY' for a changed regimen")
    reason: MedrecReason | None = None


class ConditionalPlanOut(BaseModel):
    """A plan that waits for a condition or a date."""

    model_config = ConfigDict(extra="forbid")

    text: str
    drug: str | None = None
    citation: Citation


class MedrecResponse(BaseModel):
    """``GET /v1/patients/{id}/medrec``."""

    model_config = ConfigDict(extra="forbid")

    patient_id: str
    has_home_list: bool
    has_discharge: bool
    rows: list[MedrecRow]
    conditional_plans: list[ConditionalPlanOut]
    provenance: Provenance
