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
