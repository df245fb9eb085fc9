"""LLM entity extraction (``clinagent extract --llm``), grounded and merged with the rules.

Per section chunk the model returns entities with verbatim quotes; each quote is aligned to
offsets in the note (:mod:`agent.extract.grounding`). Grounded items take assertion, attributes and
codes from an overlapping deterministic entity; then LLM and rule entities are merged and
every item says where it came from (``llm``, ``rules`` or ``both``). Nothing is dropped:
ungrounded quotes stay with ``grounded: false`` and failed chunks are listed.
"""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from agent.errors import ConfigError, ExtractionFailed, InputError, PromptTooLong
from agent.extract.grounding import align_quote
from agent.indexing import note_layout
from agent.llm.base import ChatBackend, Completion, GenerationParams
from agent.llm.structured import generate_structured, prompt_schema, structured_output_ref
from agent.schemas.extraction import Entity
from agent.schemas.llm import ChunkFailure, LLMEntityList, LLMRun, MergedEntity, NoteLLMExtraction
from agent.schemas.notes import Note
from prompts import load_prompt
from retrieval.chunking import chunk_note

logger = logging.getLogger(__name__)

PRODUCER = "clinagent.agent.llm_extract"


# Consecutive section chunks are merged up to this size (and never past the context-derived
# chunk_chars): one call per ~25 lines instead of one per section. The bound is the answer's
# capacity: the demo gold holds ~26 mentions per 1,000 characters and a reply carries at
# most MAX_ENTITIES_PER_CHUNK items, so larger chunks would cap recall for a capable model.
MERGE_CHARS = 1000
MIN_CHUNK_CHARS = 50


@dataclass
class _Span:
    start: int
    end: int
    section: str | None
    # Every section the chunk covers, in order (several once small sections are merged).
    sections: tuple[str | None, ...] = ()

    def __post_init__(self) -> None:
        if not self.sections:
            self.sections = (self.section,)

    @property
    def label(self) -> str:
        """The section name(s) shown to the model and in failures."""
        return ", ".join(s or "UNKNOWN" for s in self.sections)


@dataclass
class _ChunkResult:
    span: _Span
    items: list[MergedEntity] = field(default_factory=list)
    failure: ChunkFailure | None = None
    completions: list[Completion] = field(default_factory=list)
    tokens: tuple[int, int] = (0, 0)


def split_span(text: str, span: _Span, max_chars: int, note_id: str) -> list[_Span]:
    """Cut a span longer than ``max_chars`` at line breaks, else spaces, never mid-word.

    Raises:
        InputError: a stretch longer than ``max_chars`` has no whitespace to cut at (the
            note cannot be made to fit the model's context without truncating it).
    """
    out: list[_Span] = []
    start = span.start
    while span.end - start > max_chars:
        lo, hi = start + max_chars // 2, start + max_chars
        cut = text.rfind("\n", lo, hi)
        if cut == -1:
            cut = text.rfind(" ", lo, hi)
        if cut == -1:
            raise InputError(note_id, f"characters {start}-{span.end} hold no line break or "
                             f"space within {max_chars} characters, the most that fits the "
                             "model context; the note is not truncated",
                             fix="Raise llm.n_ctx (and use a model with a longer context)")
        out.append(_Span(start, cut, span.section, span.sections))
        start = cut + 1
    out.append(_Span(start, span.end, span.section, span.sections))
    return [s for s in out if text[s.start:s.end].strip()]


def merge_spans(spans: list[_Span], max_chars: int) -> list[_Span]:
    """Merge consecutive chunks while the merged chunk stays within ``max_chars``.

    Chunks are whole sections or whole-sentence pieces of one section, so a merged chunk
    is cut only at section (or sentence) boundaries. A merged chunk's ``section`` is the
    common section, or None when it spans several (``sections`` lists them).
    """
    out: list[_Span] = []
    for span in spans:
        prev = out[-1] if out else None
        if prev is not None and span.start >= prev.end and span.end - prev.start <= max_chars:
            sections = prev.sections + tuple(s for s in span.sections
                                             if s not in prev.sections)
            out[-1] = _Span(prev.start, span.end,
                            prev.section if len(sections) == 1 else None, sections)
        else:
            out.append(span)
    return out


class LLMExtractor:
    """Asks a backend per chunk and merges its grounded answer with the rule extractor.

    Args:
        backend: any :class:`~agent.llm.base.ChatBackend`.
        rules: the deterministic ``agent.nlp.entities.EntityExtractor`` (also gives the
            clinical pipeline used for sections and sentences).
        chunk_chars: the largest chunk that fits the model context (a hard limit).
        merge_chars: consecutive small sections are merged into chunks up to this size
            (capped by ``chunk_chars``).
        max_retries: re-asks per chunk after an invalid reply.
        max_tokens: reply budget per chunk.
        concurrency: chunks in flight (useful against a server; the local model runs one
            at a time anyway).
    """

    def __init__(self, backend: ChatBackend, rules, *, chunk_chars: int = 3000,
                 merge_chars: int = MERGE_CHARS, max_retries: int = 2, max_tokens: int = 384,
                 concurrency: int = 1) -> None:
        self.backend = backend
        self.rules = rules
        self.chunk_chars = chunk_chars
        if merge_chars < MIN_CHUNK_CHARS or chunk_chars < MIN_CHUNK_CHARS:
            raise ConfigError("llm chunk size", f"chunks of {min(merge_chars, chunk_chars)} "
                              "characters are too small to hold a sentence",
                              f"Use at least {MIN_CHUNK_CHARS} (raise llm.n_ctx)")
        self.merge_chars = min(merge_chars, chunk_chars)
        self.structured = structured_output_ref()
        self.max_retries = max_retries
        self.params = GenerationParams(max_tokens=max_tokens)
        self.concurrency = concurrency
        self.prompt = load_prompt("extraction", "entities")
        self._schema = json.dumps(prompt_schema(LLMEntityList), separators=(",", ":"))

    def chunks(self, note: Note) -> list[_Span]:
        """Section- and sentence-aware chunks that fit the context (offsets into the note):
        long sections are cut at sentences, small consecutive ones merged.

        Raises:
            InputError: a part of the note cannot be split to fit.
        """
        sections, sentences = note_layout(note.text, self.rules.pipeline)
        spans: list[_Span] = []
        for c in chunk_note(note, sections, sentences, max_chars=self.merge_chars):
            spans.extend(split_span(note.text, _Span(c.start, c.end, c.section),
                                    self.chunk_chars, note.note_id))
        return merge_spans(spans, self.merge_chars)

    def _ask(self, note: Note, span: _Span) -> list[_ChunkResult]:
        chunk_text = note.text[span.start:span.end]
        messages = self.prompt.render(section=span.label, text=chunk_text,
                                      schema=self._schema)
        try:
            result = generate_structured(self.backend, messages, LLMEntityList,
                                         max_retries=self.max_retries, params=self.params)
        except PromptTooLong as e:
            # The char-based chunk size was not conservative enough for this text:
            # halve the chunk (never truncate it).
            half = max(1, (span.end - span.start) // 2)
            if half < 50:
                raise InputError(note.note_id, f"characters {span.start}-{span.end} do not "
                                 f"fit the model context ({e.n_ctx} tokens) even when split",
                                 fix="Raise llm.n_ctx or lower llm.max_tokens") from e
            logger.info("note %s chunk %d-%d over context; splitting", note.note_id,
                        span.start, span.end)
            out = []
            for sub in split_span(note.text, span, half, note.note_id):
                out.extend(self._ask(note, sub))
            return out
        except ExtractionFailed as e:
            failure = ChunkFailure(start=span.start, end=span.end, section=span.label,
                                   attempts=e.attempts, error=e.last_error)
            return [_ChunkResult(span, failure=failure,
                                 tokens=(e.prompt_tokens, e.completion_tokens))]
        items = [_ground(item.type, item.quote, note.text, span)
                 for item in result.value.entities]
        return [_ChunkResult(span, items=items, completions=result.completions)]

    def _assert_llm_only(self, note: Note, entities: list[MergedEntity],
                         ) -> list[MergedEntity]:
        """Give grounded LLM items that no rule entity overlaps the assertion and section
        the rules would give that span (same ConText cues and section rules)."""
        # agent.nlp.assertion loads the spaCy/medspaCy pipeline (ConText) at import time.
        from agent.nlp.assertion import assert_spans

        todo = [i for i, e in enumerate(entities)
                if e.grounded and e.assertion is None and e.start is not None]
        if not todo:
            return entities
        found = assert_spans(self.rules.pipeline, note.text,
                             [(entities[i].start, entities[i].end, entities[i].type)
                              for i in todo], self.rules.rules.roles)
        out = list(entities)
        for i, (assertion, section) in zip(todo, found, strict=True):
            out[i] = entities[i].model_copy(update={
                "assertion": assertion, "section": section or entities[i].section})
        return out

    def extract_note(self, note: Note) -> NoteLLMExtraction:
        """Extract one note with the LLM and merge with the rule extractor.

        Raises:
            InputError: the note cannot be chunked to fit the context.
            BackendUnavailable: the backend is down and no fallback is configured.
        """
        started = time.perf_counter()
        rules_entities = self.rules.extract(note.text)
        spans = self.chunks(note)
        if self.concurrency > 1 and len(spans) > 1:
            with ThreadPoolExecutor(min(self.concurrency, len(spans))) as pool:
                batches = list(pool.map(lambda s: self._ask(note, s), spans))
        else:
            batches = [self._ask(note, s) for s in spans]
        results = [r for batch in batches for r in batch]
        completions = [c for r in results for c in r.completions]
        llm_items = _dedupe([i for r in results for i in r.items])
        entities = self._assert_llm_only(note, merge(llm_items, rules_entities))
        backend_used = ",".join(sorted({c.backend for c in completions})) or self.backend.name
        model = ",".join(sorted({c.model for c in completions})) or self.backend.model
        run = LLMRun(
            backend_used=backend_used, model=model, prompt=self.prompt.ref,
            prompt_sha256=self.prompt.sha256, structured_output=self.structured,
            prompt_tokens=sum(c.prompt_tokens for c in completions)
            + sum(r.tokens[0] for r in results),
            completion_tokens=sum(c.completion_tokens for c in completions)
            + sum(r.tokens[1] for r in results),
            chunks=len(results),
            attempts=len(completions) + sum(r.failure.attempts for r in results if r.failure),
            seconds=round(time.perf_counter() - started, 3),
        )
        provenance = self.rules.provenance.model_copy(update={
            "producer": PRODUCER, "backend": backend_used, "model": model,
            "prompt": f"{self.prompt.ref} sha256:{self.prompt.sha256}"})
        return NoteLLMExtraction(
            note_id=note.note_id, patient_id=note.patient_id, entities=entities,
            failed_chunks=[r.failure for r in results if r.failure], llm=run,
            provenance=provenance)


def _ground(etype: str, quote: str, text: str, span: _Span) -> MergedEntity:
    chunk = f"{span.start}-{span.end}"
    found = align_quote(quote, text[span.start:span.end])
    if found is None:
        return MergedEntity(type=etype, grounded=False, match="none", match_score=0.0,
                            provenance="llm", quote=quote, section=span.section, chunk=chunk)
    start, end = span.start + found.start, span.start + found.end
    return MergedEntity(type=etype, start=start, end=end, text=text[start:end], grounded=True,
                        match=found.method, match_score=found.score, provenance="llm",
                        quote=quote, section=span.section, chunk=chunk)


def _dedupe(items: list[MergedEntity]) -> list[MergedEntity]:
    """Small models repeat themselves: one item per (type, span) or (type, quote)."""
    seen: set[tuple] = set()
    out = []
    for item in items:
        key = ((item.type, item.start, item.end) if item.grounded
               else (item.type, (item.quote or "").lower(), item.chunk))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _overlap(a_start: int, a_end: int, b: Entity) -> int:
    return max(0, min(a_end, b.end) - max(a_start, b.start))


def merge(llm_items: list[MergedEntity], rules: list[Entity]) -> list[MergedEntity]:
    """Merge grounded LLM items with rule entities.

    An LLM item overlapping a rule entity of the same type is an agreement (``both``) and
    takes the rule entity's assertion, attributes and codes; one overlapping only another
    type stays ``llm`` but still takes the assertion and attributes of the largest overlap.
    Rule entities no LLM item agreed with are kept as ``rules``. Ungrounded LLM items are
    kept as they are.

    Returns:
        Grounded entities in offset order, then the ungrounded ones in answer order.
    """
    agreed: set[int] = set()
    out: list[MergedEntity] = []
    for item in llm_items:
        if not item.grounded or item.start is None or item.end is None:
            out.append(item)
            continue
        overlaps = sorted(((_overlap(item.start, item.end, r), i) for i, r in enumerate(rules)
                           if _overlap(item.start, item.end, r) > 0), reverse=True)
        same = [i for _, i in overlaps if rules[i].type == item.type]
        best = same[0] if same else (overlaps[0][1] if overlaps else None)
        if best is None:
            out.append(item)
            continue
        ref = rules[best]
        update = {"assertion": ref.assertion, "attributes": ref.attributes,
                  "section": ref.section or item.section}
        if same:
            agreed.add(best)
            update |= {"provenance": "both", "codes": ref.codes}
        out.append(item.model_copy(update=update))
    for i, ent in enumerate(rules):
        if i not in agreed:
            out.append(MergedEntity(
                type=ent.type, start=ent.start, end=ent.end, text=ent.text, grounded=True,
                match="rules", match_score=100.0, provenance="rules", assertion=ent.assertion,
                section=ent.section, attributes=ent.attributes, codes=ent.codes))
    grounded = sorted((e for e in out if e.grounded), key=lambda e: (e.start, e.end, e.type))
    return grounded + [e for e in out if not e.grounded]
