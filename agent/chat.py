"""Answer a question about one patient from retrieved passages, with citations and
verification (``POST /v1/chat``, ``/v1/chat/completions``).

Steps: retrieve the patient's best passages (hybrid search over the index, or BM25 over the
notes' chunks when no retriever is given); answer either with the LLM (prompt
``chat/answer``: sentences citing passage ids, which code maps to note offsets) or
extractively (the best sentence of each top passage); then check every sentence with
``verifiers.crosscheck.check_statement``. Nothing is dropped: a sentence citing an unknown
passage keeps its place with a flag, and an unsupported sentence carries its verdict.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

from agent.config import Settings
from agent.errors import BackendUnavailable, ExtractionFailed, InputError
from agent.extract.batch import make_extractor
from agent.llm.factory import make_backend
from agent.patient import PatientRecord
from agent.rules import rules_for
from agent.schemas.chat import AnswerSentence, ChatAnswer, LLMAnswer, Passage
from agent.schemas.extraction import NoteExtraction, Provenance
from agent.schemas.layout import NoteLayout
from agent.schemas.notes import Note
from agent.schemas.summary import Citation, LLMCallRecord
from agent.version import package_version
from retrieval.lexical import tokenize

logger = logging.getLogger(__name__)

PRODUCER = "clinagent.agent.chat"
EXTRACTIVE_SENTENCES = 3
ChatEvent = tuple[str, Any]
"""``("passages", list[Passage])``, ``("sentence", AnswerSentence)``, ``("done", ChatAnswer)``."""


def retrieve(question: str, notes: list[Note], settings: Settings, *, retriever=None,
             extractor=None, k: int = 5) -> list[Passage]:
    """The patient's ``k`` best passages for the question, numbered P1..Pk.

    Args:
        question: the question.
        notes: the patient's notes (one patient).
        settings: settings (retrieval chunk size).
        retriever: a ``retrieval.retriever.Retriever`` whose index holds these notes;
            None ranks the notes' chunks with BM25 (no embedder needed).
        extractor: an extractor whose clinical pipeline lays out sections (when no
            retriever is given).
        k: number of passages.
    """
    patient_id = notes[0].patient_id
    note_ids = {n.note_id for n in notes}
    if retriever is not None:
        hits = [h for h in retriever.search(question, patient_id=patient_id, k=k)
                if h.note_id in note_ids]
        return [Passage(passage_id=f"P{i}", note_id=h.note_id, start=h.start, end=h.end,
                        text=h.text, section=h.section, note_type=h.note_type, date=h.date,
                        score=h.score) for i, h in enumerate(hits, start=1)]
    # Deferred: faiss and the embedder stack, only when chat ranks without a retriever.
    from agent.indexing import chunk_notes

    # Deferred: bm25s, only when ranking without a retriever.
    from retrieval.lexical import LexicalScorer

    pipeline = getattr(extractor, "pipeline", None)
    chunks = [c for cs in chunk_notes(notes, settings.retrieval, pipeline).values() for c in cs]
    if not chunks:
        return []
    scores = LexicalScorer([c.text for c in chunks]).scores(question)
    order = sorted((i for i in range(len(chunks)) if scores[i] > 0),
                   key=lambda i: (-float(scores[i]), i))[:k]
    return [Passage(passage_id=f"P{rank}", note_id=chunks[i].note_id, start=chunks[i].start,
                    end=chunks[i].end, text=chunks[i].text, section=chunks[i].section,
                    note_type=chunks[i].note_type, date=chunks[i].date,
                    score=round(float(scores[i]), 6))
            for rank, i in enumerate(order, start=1)]


def _overlap(a: set[str], text: str) -> int:
    return len(a & set(tokenize(text)))


def best_sentence(passage: Passage, words: set[str], layout: NoteLayout,
                  ) -> tuple[int, int, int]:
    """``(overlap, start, end)`` of the passage sentence sharing most words (note offsets;
    the first sentence on ties). Sentences are the note's layout sentences, the ones the
    handoff cites."""
    best = (-1, passage.start, passage.end)
    for s, e in layout.sentences_in(passage.start, passage.end):
        score = _overlap(words, passage.text[s - passage.start:e - passage.start])
        if score > best[0]:
            best = (score, s, e)
    return best


def _extractive(question: str, passages: list[Passage],
                layouts: dict[str, NoteLayout]) -> list[AnswerSentence]:
    words = set(tokenize(question))
    out: list[AnswerSentence] = []
    seen: set[tuple[str, int, int]] = set()
    best = [(p, *best_sentence(p, words, layouts[p.note_id]))
            for p in passages[:EXTRACTIVE_SENTENCES]]
    # A sentence sharing no word with the question (a header, a signature) is only used
    # when no passage has a better one: dense retrieval may rank such passages high.
    if any(overlap > 0 for _, overlap, _, _ in best):
        best = [b for b in best if b[1] > 0]
    else:
        best = best[:1]
    for p, _, s, e in best:
        if (p.note_id, s, e) in seen:
            continue
        seen.add((p.note_id, s, e))
        out.append(AnswerSentence(text=p.text[s - p.start:e - p.start],
                                  citations=[Citation(note_id=p.note_id, start=s, end=e)],
                                  passage_ids=[p.passage_id], origin="extractive"))
    return out


def _llm_answer(question: str, passages: list[Passage], layouts: dict[str, NoteLayout],
                settings: Settings, backend,
                ) -> tuple[list[AnswerSentence], LLMCallRecord, list[str], str]:
    """Ask the model; map its passage ids to citations. Returns sentences, the call
    record, flags and the backend that answered."""
    # Deferred: imported with its heavier neighbours (instructor), only on this path.
    from agent.llm.base import GenerationParams

    # Deferred: instructor, only in LLM mode.
    from agent.llm.structured import generate_structured, prompt_schema

    # Deferred: jinja2 templates, only in LLM mode.
    from prompts import load_prompt

    # Deferred: bm25s, only when ranking without a retriever.
    from retrieval.lexical import tokenize

    prompt = load_prompt("chat", "answer")
    rendered = "\n".join(
        f"[{p.passage_id}] ({p.note_type}, {p.date or 'undated'}, {p.section or '-'}) "
        f"{p.text}" for p in passages)
    messages = prompt.render(question=question, passages=rendered,
                             schema=json.dumps(prompt_schema(LLMAnswer)))
    t0 = time.perf_counter()
    result = generate_structured(backend, messages, LLMAnswer,
                                 max_retries=settings.llm.max_retries,
                                 params=GenerationParams(max_tokens=settings.llm.max_tokens))
    record = LLMCallRecord(
        level="chat", scope="",
        prompt=prompt.ref, attempts=result.attempts,
        prompt_tokens=sum(c.prompt_tokens for c in result.completions),
        completion_tokens=sum(c.completion_tokens for c in result.completions),
        seconds=round(time.perf_counter() - t0, 3))
    by_id = {p.passage_id: p for p in passages}
    flags: list[str] = []
    sentences = []
    for i, item in enumerate(result.value.sentences, start=1):
        citations, ids = [], []
        words = set(tokenize(item.text))
        for pid in item.passage_ids:
            p = by_id.get(pid.strip().strip("[]"))
            if p is None:
                flags.append(f"answer sentence {i} cites unknown passage id {pid[:10]!r}; "
                             "it is kept without that citation")
                continue
            overlap, s, e = best_sentence(p, words, layouts[p.note_id])
            # Narrow the citation to the sentence the answer rests on when one clearly
            # matches; else the whole passage is the evidence.
            if overlap <= 0:
                s, e = p.start, p.end
            citations.append(Citation(note_id=p.note_id, start=s, end=e))
            ids.append(p.passage_id)
        if not item.passage_ids:
            flags.append(f"answer sentence {i} cites no passage")
        sentences.append(AnswerSentence(text=item.text, citations=citations, passage_ids=ids,
                                        origin="llm"))
    if not sentences:
        flags.append("the model found no answer in the retrieved passages")
    return sentences, record, flags, result.completions[-1].backend


def iter_answer(question: str, notes: list[Note], settings: Settings, *, backend=None,
                retriever=None, extractor=None, use_llm: bool = False, k: int = 5,
                extractions: dict[str, NoteExtraction] | None = None,
                ) -> Iterator[ChatEvent]:
    """:func:`answer_question` step by step, for streaming: the passages first, then each
    verified sentence, then the whole answer (see :data:`ChatEvent`)."""
    if not notes:
        raise InputError("chat", "no notes of the patient were given",
                         fix="Ingest the patient's notes first (POST /v1/notes)")
    patient_id = notes[0].patient_id
    if any(n.patient_id != patient_id for n in notes):
        raise InputError("chat", "the notes belong to several patients",
                         fix="Pass the notes of one patient")
    if extractor is None:
        extractor = make_extractor(settings)
    # The verifier weighs the cited spans against everything the patient's notes say:
    # the same preparation (order, layouts, timeline) as the handoff.
    patient = PatientRecord.prepare(notes, extractor, rules_for(settings),
                                    extractions=list((extractions or {}).values()))
    passages = retrieve(question, notes, settings, retriever=retriever, extractor=extractor,
                        k=k)
    yield "passages", passages
    flags: list[str] = []
    calls: list[LLMCallRecord] = []
    mode, backend_used, model, prompt_ref = "extractive", "extractive", None, None
    sentences: list[AnswerSentence] | None = None
    if not passages:
        flags.append("no passage of the patient's notes matches the question")
        sentences = []
    elif use_llm:
        # Deferred: jinja2 templates, only in LLM mode.
        from prompts import load_prompt

        prompt_ref = load_prompt("chat", "answer").ref
        try:
            if backend is None:
                backend = make_backend(settings.llm)
            sentences, record, more, backend_used = _llm_answer(question, passages, patient.layouts,
                                                                settings,
                                                                backend)
            calls.append(record.model_copy(update={"scope": patient_id}))
            flags += more
            mode, model = "llm", backend.model
        except BackendUnavailable as e:
            logger.warning("chat: LLM backend unavailable; extractive answer")
            flags.append("LLM backend unreachable: extractive answer")
            calls.append(LLMCallRecord(level="chat", scope=patient_id, prompt=prompt_ref,
                                       attempts=0, error=type(e).__name__))
        except ExtractionFailed as e:
            flags.append(f"LLM reply invalid after {e.attempts} attempt(s): extractive answer")
            calls.append(LLMCallRecord(level="chat", scope=patient_id, prompt=prompt_ref,
                                       attempts=e.attempts, prompt_tokens=e.prompt_tokens,
                                       completion_tokens=e.completion_tokens,
                                       error=e.last_error[:300]))
    if sentences is None:
        sentences = _extractive(question, passages, patient.layouts)
    verified = []
    for answer in sentences:
        # Checked exactly as a handoff statement: same evidence, same timeline status.
        sentence = answer.model_copy(update={"verification": patient.check(
            answer.text, answer.citations)})
        verified.append(sentence)
        yield "sentence", sentence
    bad = [i for i, s in enumerate(verified, start=1)
           if s.verification is not None and s.verification.verdict in ("CONTRADICTED",
                                                                         "UNSUPPORTED")]
    if bad:
        flags.append(f"sentence(s) {', '.join(map(str, bad))} not supported by the notes: "
                     "see their verification")
    provenance = Provenance(producer=PRODUCER, package_version=package_version(),
                            backend=backend_used, model=model, prompt=prompt_ref)
    yield "done", ChatAnswer(patient_id=patient_id, mode=mode,
                             answer=" ".join(s.text for s in verified), sentences=verified,
                             passages=passages, flags=flags, llm_calls=calls,
                             provenance=provenance)


def answer_question(question: str, notes: list[Note], settings: Settings, *, backend=None,
                    retriever=None, extractor=None, use_llm: bool | None = None, k: int = 5,
                    extractions: dict[str, NoteExtraction] | None = None) -> ChatAnswer:
    """Answer a question about one patient with cited, verified sentences.

    Args:
        question: the question (never logged: it may hold PHI).
        notes: all notes of one patient.
        settings: settings (``llm`` for the backend, ``retrieval`` for chunking).
        backend: an LLM backend; with ``use_llm`` and no backend one is made from
            ``settings.llm``. A backend that is down gives the extractive answer with a flag.
        retriever: a ``Retriever`` over an index holding these notes (None: BM25 over the
            notes' chunks).
        extractor: the deterministic extractor (for verification; default from settings).
        use_llm: answer with the LLM (default: True when a backend is given).
        k: passages to retrieve.
        extractions: known extractions by note id (others are computed).

    Returns:
        The answer; every sentence cites note offsets and carries its verification.

    Raises:
        InputError: no notes, or notes of several patients.
    """
    if use_llm is None:
        use_llm = backend is not None
    answer = None
    for kind, payload in iter_answer(question, notes, settings, backend=backend,
                                     retriever=retriever, extractor=extractor, use_llm=use_llm,
                                     k=k, extractions=extractions):
        if kind == "done":
            answer = payload
    return answer
