"""Models of the ICD-10 coding co-pilot: ranked code suggestions per note, and the coder's
decisions that the re-ranker learns from.

A decision names the concept a code was suggested for (the vocabulary's canonical name of
the mention, lower case), never the note text, so a store of decisions holds no PHI.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent.schemas.summary import Citation

CodingSystem = Literal["ICD-10-CM", "ICD-10-PCS"]
Route = Literal["review", "pre-accepted"]
Guideline = Literal["outpatient", "inpatient"]
DecisionKind = Literal["accept", "reject", "replace", "add"]
MatchType = Literal["vocabulary", "combination", "specific", "learned"]
Specificity = Literal["billable", "unspecified", "combination"]

# Shapes of the two code systems (dotted ICD-10-CM as the vocabulary writes it; PCS is
# always seven characters of 0-9 and letters without I and O).
CM_CODE = re.compile(r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?")
PCS_CODE = re.compile(r"[0-9A-HJ-NP-Z]{7}")


def code_shape_ok(code: str, system: str) -> bool:
    """Whether ``code`` has the shape of a code of ``system`` (existence is checked by
    :func:`agent.coding.conventions.is_known_code`)."""
    pattern = CM_CODE if system == "ICD-10-CM" else PCS_CODE
    return pattern.fullmatch(code) is not None


class SuggestionMention(BaseModel):
    """A mention a suggestion rests on (offsets into the note; the text for display)."""

    model_config = ConfigDict(extra="forbid")

    note_id: str
    text: str
    concept: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    section: str | None = None
    assertion: str


class RankReasons(BaseModel):
    """Why a suggestion ranks where it does."""

    model_config = ConfigDict(extra="forbid")

    match_type: MatchType
    specificity: Specificity
    section: str | None = None
    assertion: str
    vocabulary_score: float = Field(ge=0.0, le=1.0)
    section_weight: float
    mention_count: int = Field(ge=1)
    # 0 = the best candidate of its mention; higher = an alternative reading of it.
    mention_rank: int = Field(default=0, ge=0)
    ranker_adjustment: float = 0.0
    notes: list[str] = Field(default_factory=list)


class CodeSuggestion(BaseModel):
    """One suggested code of a note."""

    model_config = ConfigDict(extra="forbid")

    code: str
    system: CodingSystem
    description: str
    score: float = Field(ge=0.0, le=1.0)
    confidence: float = Field(ge=0.0, le=1.0)
    route: Route
    rank_reasons: RankReasons
    evidence: list[Citation]
    mentions: list[SuggestionMention]


class ExcludedCode(BaseModel):
    """A code the conventions kept out of the list, and why (shown to the coder)."""

    model_config = ConfigDict(extra="forbid")

    code: str
    reason: Literal["excludes1", "combination", "not_billable"]
    kept: str | None = None


class CodingProvenance(BaseModel):
    """What produced a note's suggestions."""

    model_config = ConfigDict(extra="forbid")

    ranker_version: str
    rules_sha256: str | None = None
    package_version: str
    icd10cm_release: str
    guideline: Guideline
    review_threshold: float


class NoteCodes(BaseModel):
    """The ranked suggestions of one note (one JSON line of ``clinagent code``)."""

    model_config = ConfigDict(extra="forbid")

    note_id: str
    patient_id: str | None = None
    suggestions: list[CodeSuggestion]
    # Encounter-level lists: the notes coded together (note_id is then the encounter's id).
    encounter_note_ids: list[str] | None = None
    excluded: list[ExcludedCode] = Field(default_factory=list)
    provenance: CodingProvenance


CODE_SHAPE = r"^[A-Za-z0-9]{3}(\.?[A-Za-z0-9]{1,4})?$"


class CoderDecision(BaseModel):
    """A coder's decision on one suggestion (or a code the coder added).

    ``code`` is the suggested code (for ``add``: the added code); ``replacement`` is the
    code chosen instead for ``replace``. ``score`` is the suggestion's score when shown
    (used to calibrate confidences).
    """

    model_config = ConfigDict(extra="forbid")

    note_id: str | None = None
    concept: str = ""
    section: str | None = None
    system: CodingSystem = "ICD-10-CM"
    # The shape of both systems' codes (CM "E11.22", PCS "0DTJ4ZZ"); whether the code exists
    # is checked against the code tables by the service (a 422 naming the field).
    code: str = Field(pattern=CODE_SHAPE, max_length=8)
    decision: DecisionKind
    replacement: str | None = Field(default=None, pattern=CODE_SHAPE, max_length=8)
    score: float | None = Field(default=None, ge=0.0, le=1.0)
    ranker_version: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CoderDecision:
        if not code_shape_ok(self.code, self.system):
            raise ValueError(f"code: {self.code!r} is not an {self.system} code")
        if self.decision == "replace":
            if not self.replacement:
                raise ValueError("replacement: a 'replace' decision needs the new code")
            if not code_shape_ok(self.replacement, self.system):
                raise ValueError(f"replacement: {self.replacement!r} is not an "
                                 f"{self.system} code")
        elif self.replacement is not None:
            raise ValueError("replacement: only a 'replace' decision takes one")
        return self
