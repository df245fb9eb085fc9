"""Chat about one patient (``agent.chat``, ``POST /v1/chat``): retrieved passages, the answer
sentences with their citations and verification, and the model's structured reply.

Every answer sentence cites note id + character offsets into the original note; its text is
written for the reader ("On 3/16: ... today (3/16)"), so it may differ from the cited span by
the date it adds. Sentences come newest evidence first. A sentence the verifier cannot
support keeps its place and carries the verdict; nothing is dropped.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.schemas.extraction import Provenance
from agent.schemas.summary import Citation, LLMCallRecord
from agent.schemas.verification import Verification

# Bounds that keep a small model from looping (schema maxItems / maxLength).
MAX_ANSWER_SENTENCES = 8
MAX_SENTENCE_CHARS = 400


class Passage(BaseModel):
    """A retrieved passage offered to the answerer; ``passage_id`` is what the model cites."""

    model_config = ConfigDict(extra="forbid")

    passage_id: str = Field(description="'P1', 'P2', ... in rank order")
    note_id: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    section: str | None = None
    note_type: str = "unknown"
    date: str | None = None
    score: float


class AnswerSentence(BaseModel):
    """One sentence of the answer with its evidence and the verifier's verdict."""

    model_config = ConfigDict(extra="forbid")

    text: str
    citations: list[Citation] = Field(default_factory=list)
    passage_ids: list[str] = Field(default_factory=list)
    verification: Verification | None = None
    origin: Literal["extractive", "llm"] = "extractive"
    date: str | None = Field(default=None, description="the date of the note the sentence "
                             "rests on (its newest cited note); None when undated or uncited")
    date_label: str | None = Field(default=None, description="that date as the text shows "
                                   "it, e.g. '3/16' (the text reads 'On 3/16: ...')")


class ChatAnswer(BaseModel):
    """The answer to one question about one patient."""

    model_config = ConfigDict(extra="forbid")

    patient_id: str
    mode: Literal["extractive", "llm"]
    answer: str = Field(description="the sentences joined, for display")
    no_answer: bool = Field(default=False, description="no passage of the notes answers the "
                            "question: the one sentence says 'The notes do not say ...', "
                            "cites nothing and is not a clinical claim (NOT_CHECKABLE)")
    sentences: list[AnswerSentence]
    passages: list[Passage]
    flags: list[str] = Field(default_factory=list, description="run-level warnings, e.g. "
                             "'LLM backend unreachable: extractive answer'")
    llm_calls: list[LLMCallRecord] = Field(default_factory=list)
    provenance: Provenance


# ---- what the model must return (untrusted; validated by the structured loop) ------------

class LLMAnswerSentence(BaseModel):
    """One sentence of the model's answer and the passages it rests on."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_SENTENCE_CHARS)
    passage_ids: list[str] = Field(default_factory=list, max_length=4)


class LLMAnswer(BaseModel):
    """The model's whole answer (response model of ``prompts/chat/answer``)."""

    model_config = ConfigDict(extra="forbid")

    sentences: list[LLMAnswerSentence] = Field(max_length=MAX_ANSWER_SENTENCES)
