"""What the relation pass of the LLM must return (untrusted; validated by the structured
loop, ``agent.llm.structured``), one sentence at a time."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agent.schemas.extraction import RelationAssertion, RelationType

# One sentence rarely states more; the bound keeps a runaway reply from flooding the note.
MAX_RELATIONS_PER_SENTENCE = 12


class LLMRelationItem(BaseModel):
    """One relation as the model writes it: head and tail are quotes of listed entities."""

    model_config = ConfigDict(extra="forbid")

    type: RelationType
    head: str = Field(min_length=1, max_length=200)
    tail: str = Field(min_length=1, max_length=200)
    assertion: RelationAssertion = "present"


class LLMRelationList(BaseModel):
    """The model's whole answer for one sentence."""

    model_config = ConfigDict(extra="forbid")

    relations: list[LLMRelationItem] = Field(max_length=MAX_RELATIONS_PER_SENTENCE)
