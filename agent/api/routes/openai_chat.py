"""OpenAI-compatible ``POST /v1/chat/completions`` and ``GET /v1/models``, so existing chat
clients (openai SDK, Open WebUI...) can ask about a patient: the model name
``clinagent:<patient_id>`` selects the patient (or ``api.chat_model`` fixes one). The
reply's text carries numbered sources; the ``clinagent`` field has the full cited, verified
answer."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from agent.api.chat_service import answer, chat_events
from agent.api.deps import AccessDep, BackendDep, ServicesDep
from agent.api.limits import run_cpu
from agent.api.problems import problem_body
from agent.api.services import load_patient_notes
from agent.errors import ClinicalAgentError, InputError, NotFound
from agent.schemas.api import (
    ChatCompletionChoice,
    ChatCompletionMessage,
    ChatCompletionRequest,
    ChatCompletionResponse,
    ModelCard,
    ModelList,
)
from agent.schemas.chat import AnswerSentence, ChatAnswer
from agent.store import repository as repo

router = APIRouter(prefix="/v1", tags=["openai"])

MODEL_PREFIX = "clinagent:"


def patient_of(model: str, fixed: str | None) -> str:
    """The patient a model name selects.

    Raises:
        NotFound: the name does not follow ``clinagent:<patient_id>``.
    """
    if fixed:
        return fixed
    if model.startswith(MODEL_PREFIX) and len(model) > len(MODEL_PREFIX):
        return model[len(MODEL_PREFIX):]
    # The name is not echoed: a client may have put a patient id or MRN in it.
    raise NotFound("the model is not served; use 'clinagent:<patient_id>' "
                   "(GET /v1/models lists the patients of your key)")


def question_of(body: ChatCompletionRequest) -> str:
    """The last user message's text.

    Raises:
        InputError: no user message with text.
    """
    for message in reversed(body.messages):
        if message.role != "user" or message.content is None:
            continue
        if isinstance(message.content, str):
            text = message.content
        else:
            text = " ".join(str(p.get("text", "")) for p in message.content
                            if p.get("type") == "text")
        if text.strip():
            return text.strip()[:2000]
    raise InputError("request", "no user message with text", field="messages",
                     fix="Send the question as the last message with role 'user'")


def _markers(sentence: AnswerSentence, numbers: dict[tuple[str, int, int], int]) -> str:
    refs = []
    for c in sentence.citations:
        key = (c.note_id, c.start, c.end)
        numbers.setdefault(key, len(numbers) + 1)
        refs.append(f"[{numbers[key]}]")
    verdict = sentence.verification.verdict if sentence.verification else "NOT_CHECKED"
    flag = "" if verdict == "SUPPORTED" else f" ({verdict.lower().replace('_', ' ')})"
    return sentence.text + (" " + "".join(refs) if refs else "") + flag


def _sources(numbers: dict[tuple[str, int, int], int]) -> str:
    if not numbers:
        return ""
    lines = [f"[{n}] {nid} chars {s}-{e}" for (nid, s, e), n in numbers.items()]
    return "\n\nSources:\n" + "\n".join(lines)


def render_text(result: ChatAnswer) -> str:
    """The answer as one text with citation markers, verdict flags and a source list."""
    numbers: dict[tuple[str, int, int], int] = {}
    body = " ".join(_markers(s, numbers) for s in result.sentences)
    if not body:
        body = "The notes do not answer this question."
    notes = "".join(f"\n\nNote: {f}" for f in result.flags)
    return body + _sources(numbers) + notes


def _chunk(cid: str, model: str, created: int, delta: dict, finish: str | None = None) -> str:
    data = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def _stream(events: Iterator, cid: str, model: str, path: str) -> Iterator[str]:
    created = int(time.time())
    numbers: dict[tuple[str, int, int], int] = {}
    yield _chunk(cid, model, created, {"role": "assistant", "content": ""})
    try:
        first = True
        for kind, payload in events:
            if kind == "sentence":
                text = ("" if first else " ") + _markers(payload, numbers)
                first = False
                yield _chunk(cid, model, created, {"content": text})
            elif kind == "done":
                tail = _sources(numbers) + "".join(f"\n\nNote: {f}" for f in payload.flags)
                if first:
                    tail = "The notes do not answer this question." + tail
                yield _chunk(cid, model, created, {"content": tail})
    except ClinicalAgentError as e:
        yield f"data: {json.dumps({'error': problem_body(e, path)})}\n\n"
    yield _chunk(cid, model, created, {}, "stop")
    yield "data: [DONE]\n\n"


@router.post("/chat/completions", response_model=ChatCompletionResponse)
async def chat_completions(body: ChatCompletionRequest, request: Request, access: AccessDep,
                           services: ServicesDep, backend: BackendDep):
    """OpenAI-style chat about the patient named by ``model`` (``chat`` scope)."""
    patient_id = patient_of(body.model, services.settings.api.chat_model)
    access.require("chat", patient_id)
    question = question_of(body)
    use_llm = services.settings.api.chat_use_llm
    metrics = request.app.state.metrics
    cid = "chatcmpl-" + uuid.uuid4().hex[:24]
    timeout = services.settings.api.request_timeout_s
    if body.stream:
        await run_cpu(timeout, load_patient_notes, services, patient_id)
        events = chat_events(services, patient_id, question, use_llm=use_llm,
                             backend=backend, k=5, metrics=metrics)
        return StreamingResponse(_stream(events, cid, body.model, request.url.path),
                                 media_type="text/event-stream")
    result = await run_cpu(timeout, lambda: answer(services, patient_id, question,
                                                   use_llm=use_llm, backend=backend, k=5,
                                                   metrics=metrics))
    prompt_tokens = sum(c.prompt_tokens for c in result.llm_calls)
    completion_tokens = sum(c.completion_tokens for c in result.llm_calls)
    return ChatCompletionResponse(
        id=cid, created=int(time.time()), model=body.model,
        choices=[ChatCompletionChoice(message=ChatCompletionMessage(
            content=render_text(result)))],
        usage={"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
               "total_tokens": prompt_tokens + completion_tokens},
        clinagent=result)


@router.get("/models", response_model=ModelList)
def models(access: AccessDep, services: ServicesDep) -> ModelList:
    """One model per patient the key may chat about."""
    access.require("chat")
    if services.settings.api.chat_model:
        return ModelList(data=[ModelCard(id=MODEL_PREFIX + services.settings.api.chat_model)])
    with services.sessions() as session:
        rows = repo.patients(session, access.principal.patient_filter())
    return ModelList(data=[ModelCard(id=MODEL_PREFIX + p) for p, *_ in rows])
