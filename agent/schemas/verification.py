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
    "allergen_as_medication",   # a drug the patient is allergic to, stated as taken
    "wrong_reason",             # "X stopped because of Y" / "X for Y" where the notes give
                                # another reason (relations, verifiers.reasons)
]


class EvidenceSpan(BaseModel):
    """A source span the verifier used, and how it bears on the statement."""

    model_config = ConfigDict(extra="forbid")

    note_id: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    relation: Literal["supports", "contradicts", "related"]


class ModelOpinion(BaseModel):
    """An LLM's second opinion on a statement (``clinagent verify --judge``): a model's
    opinion, not a verification. It can lower the rule verdict, never raise it."""

    model_config = ConfigDict(extra="forbid")

    label: Literal["entailed", "contradicted", "not_enough_info", "failed"]
    reason: str = ""
    evidence: list[EvidenceSpan] = Field(default_factory=list)
    backend: str | None = None
    model: str | None = None
    prompt: str | None = Field(default=None, description="prompt id@version")
    changed_verdict: bool = Field(default=False, description="the opinion lowered the "
                                  "rule verdict (SUPPORTED -> UNSUPPORTED)")


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
    model_opinion: ModelOpinion | None = Field(
        default=None, description="an optional LLM second opinion (labelled as such)")


class LLMJudgement(BaseModel):
    """What the judge model must return (untrusted; validated by the structured loop)."""

    model_config = ConfigDict(extra="forbid")

    label: Literal["entailed", "contradicted", "not_enough_info"]
    passage_ids: list[str] = Field(default_factory=list, max_length=6)
    reason: str = Field(default="", max_length=300)
