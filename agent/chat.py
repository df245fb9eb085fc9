"""Answer a question about one patient from retrieved passages, with citations and
verification (``POST /v1/chat``, ``/v1/chat/completions``).

Steps: retrieve the patient's best passages (hybrid search over the index, or BM25 over the
notes' chunks when no retriever is given) and order them newest note first; score their
sentences against the question's content terms (:mod:`agent.answer_relevance`: headers and
bare labels never answer); when none reaches :data:`MIN_RELEVANCE` the answer is "The notes
do not say ..." (``no_answer``), else answer either with the LLM (prompt ``chat/answer``:
sentences citing passage ids, which code maps to note offsets) or extractively (the most
relevant sentence of each passage, recency breaking near-ties). Sentences come newest
evidence first; each is checked with ``PatientRecord.check`` on its own words, then shown as
"On 3/16: ..." with relative day words resolved (:mod:`agent.answer_phrasing`). Nothing is
dropped: a sentence citing an unknown passage keeps its place with a flag, and an
unsupported sentence carries its verdict.
"""

from __future__ import annotations

import json
import logging
import time
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from agent.answer_phrasing import dated_text, no_answer_text
from agent.answer_relevance import (
    POSSESSIVE,
    TermWeights,
    concept_terms,
    is_label_only,
    question_terms,
    terms,
)
from agent.config import Settings
from agent.errors import BackendUnavailable, ExtractionFailed, InputError
from agent.extract.batch import make_extractor
from agent.llm.factory import make_backend
from agent.nlp.relative_dates import day_label, parse_note_date
from agent.patient import PatientRecord
from agent.rules import rules_for
from agent.schemas.chat import AnswerSentence, ChatAnswer, LLMAnswer, Passage
from agent.schemas.extraction import Entity, NoteExtraction, Provenance
from agent.schemas.layout import NoteLayout
from agent.schemas.notes import Note
from agent.schemas.summary import Citation, LLMCallRecord
from agent.schemas.verification import Verification
from agent.version import package_version

logger = logging.getLogger(__name__)

PRODUCER = "clinagent.agent.chat"
PROMPT = "answer"
EXTRACTIVE_SENTENCES = 4
# A sentence answers when it holds at least this share of the question's content terms,
# weighed by rarity (agent.answer_relevance): half, so "MRI" alone does not answer "MRI of
# the knee" when the notes never say "knee".
MIN_RELEVANCE = 0.5
# Relevance this close to the best candidate's is a tie that recency breaks.
NEAR_TIE = 0.15
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


@dataclass(frozen=True)
class Candidate:
    """A note sentence offered as an answer: its passage, note offsets and relevance."""

    passage: Passage
    start: int
    end: int
    relevance: float
    rank: int


class Relevance:
    """Scores the sentences of retrieved passages against one question (see
    :mod:`agent.answer_relevance`): the question's content terms weighed by their rarity in
    this patient's notes."""

    def __init__(self, question: str, notes: list[Note],
                 layouts: dict[str, NoteLayout], *,
                 question_entities: list[Entity] | None = None,
                 extractions: list[NoteExtraction] | None = None) -> None:
        self.wanted = question_terms(question, concepts={
            e.text: str(e.normalized.get("canonical") or e.text)
            for e in question_entities or []})
        by_id = {n.note_id: n for n in notes}
        # The concepts each note names, by offsets: a sentence holds a concept when one of
        # its entities lies inside it ("Cr 1.3" answers "what is the creatinine").
        self.entities = {x.note_id: sorted((e.start, e.end, str(e.normalized.get(
            "canonical") or e.text)) for e in x.entities) for x in extractions or []}
        self.starts = {nid: [s for s, _, _ in ents] for nid, ents in self.entities.items()}
        # A note's first line is its title ("Cardiology consult note"): it says who wrote
        # every sentence below it, which a question may ask about ("what did cardiology say").
        self.titles = {nid: by_id[nid].text[layout.lines[0].start:layout.lines[0].end]
                       for nid, layout in layouts.items() if nid in by_id and layout.lines}
        spans = [(nid, s.start, s.end) for nid, layout in layouts.items() if nid in by_id
                 for s in layout.sentences]
        self.weights = TermWeights((by_id[nid].text[a:e] for nid, a, e in spans),
                                   [self.concepts(nid, a, e) for nid, a, e in spans])

    def concepts(self, note_id: str, start: int, end: int) -> set[str]:
        """Concept terms of the entities inside ``[start, end)`` of a note (entities are
        sorted by start: only those starting in the span are read, not the whole note's
        for each of its sentences)."""
        ents = self.entities.get(note_id, ())
        starts = self.starts.get(note_id, [])
        lo, hi = bisect_left(starts, start), bisect_left(starts, end)
        return concept_terms(c for _, e, c in ents[lo:hi] if e <= end)

    def best_sentence(self, passage: Passage, layout: NoteLayout) -> tuple[float, int, int]:
        """``(relevance, start, end)`` of the passage's most relevant sentence that states
        something (a header or bare label never answers); ``(0, passage span)`` when none
        does. The first sentence wins ties."""
        best = (0.0, passage.start, passage.end)
        found = False
        for s, e in layout.sentences_in(passage.start, passage.end):
            text = passage.text[s - passage.start:e - passage.start]
            if is_label_only(text):
                continue
            # The sentence's section and note title say what it is about ("Plan",
            # "Cardiology consult"), as its words and label do.
            context = f"{passage.section or ''} {self.titles.get(passage.note_id, '')}"
            score = self.weights.relevance(self.wanted, text, context=context,
                                           concepts=self.concepts(passage.note_id, s, e))
            if not found or score > best[0]:
                best, found = (score, s, e), True
        return best

    def candidates(self, passages: list[Passage], layouts: dict[str, NoteLayout],
                   ) -> list[Candidate]:
        """Each passage's best sentence that reaches :data:`MIN_RELEVANCE`, in passage
        order."""
        out = []
        for rank, p in enumerate(passages):
            score, s, e = self.best_sentence(p, layouts[p.note_id])
            if score >= MIN_RELEVANCE:
                out.append(Candidate(p, s, e, score, rank))
        return out


def _concept_surfaces(asked: list[Entity], extractions: list[NoteExtraction]) -> str:
    """The other ways this patient's notes write the concepts a question names, to add
    to the search query: "creatinine" is written "Cr", "furosemide" "Lasix"; a word
    search for the question's own words misses them."""
    wanted = {str(e.normalized.get("canonical") or e.text).lower() for e in asked}
    said = {e.text.lower() for e in asked}
    extra = dict.fromkeys(
        e.text for x in extractions for e in x.entities
        if str(e.normalized.get("canonical") or e.text).lower() in wanted
        and e.text.lower() not in said)
    return "".join(f" {surface}" for surface in extra)


def by_recency(passages: list[Passage]) -> list[Passage]:
    """Passages newest note first (``sort_notes`` order reversed for dated notes, undated
    last), retrieval rank within a day; renumbered P1..Pk in that order, the order the model
    reads and cites them in."""
    dated = sorted((p for p in passages if p.date), key=lambda p: p.date, reverse=True)
    ordered = dated + [p for p in passages if not p.date]
    return [p.model_copy(update={"passage_id": f"P{i}"}) for i, p in enumerate(ordered, 1)]


def _extractive(candidates: list[Candidate]) -> list[AnswerSentence]:
    """The best candidates, newest first. Relevance picks them: those near the best one
    first (recency breaks the near-ties), then the rest, up to EXTRACTIVE_SENTENCES."""
    top = max(c.relevance for c in candidates)
    # Candidates come in recency order (passages are), so a stable sort keeps it in ties.
    chosen = sorted(candidates, key=lambda c: c.relevance < top - NEAR_TIE)
    out: list[AnswerSentence] = []
    seen: set[tuple[str, int, int]] = set()
    for c in sorted(chosen[:EXTRACTIVE_SENTENCES], key=lambda c: c.rank):
        p = c.passage
        if (p.note_id, c.start, c.end) in seen:
            continue
        seen.add((p.note_id, c.start, c.end))
        out.append(AnswerSentence(text=p.text[c.start - p.start:c.end - p.start],
                                  citations=[Citation(note_id=p.note_id, start=c.start,
                                                      end=c.end)],
                                  passage_ids=[p.passage_id], origin="extractive"))
    return out


def _narrow(passage: Passage, text: str, layout: NoteLayout) -> tuple[int, int]:
    """The passage sentence an LLM sentence rests on (most shared words, headers and bare
    labels excluded); the whole passage when none shares a word."""
    words = terms(text)
    best = (0, passage.start, passage.end)
    for s, e in layout.sentences_in(passage.start, passage.end):
        sentence = passage.text[s - passage.start:e - passage.start]
        if is_label_only(sentence):
            continue
        overlap = len(words & terms(sentence))
        if overlap > best[0]:
            best = (overlap, s, e)
    return best[1], best[2]


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

    prompt = load_prompt("chat", PROMPT)
    # Newest first, each with its note date: the prompt asks for the current state first.
    rendered = "\n".join(
        f"[{p.passage_id}] ({p.date or 'undated'}, {p.note_type}, {p.section or '-'}) "
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
        for pid in item.passage_ids:
            p = by_id.get(pid.strip().strip("[]"))
            if p is None:
                flags.append(f"answer sentence {i} cites unknown passage id {pid[:10]!r}; "
                             "it is kept without that citation")
                continue
            s, e = _narrow(p, item.text, layouts[p.note_id])
            citations.append(Citation(note_id=p.note_id, start=s, end=e))
            ids.append(p.passage_id)
        if not item.passage_ids:
            flags.append(f"answer sentence {i} cites no passage")
        sentences.append(AnswerSentence(text=item.text, citations=citations, passage_ids=ids,
                                        origin="llm"))
    return sentences, record, flags, result.completions[-1].backend


def _newest_first(sentences: list[AnswerSentence], dates: dict[str, str | None],
                  ) -> list[AnswerSentence]:
    """Sentences by the newest note they cite, newest first; undated or uncited ones keep
    their order after the dated (stable sort: the model's order within a day)."""
    def newest(sentence: AnswerSentence) -> str:
        return max((dates.get(c.note_id) or "" for c in sentence.citations), default="")

    return sorted(sentences, key=newest, reverse=True)


def _no_answer(question: str) -> AnswerSentence:
    # Not a statement about the patient: nothing to check against the notes.
    return AnswerSentence(text=no_answer_text(question), origin="extractive",
                          verification=Verification(
                              verdict="NOT_CHECKABLE",
                              detail="not a clinical claim: no passage of the notes answers "
                                     "the question"))


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
    asked = extractor.extract(question)
    # A possessive's "s" would match every "S:" (subjective) label of the notes.
    query = POSSESSIVE.sub("", question) + _concept_surfaces(asked, patient.extractions)
    passages = by_recency(retrieve(query, notes, settings, retriever=retriever,
                                   extractor=extractor, k=k))
    yield "passages", passages
    candidates = Relevance(question, patient.notes, patient.layouts,
                           question_entities=asked,
                           extractions=patient.extractions).candidates(
        passages, patient.layouts)
    flags: list[str] = []
    calls: list[LLMCallRecord] = []
    mode, backend_used, model, prompt_ref = "extractive", "extractive", None, None
    sentences: list[AnswerSentence] | None = None
    if not passages:
        flags.append("no passage of the patient's notes matches the question")
        sentences = []
    elif not candidates:
        # Retrieval always returns its k best; none of them speaks to the question.
        flags.append("no passage of the patient's notes answers the question")
        sentences = []
    elif use_llm:
        # Deferred: jinja2 templates, only in LLM mode.
        from prompts import load_prompt

        prompt_ref = load_prompt("chat", PROMPT).ref
        try:
            if backend is None:
                backend = make_backend(settings.llm)
            sentences, record, more, backend_used = _llm_answer(
                question, passages, patient.layouts, settings, backend)
            calls.append(record.model_copy(update={"scope": patient_id}))
            flags += more
            mode, model = "llm", backend.model
            if not sentences:
                flags.append("the model found no answer in the retrieved passages")
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
        sentences = _extractive(candidates)
    dates = {n.note_id: n.date for n in patient.notes}
    years = [d.year for d in map(parse_note_date, dates.values()) if d is not None]
    reference_year = max(years) if years else None
    no_answer = not sentences
    sentences = [_no_answer(question)] if no_answer else _newest_first(sentences, dates)
    verified = []
    for answer in sentences:
        if answer.verification is None:
            # Checked exactly as a handoff statement (same evidence, same timeline status),
            # on the words of the note or model, before a date is added for the reader.
            answer = answer.model_copy(update={"verification": patient.check(
                answer.text, answer.citations)})
        verified.append(_dated(answer, dates, reference_year))
        yield "sentence", verified[-1]
    bad = [i for i, s in enumerate(verified, start=1)
           if s.verification is not None and s.verification.verdict in ("CONTRADICTED",
                                                                         "UNSUPPORTED")]
    if bad:
        which = (f"sentence {bad[0]} is" if len(bad) == 1
                 else f"sentences {', '.join(map(str, bad))} are")
        flags.append(f"{which} not supported by the notes: see their verification")
    provenance = Provenance(producer=PRODUCER, package_version=package_version(),
                            backend=backend_used, model=model, prompt=prompt_ref)
    yield "done", ChatAnswer(patient_id=patient_id, mode=mode,
                             answer=" ".join(s.text for s in verified), no_answer=no_answer,
                             sentences=verified, passages=passages, flags=flags,
                             llm_calls=calls, provenance=provenance)


def _dated(sentence: AnswerSentence, dates: dict[str, str | None],
           reference_year: int | None) -> AnswerSentence:
    """The sentence with the day of its newest cited note: "On 3/16: ..." and its relative
    day words resolved to that day."""
    cited = [dates.get(c.note_id) for c in sentence.citations]
    day = max((d for d in cited if parse_note_date(d) is not None), default=None)
    if day is None:
        return sentence
    return sentence.model_copy(update={
        "text": dated_text(sentence.text, day, reference_year), "date": day[:10],
        "date_label": day_label(parse_note_date(day), reference_year)})


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
