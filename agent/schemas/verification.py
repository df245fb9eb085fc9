"""Verdicts of the verifier (``verifiers.crosscheck``) on generated or external statements."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Verdict = Literal["SUPPORTED", "CONTRADICTED", "UNSUPPORTED", "NOT_CHECKABLE"]
VERDICTS: tuple[str, ...] = ("SUPPORTED", "CONTRADICTED", "UNSUPPORTED", "NOT_CHECKABLE")

ContradictionReason = Literal[
    "negation_flip",            # source says absent / denies, statement says present (or back)
    "wrong_dose",
    "wrong_route",
    "wrong_frequency",
    "wrong_temporality",        # historical / resolved given as current, or the reverse
    "wrong_experiencer",        # a family member's condition given to the patient
    "stopped_drug_as_current",
    "ruled_out_as_active",
    "wrong_value",              # a test result that differs from the source
    "event_contradicted",       # the notes say the stated event did not happen / the opposite
    "wrong_time",               # true once, no longer: held then resumed, extubated, resolved
    "wrong_direction",          # a dose change the other way (increased vs decreased)
    "planned_as_done",          # only planned, recommended or discussed; stated as done
    "wrong_certainty",          # possible or ruled out, stated as established
]


class EvidenceSpan(BaseModel):
    """A source span the verifier used, and how it bears on the statement."""

    model_config = ConfigDict(extra="forbid")

    note_id: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    relation: Literal["supports", "contradicts", "related"]


class Verification(BaseModel):
    """The verdict on one statement. ``reasons`` is empty unless CONTRADICTED."""

    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    reasons: list[ContradictionReason] = Field(default_factory=list)
    detail: str = Field(default="", description="one line for the reader, e.g. "
                        "'source: furosemide 40 mg; statement: 80 mg'")
    evidence: list[EvidenceSpan] = Field(default_factory=list)
    checked_facts: int = Field(default=0, ge=0,
                               description="entities of the statement that were checked")
