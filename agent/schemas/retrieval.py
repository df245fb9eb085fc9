"""Retrieval models: chunks of notes, search hits, search filters and the index manifest.

Every chunk and hit points into the ORIGINAL note text by ``note_id`` plus ``start``/``end``
character offsets (end exclusive), so evidence can be cited without copying quotes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

IndexType = Literal["flat", "hnsw"]
SearchMode = Literal["hybrid", "dense", "lexical"]


class Chunk(BaseModel):
    """A passage of one note: whole sentences (or whole list items) of one section.

    ``chunk_id`` is ``f"{note_id}:{start}-{end}"``, so re-chunking the same text gives the
    same ids.
    """

    model_config = ConfigDict(extra="forbid")

    chunk_id: str
    note_id: str
    patient_id: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    section: str | None = None
    note_type: str = "unknown"
    date: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Chunk:
        if self.end <= self.start:
            raise ValueError(f"chunk end {self.end} is not after start {self.start}")
        if self.chunk_id != f"{self.note_id}:{self.start}-{self.end}":
            raise ValueError("chunk_id must be note_id:start-end")
        return self


class SearchFilters(BaseModel):
    """Optional restrictions applied before ranking (the patient is always required)."""

    model_config = ConfigDict(extra="forbid")

    note_types: list[str] | None = None
    sections: list[str] | None = None
    date_from: str | None = Field(default=None, description="ISO date, inclusive")
    date_to: str | None = Field(default=None, description="ISO date, inclusive")


class SearchHit(BaseModel):
    """One ranked passage. ``score`` is the score of the requested mode (RRF for hybrid)."""

    model_config = ConfigDict(extra="forbid")

    rank: int = Field(ge=1)
    chunk_id: str
    note_id: str
    patient_id: str
    start: int
    end: int
    text: str
    section: str | None = None
    note_type: str = "unknown"
    date: str | None = None
    score: float
    dense_score: float | None = None
    lexical_score: float | None = None
    dense_rank: int | None = None
    lexical_rank: int | None = None


class NoteEntry(BaseModel):
    """What the manifest records about one indexed note."""

    model_config = ConfigDict(extra="forbid")

    patient_id: str
    text_sha256: str
    chunks: int = Field(ge=0)


class IndexManifest(BaseModel):
    """``manifest.json`` of an index directory.

    Loading an index whose embedder, dimension or chunker differs from the configured ones
    is an error (never a silent re-embed).
    """

    model_config = ConfigDict(extra="forbid")

    format_version: int = 1
    embedder_id: str
    dimension: int = Field(gt=0)
    chunker_version: str
    index_type: IndexType
    hnsw_threshold: int = Field(gt=0)
    rows: int = Field(ge=0, description="vectors stored, including deleted ones")
    deleted_rows: int = Field(ge=0)
    chunk_count: int = Field(ge=0)
    note_count: int = Field(ge=0)
    patient_count: int = Field(ge=0)
    notes: dict[str, NoteEntry] = Field(default_factory=dict)
    updated_at: str
