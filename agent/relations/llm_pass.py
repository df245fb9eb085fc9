"""The optional LLM pass over a note's relations, through the grounded structured-output
path (``agent.llm.structured``, prompt ``prompts/extraction/relations.v1.yaml``).

One call per sentence that names a drug and a problem (or a problem or procedure and a
body site): the model sees the sentence and the entities the rules found in it and links
them by quoting the entities. A quote is grounded to the one entity of the sentence with
that text (case and spacing aside); a relation whose quote matches no entity, or an
entity of the wrong type, is dropped and counted. Relations both passes found keep the
rules' one with ``source`` ``rules+llm``; relations only the model found get ``source``
``llm`` and ``rule`` the prompt's ``id@version``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from agent.errors import ExtractionFailed
from agent.llm.base import ChatBackend, GenerationParams
from agent.llm.structured import generate_structured, prompt_schema
from agent.schemas.extraction import Entity, NoteExtraction, Relation, Span, entity_id
from agent.schemas.relation_llm import LLMRelationList
from prompts import load_prompt

logger = logging.getLogger(__name__)

_HEADS = {"CAUSES": ("MEDICATION", "ALLERGY"), "TREATS": ("MEDICATION",),
          "CONTRAINDICATED_BY": ("MEDICATION",), "LOCATED_AT": ("PROBLEM", "PROCEDURE")}
_TAILS = {"CAUSES": ("PROBLEM",), "TREATS": ("PROBLEM",), "CONTRAINDICATED_BY": ("PROBLEM",),
          "LOCATED_AT": ("ANATOMY",)}


@dataclass
class LLMRelationRun:
    """The model's relations of one note, grounded, and what could not be used."""

    relations: list[Relation] = field(default_factory=list)
    ungrounded: int = 0
    failed_sentences: list[tuple[int, int]] = field(default_factory=list)
    prompt: str = ""


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def llm_relations(backend: ChatBackend, text: str, extraction: NoteExtraction, *,
                  max_retries: int = 2, max_tokens: int = 256) -> LLMRelationRun:
    """Ask the model for the relations of every sentence holding a candidate pair.

    Args:
        backend: any chat backend.
        text: the note text.
        extraction: the note's rule extraction (entities and layout).
        max_retries: re-asks per sentence after an invalid reply.
        max_tokens: reply budget per sentence.

    Returns:
        Grounded relations (ids ``llm1``...), the number of relations dropped for quotes
        matching no entity, and the sentences whose replies never validated.
    """
    prompt = load_prompt("extraction", "relations")
    schema = json.dumps(prompt_schema(LLMRelationList), separators=(",", ":"))
    run = LLMRelationRun(prompt=f"{prompt.ref}:{prompt.sha256[:12]}")
    layout = extraction.layout
    sentences = [(s.start, s.end) for s in layout.sentences] if layout else [(0, len(text))]
    for a, z in sentences:
        here = [e for e in extraction.entities if a <= e.start and e.end <= z]
        types = {e.type for e in here}
        if not ((types & {"MEDICATION", "ALLERGY"} and "PROBLEM" in types)
                or (types & {"PROBLEM", "PROCEDURE"} and "ANATOMY" in types)):
            continue
        listed = "\n".join(f"- {e.type}: {e.text}" for e in here)
        messages = prompt.render(text=text[a:z], entities=listed, schema=schema)
        try:
            reply = generate_structured(backend, messages, LLMRelationList,
                                        max_retries=max_retries,
                                        params=GenerationParams(max_tokens=max_tokens))
        except ExtractionFailed:
            # The rules' relations stand; the sentence is reported, never guessed at.
            run.failed_sentences.append((a, z))
            continue
        for item in reply.value.relations:
            head = _ground(item.head, here, _HEADS[item.type])
            tail = _ground(item.tail, here, _TAILS[item.type])
            if head is None or tail is None or head is tail:
                run.ungrounded += 1
                continue
            run.relations.append(Relation(
                id=f"llm{len(run.relations) + 1}", type=item.type, head=entity_id(head),
                tail=entity_id(tail), assertion=item.assertion,
                evidence=Span(start=a, end=z, text=text[a:z]), source="llm",
                rule=run.prompt))
    logger.info("llm relations: %d grounded, %d ungrounded, %d failed sentences",
                len(run.relations), run.ungrounded, len(run.failed_sentences))
    return run


def _ground(quote: str, entities: list[Entity], types: tuple[str, ...]) -> Entity | None:
    """The one entity of the sentence the quote names (None when none or several do)."""
    found = [e for e in entities if e.type in types and _key(e.text) == _key(quote)]
    return found[0] if len(found) == 1 else None


def merge_relations(rules: list[Relation], llm: list[Relation]) -> list[Relation]:
    """The rules' relations plus the model's new ones, each saying where it came from.

    Returns:
        Relations in evidence order with ids ``r1``...; a pair of the same type both
        passes found is the rules' relation with ``source`` ``rules+llm``.
    """
    at = {(r.type, r.head, r.tail): i for i, r in enumerate(rules)}
    merged = list(rules)
    for r in llm:
        key = (r.type, r.head, r.tail)
        if key in at:
            merged[at[key]] = merged[at[key]].model_copy(update={"source": "rules+llm"})
        else:
            at[key] = len(merged)
            merged.append(r)
    merged.sort(key=lambda r: (r.evidence.start, r.head, r.tail))
    return [r.model_copy(update={"id": f"r{i}"}) for i, r in enumerate(merged, start=1)]
