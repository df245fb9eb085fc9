"""``POST /v1/chat``: a question about one patient, answered from retrieved passages with
citations and verification; ``stream: true`` (or ``Accept: text/event-stream``) sends
server-sent events as the answer is built."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from agent.api.chat_service import answer, chat_events
from agent.api.deps import AccessDep, BackendDep, ServicesDep
from agent.api.limits import run_cpu
from agent.api.problems import problem_body
from agent.api.services import load_patient_notes
from agent.errors import ClinicalAgentError
from agent.schemas.api import ChatRequest, ChatResponse

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["chat"])


def _sse(event: str, data) -> str:
    if hasattr(data, "model_dump"):
        data = data.model_dump(mode="json")
    elif isinstance(data, list):
        data = [d.model_dump(mode="json") if hasattr(d, "model_dump") else d for d in data]
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def sse_stream(events: Iterator[tuple[str, object]], path: str) -> Iterator[str]:
    """Server-sent events of a chat; a failure becomes an ``error`` event (problem+json)."""
    try:
        for kind, payload in events:
            yield _sse(kind, payload)
    except ClinicalAgentError as e:
        yield _sse("error", problem_body(e, path))
    except Exception as e:  # the stream has started: the status line is already sent
        logger.error("chat stream failed: %s", type(e).__name__)
        yield _sse("error", {"type": "about:blank", "title": "Internal error", "status": 500,
                             "detail": f"unexpected {type(e).__name__}", "instance": path})


@router.post("/chat", response_model=ChatResponse, responses={200: {"content": {
    "text/event-stream": {"schema": {"type": "string", "description":
                                     "events: passages, sentence (repeated), done "
                                     "(with no_answer), error"}}}}})
async def chat(body: ChatRequest, request: Request, access: AccessDep, services: ServicesDep,
               backend: BackendDep):
    """Answer a question about one patient (``chat`` scope on the patient). Every sentence
    cites note offsets and carries the verifier's verdict; with the LLM backend down the
    answer is extractive and flagged.

    Sentences come newest evidence first; each has ``date`` (ISO date of its newest cited
    note) and ``date_label`` ("3/16"), and its ``text`` reads "On 3/16: ..." with relative
    day words resolved ("today (3/16)"); citations point at the note's own span. When no
    passage answers, ``no_answer`` is true and the one sentence says "The notes do not say
    ...", cites nothing and is NOT_CHECKABLE.

    Server-sent events (``stream: true`` or ``Accept: text/event-stream``), in order:

    - ``passages``: list of Passage, newest note first (P1 = newest);
    - ``sentence``: one AnswerSentence per event (text, citations, passage_ids,
      verification, origin, date, date_label), in answer order;
    - ``done``: the whole ChatResponse (``no_answer``, ``answer``, ``sentences``, flags...);
    - ``error``: a problem+json body, sent instead of the rest when the answer fails.
    """
    access.require("chat", body.patient_id)
    use_llm = services.settings.api.chat_use_llm if body.use_llm is None else body.use_llm
    metrics = request.app.state.metrics
    wants_stream = body.stream or "text/event-stream" in request.headers.get("accept", "")
    if wants_stream:
        # Check the patient before the stream starts, so an unknown one is a plain 404.
        await run_cpu(services.settings.api.request_timeout_s, load_patient_notes, services,
                      body.patient_id)
        events = chat_events(services, body.patient_id, body.question, use_llm=use_llm,
                             backend=backend, k=body.k, metrics=metrics)
        return StreamingResponse(sse_stream(events, request.url.path),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})
    result = await run_cpu(services.settings.api.request_timeout_s, lambda: answer(
        services, body.patient_id, body.question, use_llm=use_llm, backend=backend, k=body.k,
        metrics=metrics))
    return ChatResponse.model_validate(result.model_dump())
