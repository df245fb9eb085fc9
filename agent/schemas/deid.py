"""De-identification: detected PHI spans, de-identified notes, audit records, the recognizer
pack file format."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agent.schemas.validators import check_regex

# HIPAA Safe Harbor identifiers that occur in note text, in UPPER_SNAKE (the demo corpus
# labels; evals map other corpora onto them).
PHI_TYPES: tuple[str, ...] = (
    "NAME", "DATE", "AGE", "PHONE", "FAX", "EMAIL", "SSN", "MRN", "HEALTH_PLAN", "ACCOUNT",
    "LICENSE", "VEHICLE", "DEVICE", "URL", "IP_ADDRESS", "STREET_ADDRESS", "CITY", "ZIP",
    "HOSPITAL", "ID",
)
DeidMode = Literal["redact", "mask", "surrogate"]
OPERATORS: tuple[str, ...] = ("redact", "mask", "surrogate")


class PhiSpan(BaseModel):
    """One detected PHI span: ``text[start:end]`` in the original note."""

    model_config = ConfigDict(frozen=True)

    entity_type: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    score: float = Field(ge=0.0, le=1.0)
    recognizer: str


class PhiReplacement(BaseModel):
    """A PHI span of the output: offsets into the original text and into the new text."""

    start: int
    end: int
    type: str
    replacement: str
    new_start: int
    new_end: int


class DeidResult(BaseModel):
    """One de-identified note as written by ``clinagent deid``."""

    note_id: str
    text: str
    mode: DeidMode
    phi: list[PhiReplacement] = Field(default_factory=list)


class AuditEntry(BaseModel):
    """What was found and what it became, never the original value.

    ``value_hash`` is HMAC-SHA256(secret, type + normalised value), truncated: it links
    repeated mentions without revealing them; None when no secret is configured.
    """

    type: str
    start: int
    end: int
    length: int
    recognizer: str
    score: float
    operator: DeidMode
    replacement: str
    value_hash: str | None = None


class AuditRecord(BaseModel):
    """The audit of one note: one entry per replaced span plus counts."""

    note_id: str
    patient_key: str | None = Field(
        default=None, description="HMAC of the patient id (None without a secret)")
    mode: DeidMode
    is_date_shifted: bool = False
    counts: dict[str, int] = Field(default_factory=dict)
    entries: list[AuditEntry] = Field(default_factory=list)
    pack_sha256: str
    package_version: str


# ---- recognizer pack file (agent/deid/recognizers.yaml) ------------------------------------

_VALIDATOR_CLASSES = ("PhiCardRecognizer", "PhiSsnRecognizer", "PhiNpiRecognizer",
                      "PhiDeaRecognizer", "PhiPhoneRecognizer", "PhiIpRecognizer")


class PatternRule(BaseModel):
    """One regular expression of a recognizer; the ``phi`` group (if any) is the span."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    regex: str = Field(min_length=1)
    score: float = Field(gt=0.0, le=1.0)
    case_sensitive: bool = False

    _regex = field_validator("regex")(check_regex)


class RecognizerRule(BaseModel):
    """A pattern recognizer of the pack."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    entity_type: str
    patterns: list[PatternRule] = Field(min_length=1)
    deny_list: list[str] = Field(default_factory=list)
    class_: str | None = Field(default=None, alias="class")

    @field_validator("entity_type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in PHI_TYPES:
            raise ValueError(f"unknown entity_type {value!r}; use one of {', '.join(PHI_TYPES)}")
        return value

    @field_validator("class_")
    @classmethod
    def _known_class(cls, value: str | None) -> str | None:
        if value is not None and value not in _VALIDATOR_CLASSES:
            raise ValueError(f"unknown class {value!r}; use one of "
                             f"{', '.join(_VALIDATOR_CLASSES)}")
        return value


class NameRules(BaseModel):
    """Evidence words for person names."""

    model_config = ConfigDict(extra="forbid")

    titles: list[str]
    credentials: list[str]
    labels: list[str]
    relations: list[str]
    not_names: list[str]
    eponym_heads: list[str]
    allow_list: list[str]


class HospitalRules(BaseModel):
    """Facility words and the generic words that alone do not make a name PHI."""

    model_config = ConfigDict(extra="forbid")

    suffixes: list[str]
    generic_words: list[str]


class DateRules(BaseModel):
    """Clinical look-alikes of month/day numbers and of ordinal days."""

    model_config = ConfigDict(extra="forbid")

    deny_before: list[str]
    deny_after: list[str]
    ordinal_deny_after: list[str]
    shorthand: list[str] = Field(default_factory=list)


class RecognizerPack(BaseModel):
    """The whole recognizer pack file."""

    model_config = ConfigDict(extra="forbid")

    version: int
    recognizers: list[RecognizerRule]
    names: NameRules
    hospitals: HospitalRules
    dates: DateRules

    @model_validator(mode="after")
    def _unique_names(self) -> RecognizerPack:
        seen: set[str] = set()
        for rule in self.recognizers:
            if rule.name in seen:
                raise ValueError(f"recognizer name {rule.name!r} is listed twice")
            seen.add(rule.name)
        return self
