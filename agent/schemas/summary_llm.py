"""What the LLM must return at each level of the hierarchical handoff summary.

The model never writes offsets: it cites the ids of the passages and facts it was shown
("p3", "f2"), and code maps them to note spans. A statement whose ids are all unknown keeps
its place with empty citations, so the verifier flags it (nothing is dropped).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agent.schemas.summary import HandoffSection

# Bounds that keep a small model from looping (carried into the schema as maxItems and
# maxLength, enforced by grammar-constrained decoding where the backend supports it).
MAX_LLM_STATEMENTS = 8
MAX_LLM_STATEMENT_CHARS = 300
MAX_LLM_CITES = 6


class LLMStatement(BaseModel):
    """One statement as the model returns it."""

    model_config = ConfigDict(extra="forbid")

    section: HandoffSection
    text: str = Field(min_length=1, max_length=MAX_LLM_STATEMENT_CHARS)
    cites: list[str] = Field(default_factory=list, max_length=MAX_LLM_CITES,
                             description="ids of the passages/facts the statement rests on")


class LLMStatementList(BaseModel):
    """The model's whole answer for one call (response model of the structured loop)."""

    model_config = ConfigDict(extra="forbid")

    statements: list[LLMStatement] = Field(max_length=MAX_LLM_STATEMENTS)
