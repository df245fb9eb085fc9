"""Models of the LLM layer: prompt files, what the model must return, and the grounded,
merged output of ``clinagent extract --llm``.

The model's answer (:class:`LLMEntityList`) is untrusted: it carries verbatim quotes, which
code aligns to offsets in the note. An item whose quote cannot be found is kept with
``grounded = False`` and no offsets; it is never dropped and never given invented offsets.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.schemas.extraction import Assertion, Attribute, Code, Provenance

# Bounds that keep a small model from looping: the schema carries them as maxItems /
# maxLength and the grammar-constrained decoder enforces them. A looping model fills every
# slot, so the worst-case reply (~16 x 40 tokens) must fit llm.max_tokens, or it is cut and
# re-asked.
MAX_ENTITIES_PER_CHUNK = 16
MAX_QUOTE_CHARS = 100

LLMEntityType = Literal["PROBLEM", "MEDICATION", "TEST", "PROCEDURE", "ALLERGY"]
MatchMethod = Literal["exact", "normalized", "fuzzy", "none", "rules"]
Origin = Literal["llm", "rules", "both"]


class PromptTemplate(BaseModel):
    """One prompt file ``prompts/<task>/<name>.v<N>.yaml``."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    version: int = Field(ge=1)
    description: str
    inputs: list[str]
    system: str
    user: str


class LLMEntityItem(BaseModel):
    """One entity as the model returns it: a type and a verbatim quote from the text."""

    model_config = ConfigDict(extra="forbid")

    type: LLMEntityType
    quote: str = Field(min_length=1, max_length=MAX_QUOTE_CHARS)


class LLMEntityList(BaseModel):
    """The model's whole answer for one chunk (response model of the structured loop)."""

    model_config = ConfigDict(extra="forbid")

    entities: list[LLMEntityItem] = Field(max_length=MAX_ENTITIES_PER_CHUNK)


class MergedEntity(BaseModel):
    """An entity of the merged LLM + rules output.

    ``start``/``end``/``text`` are offsets into the original note and the text they cover;
    they are None exactly when ``grounded`` is False. ``quote`` is what the model said
    (None for rules-only items).
    """

    model_config = ConfigDict(extra="forbid")

    type: str
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)
    text: str | None = None
    grounded: bool
    match: MatchMethod
    match_score: float = Field(ge=0.0, le=100.0)
    provenance: Origin
    quote: str | None = None
    assertion: Assertion | None = None
    section: str | None = None
    attributes: dict[str, Attribute] = Field(default_factory=dict)
    codes: list[Code] = Field(default_factory=list)
    chunk: str | None = Field(default=None, description="'start-end' of the chunk asked")


class ChunkFailure(BaseModel):
    """A chunk whose extraction failed after all re-asks (reported, never skipped)."""

    model_config = ConfigDict(extra="forbid")

    start: int
    end: int
    section: str | None = None
    attempts: int
    error: str


class LLMRun(BaseModel):
    """What the LLM side of one note cost and who produced it."""

    model_config = ConfigDict(extra="forbid")

    backend_used: str
    model: str
    prompt: str = Field(description="prompt id@version")
    prompt_sha256: str
    structured_output: str | None = Field(
        default=None, description="what validated and re-asked the replies, e.g. "
        "'instructor 1.17.0 json_schema_mode'")
    prompt_tokens: int = 0
    completion_tokens: int = 0
    chunks: int = 0
    attempts: int = 0
    seconds: float = 0.0


class NoteLLMExtraction(BaseModel):
    """One JSON line of ``clinagent extract --llm``."""

    model_config = ConfigDict(extra="forbid")

    note_id: str
    patient_id: str | None = None
    entities: list[MergedEntity]
    failed_chunks: list[ChunkFailure] = Field(default_factory=list)
    llm: LLMRun
    provenance: Provenance
