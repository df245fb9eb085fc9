"""Domain models of the deterministic and LLM extractors.

Every entity and attribute carries character offsets into the ORIGINAL note text
(end exclusive) so that ``note.text[start:end] == text`` always holds.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent.schemas.layout import NoteLayout
from agent.schemas.notes import Note

EntityType = Literal["PROBLEM", "MEDICATION", "TEST", "PROCEDURE", "ALLERGY", "ANATOMY"]
ENTITY_TYPES: tuple[str, ...] = ("PROBLEM", "MEDICATION", "TEST", "PROCEDURE", "ALLERGY", "ANATOMY")

Assertion = Literal["present", "absent", "possible", "hypothetical", "historical", "family"]
ASSERTIONS: tuple[str, ...] = (
    "present", "absent", "possible", "hypothetical", "historical", "family",
)

CodeSystem = Literal[
    "ICD-10-CM", "ICD-10-PCS", "UNII", "DRUGBANK", "MESH", "MEDLINEPLUS", "RXNORM", "LOINC",
]

# Medication attribute names, in the order they usually appear after a drug name.
MEDICATION_ATTRIBUTES: tuple[str, ...] = (
    "strength", "dose", "unit", "form", "route", "frequency", "duration", "prn", "indication",
)


class Span(BaseModel):
    """A piece of the note: offsets plus the exact text they cover."""

    model_config = ConfigDict(extra="forbid")

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.end < self.start:
            raise ValueError(f"span end {self.end} is before start {self.start}")
        return self


class Attribute(Span):
    """An attribute of an entity (dose, route, test value...) found in the text.

    ``value`` is the normalised form, e.g. text "twice a day" -> value "BID",
    text "PO" -> value "oral", text "25mg" -> value "25 mg".
    """

    value: str | None = None


class Code(BaseModel):
    """A vocabulary code candidate for an entity."""

    model_config = ConfigDict(extra="forbid")

    system: CodeSystem
    code: str
    display: str
    score: float = Field(ge=0.0, le=1.0)


class Entity(Span):
    """One clinical entity mention."""

    type: EntityType
    assertion: Assertion = "present"
    section: str | None = None
    attributes: dict[str, Attribute] = Field(default_factory=dict)
    codes: list[Code] = Field(default_factory=list)
    # Non-span facts about the mention (canonical drug name, is_brand, matched vocabulary).
    normalized: dict[str, str | bool | None] = Field(default_factory=dict)


class Provenance(BaseModel):
    """What produced an output: needed to reproduce and audit it."""

    model_config = ConfigDict(extra="forbid")

    producer: str
    package_version: str
    backend: str | None = None
    model: str | None = None
    prompt: str | None = None
    rules_sha256: str | None = None
    vocabularies: dict[str, str] = Field(default_factory=dict)


RelationType = Literal["CAUSES", "TREATS", "LOCATED_AT", "CONTRAINDICATED_BY"]
RELATION_TYPES: tuple[str, ...] = ("CAUSES", "TREATS", "LOCATED_AT", "CONTRAINDICATED_BY")
RelationAssertion = Literal["present", "negated", "speculated"]
Laterality = Literal["left", "right", "bilateral"]


def entity_id(entity: Entity) -> str:
    """The id of an entity inside its note's extraction: ``"<start>-<end>:<TYPE>"``.

    Derived from the offsets (never an index in the list), so it stays the same whatever
    else is added to or dropped from the list; with the note id in front it is the
    entity's FHIR identifier value (``agent.fhir``).
    """
    return f"{entity.start}-{entity.end}:{entity.type}"


class Relation(BaseModel):
    """A relation between two entities of one note (ids from :func:`entity_id`).

    - ``CAUSES``: drug (MEDICATION or ALLERGY) -> adverse effect (PROBLEM);
    - ``TREATS``: drug -> the problem it is given for;
    - ``LOCATED_AT``: problem or procedure -> body site (ANATOMY), with ``laterality``;
    - ``CONTRAINDICATED_BY``: drug -> the condition it is held, stopped or avoided for
      when that condition is not an effect of the drug ("metformin on hold (AKI)").

    ``assertion`` is the relation's own: "no rash on penicillin" is a negated CAUSES,
    "possibly due to vancomycin" a speculated one. ``evidence`` is the clause or sentence
    stating it, ``trigger`` the words that link the two ("due to", "->", "-induced").
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    type: RelationType
    head: str
    tail: str
    assertion: RelationAssertion = "present"
    evidence: Span
    trigger: Span | None = None
    laterality: Laterality | None = None
    # The relation is the reason the drug is stopped, held or avoided ("stopped 2023 for
    # hyponatremia"), not only an effect or an indication the text mentions.
    is_change_reason: bool = False
    # Which pass found it ("rules", or "llm" for the optional grounded LLM pass) and the
    # rule that fired, for audit.
    source: str = "rules"
    rule: str | None = None


class NoteExtraction(BaseModel):
    """Extraction output for one note (one JSON line of ``clinagent extract``)."""

    model_config = ConfigDict(extra="forbid")

    note_id: str
    patient_id: str | None = None
    entities: list[Entity]
    provenance: Provenance
    # Lines with sections, sentences and clauses, computed with the entities (None in
    # records written before layouts existed; the patient preparation fills it in).
    layout: NoteLayout | None = None
    # Relations between the entities above (agent.relations); empty in records written
    # before relations existed.
    relations: list[Relation] = Field(default_factory=list)


@runtime_checkable
class Extractor(Protocol):
    """What the timeline, the verifier, chat and the API need of an entity extractor.

    Implemented by the rules extractor (``agent.nlp.entities.EntityExtractor``), the
    LLM-merged extractor's rules side and the store-cached extractor of the service
    (``agent.api.services.StoreExtractor``). The verifier is handed one: it never builds
    its own.
    """

    def extract(self, text: str) -> list[Entity]:
        """Entities of a text (offsets into it)."""
        ...

    def extract_note(self, note: Note) -> NoteExtraction:
        """The extraction record of a note, layout included."""
        ...

    def layout(self, text: str, entities: list[Entity]) -> NoteLayout:
        """The layout of a text (lines with sections, sentences, clauses)."""
        ...
