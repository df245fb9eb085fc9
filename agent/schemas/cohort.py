"""Models of cohort queries (eligibility criteria over extracted facts) and their results.

A query is a trial's eligibility list: inclusion criteria (all must hold) and exclusion
criteria (any one excludes). A criterion is a leaf (a condition, a medication or a lab
result, with assertion / experiencer / temporality filters, a time window and a count) or
a combination (``all`` / ``any`` / ``not``). A query names concepts and codes, never a
patient or note text, so it holds no PHI and may be logged by its hash.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Assertion = Literal["present", "absent", "possible", "hypothetical"]
ASSERTIONS: tuple[str, ...] = ("present", "absent", "possible", "hypothetical")
Experiencer = Literal["patient", "family"]
EXPERIENCERS: tuple[str, ...] = ("patient", "family")
Temporality = Literal["current", "historical", "planned"]
TEMPORALITIES: tuple[str, ...] = ("current", "historical", "planned")
# Medication status from the patient timeline: ``current`` = active at the patient's last
# note; ``ever`` = any mention; the others are the timeline's statuses at the last note.
MedStatus = Literal["ever", "current", "held", "stopped"]
MED_STATUSES: tuple[str, ...] = ("ever", "current", "held", "stopped")
Operator = Literal[">", ">=", "<", "<=", "=", "!="]
OPERATORS: tuple[str, ...] = (">", ">=", "<", "<=", "=", "!=")
Direction = Literal["before", "after", "around"]
DIRECTIONS: tuple[str, ...] = ("before", "after", "around")


class TimeWindow(BaseModel):
    """When the mention's note must be dated.

    Either absolute bounds (``start`` / ``end``, ISO dates, inclusive), or ``days`` before /
    after / around a date (``date``) or around another criterion's matching mention
    (``criterion``: the id of a leaf criterion of the same query).
    """

    model_config = ConfigDict(extra="forbid")

    start: str | None = None
    end: str | None = None
    days: int | None = Field(default=None, ge=0, le=36_500)
    direction: Direction = "before"
    date: str | None = None
    criterion: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> TimeWindow:
        relative = self.date is not None or self.criterion is not None
        if self.date is not None and self.criterion is not None:
            raise ValueError("give either date or criterion, not both")
        if relative and self.days is None:
            raise ValueError("a window relative to a date or criterion needs days")
        if relative and (self.start or self.end):
            raise ValueError("give either start/end or days relative to a date/criterion")
        if not relative and self.days is not None:
            raise ValueError("days needs a date or a criterion to count from")
        if not relative and self.start is None and self.end is None:
            raise ValueError("a window needs start/end, or days with a date or criterion")
        return self


class MentionFilters(BaseModel):
    """Filters every leaf shares. Defaults: present, the patient's own, not historical-only
    (a patient counts when at least one matching mention is current or planned)."""

    model_config = ConfigDict(extra="forbid")

    assertion: list[Assertion] = Field(default_factory=lambda: ["present"])
    experiencer: list[Experiencer] = Field(default_factory=lambda: ["patient"])
    temporality: list[Temporality] = Field(default_factory=lambda: ["current", "planned"])
    section: list[str] | None = None
    window: TimeWindow | None = None
    min_notes: int = Field(default=1, ge=1, le=10_000,
                           description="at least this many distinct notes")


class ConditionCriterion(MentionFilters):
    """A problem / diagnosis by concept name or ICD-10-CM code prefix (hierarchy aware)."""

    concept: str | None = Field(default=None, min_length=1, max_length=200)
    code: str | None = Field(default=None, min_length=1, max_length=20)

    @model_validator(mode="after")
    def _one_of(self) -> ConditionCriterion:
        if (self.concept is None) == (self.code is None):
            raise ValueError("a condition needs exactly one of concept or code")
        return self


class MedicationCriterion(MentionFilters):
    """A medication by canonical ingredient or by class; ``status`` from the timeline."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    ingredient: str | None = Field(default=None, min_length=1, max_length=200)
    drug_class: str | None = Field(default=None, alias="class", min_length=1, max_length=200)
    status: MedStatus = "ever"

    @model_validator(mode="after")
    def _one_of(self) -> MedicationCriterion:
        if (self.ingredient is None) == (self.drug_class is None):
            raise ValueError("a medication needs exactly one of ingredient or class")
        return self


class LabCriterion(MentionFilters):
    """A lab result compared with a value in a unit (converted to the stored unit)."""

    test: str = Field(min_length=1, max_length=100)
    op: Operator | None = None
    value: float | None = Field(default=None, allow_inf_nan=False)
    unit: str | None = Field(default=None, max_length=40)

    @model_validator(mode="after")
    def _comparison(self) -> LabCriterion:
        if (self.op is None) != (self.value is None):
            raise ValueError("a lab comparison needs both op and value")
        return self


class Criterion(BaseModel):
    """One criterion: exactly one of the leaf kinds or combinations."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str | None = Field(default=None, description="name shown in the attrition table")
    condition: ConditionCriterion | None = None
    medication: MedicationCriterion | None = None
    lab: LabCriterion | None = None
    all: list[Criterion] | None = None
    any: list[Criterion] | None = None
    not_: Criterion | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _exactly_one(self) -> Criterion:
        kinds = [k for k in ("condition", "medication", "lab", "all", "any", "not_")
                 if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("a criterion needs exactly one of condition, medication, lab, "
                             f"all, any, not (got {len(kinds)})")
        if self.all is not None and not self.all or self.any is not None and not self.any:
            raise ValueError("all/any need at least one criterion")
        return self

    @property
    def kind(self) -> str:
        """``condition``, ``medication``, ``lab``, ``all``, ``any`` or ``not``."""
        for k in ("condition", "medication", "lab", "all", "any"):
            if getattr(self, k) is not None:
                return k
        return "not"


class CohortQuery(BaseModel):
    """An eligibility list: every inclusion criterion holds and no exclusion criterion."""

    model_config = ConfigDict(extra="forbid")

    name: str = "cohort"
    description: str = ""
    inclusion: list[Criterion] = Field(min_length=1)
    exclusion: list[Criterion] = Field(default_factory=list)


class Evidence(BaseModel):
    """A mention that satisfied (or excluded by) a criterion."""

    model_config = ConfigDict(extra="forbid")

    note_id: str
    date: str | None = None
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str = Field(description="the mention as written (the span)")
    snippet: str | None = Field(default=None, description="the span with a little context")
    concept: str
    code: str | None = None
    value: float | None = Field(default=None, allow_inf_nan=False)
    unit: str | None = Field(default=None, max_length=40)


class CriterionEvidence(BaseModel):
    """The evidence of one criterion for one patient."""

    model_config = ConfigDict(extra="forbid")

    criterion: str
    evidence: list[Evidence] = Field(default_factory=list)


class CohortPatient(BaseModel):
    """A matched patient with the evidence of each inclusion criterion."""

    model_config = ConfigDict(extra="forbid")

    patient_id: str
    criteria: list[CriterionEvidence]


class ExcludedPatient(BaseModel):
    """A patient who met the inclusion criteria but an exclusion criterion excluded."""

    model_config = ConfigDict(extra="forbid")

    patient_id: str
    excluded_by: str
    evidence: list[Evidence] = Field(default_factory=list)


class AttritionStep(BaseModel):
    """One row of the attrition table (CONSORT-like)."""

    model_config = ConfigDict(extra="forbid")

    step: str
    kind: Literal["population", "inclusion", "exclusion"]
    matched: int = Field(description="patients meeting this criterion alone")
    remaining: int = Field(description="patients left after this step")


class CohortResult(BaseModel):
    """The answer to a cohort query."""

    model_config = ConfigDict(extra="forbid")

    name: str
    query_sha256: str
    population: int
    patients: list[CohortPatient]
    excluded: list[ExcludedPatient]
    attrition: list[AttritionStep]
    provenance: dict[str, str] = Field(default_factory=dict)


class CohortQueryRequest(BaseModel):
    """``POST /v1/cohorts/query``: a query as JSON, or the compact text form."""

    model_config = ConfigDict(extra="forbid")

    # A mapping, validated by ``agent.cohorts.parse.query_from_data``: an unknown field or
    # value is answered with the valid choices, as the CLI does.
    query: dict[str, Any] | None = Field(default=None, description="the query as a "
                                         "CohortQuery object (inclusion, exclusion, ...)")
    text: str | None = Field(default=None, max_length=20_000,
                             description="compact text form of the query")
    evidence_per_criterion: int = Field(default=3, ge=0, le=50)

    @model_validator(mode="after")
    def _one_of(self) -> CohortQueryRequest:
        if (self.query is None) == (self.text is None):
            raise ValueError("send exactly one of query or text")
        return self


class CohortQueryResponse(CohortResult):
    """The result, for the patients the key may see only."""
