"""Chat about one stored patient, shared by ``POST /v1/chat`` and the OpenAI-compatible
``POST /v1/chat/completions``."""

from __future__ import annotations

from collections.abc import Iterator

from agent import deadline
from agent.api.services import Services, StoreExtractor, load_patient_notes
from agent.chat import iter_answer
from agent.llm.base import ChatBackend
from agent.schemas.chat import ChatAnswer


def chat_events(services: Services, patient_id: str, question: str, *, use_llm: bool,
                backend: ChatBackend, k: int, metrics=None) -> Iterator[tuple[str, object]]:
    """The chat steps for one stored patient (see ``agent.chat.iter_answer``).

    Raises:
        NotFound: no notes are stored for the patient.
    """
    notes = load_patient_notes(services, patient_id)
    steps = iter_answer(question, notes, services.settings, backend=backend,
                        retriever=services.search_retriever(),
                        extractor=StoreExtractor(services), use_llm=use_llm, k=k)
    if deadline.current() is None:
        # Streamed: the steps run in the server's pool threads, one at a time; the whole
        # stream shares one deadline (and one LLM budget), as a request does.
        steps = deadline.iterate_in(deadline.Scope(work=deadline.Deadline(
            services.settings.api.request_timeout_s, "api.request_timeout_s")), steps)
    for kind, payload in steps:
        if kind == "done" and metrics is not None:
            for s in payload.sentences:
                if s.verification is not None:
                    metrics.verdicts.labels(s.verification.verdict).inc()
        yield kind, payload


def answer(services: Services, patient_id: str, question: str, *, use_llm: bool,
           backend: ChatBackend, k: int, metrics=None) -> ChatAnswer:
    """The whole answer (non-streaming).

    Raises:
        NotFound: no notes are stored for the patient.
    """
    result = None
    for kind, payload in chat_events(services, patient_id, question, use_llm=use_llm,
                                     backend=backend, k=k, metrics=metrics):
        if kind == "done":
            result = payload
    return result
