"""The only validate-and-reask loop: structured output through ``instructor`` for every
backend.

instructor (``instructor.patch(create=..., mode=Mode.JSON_SCHEMA)``) owns the loop: it turns
the pydantic response model into the request's ``response_format``, validates each reply
with the model, appends its re-ask message (the reply plus the validation errors) and stops
after ``max_retries`` re-asks with ``InstructorRetryException``. What instructor calls is not
an OpenAI client but :class:`_BackendCompletions`, which hands the request to any
:class:`~agent.llm.base.ChatBackend` (vLLM or llama.cpp server, the in-process GGUF, the
tests' ``FakeBackend``) and wraps the reply as an OpenAI ``ChatCompletion``.

Why not ``instructor.from_openai(OpenAI(...))`` for the server backend: the backend's own
transport policy (bounded HTTP retries, the concurrency semaphore, ``llm.fallback`` with
``backend_used``, errors that name the URL and the fix) would be bypassed, and the local
backend would need a second loop. Why always ``Mode.JSON_SCHEMA`` at instructor's level:
it carries the schema without rewriting the prompt; each backend then sends it in the form
its server accepts (``json_schema`` to vLLM, ``json_object`` + schema to llama.cpp's server,
a grammar in-process). instructor's ``Mode.JSON`` would instead add its own prose to the
system prompt and send ``json_object`` without the schema, i.e. unconstrained decoding.

Kept on top of instructor, in the adapter: re-asks sample (greedy decoding repeats a failed
reply word for word) with a per-attempt seed; a reply cut at ``max_tokens`` is re-asked like
any invalid one (instructor would stop at once on ``finish_reason == "length"``, but a small
model looping to the limit usually ends the loop when sampled); token accounting per
completion, including the fallback backend's name.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from agent.errors import ExtractionFailed
from agent.llm.base import ChatBackend, Completion, GenerationParams, Message

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

REASK_TEMPERATURE = 0.5
# instructor logs each failed attempt with the pydantic error text, which includes the
# reply's values (a reply may quote the note, i.e. PHI). Its logger is silenced below
# CRITICAL; this module logs every attempt itself, with field paths only.
_INSTRUCTOR_LOGGERS = ("instructor", "instructor.v2.retry")


def structured_output_ref() -> str:
    """What validated and re-asked the replies, recorded in every LLM output."""
    import instructor

    return f"instructor {instructor.__version__} {instructor.Mode.JSON_SCHEMA.value}"


@dataclass
class StructuredResult(Generic[T]):
    """A validated answer plus every completion it took (for token accounting)."""

    value: T
    completions: list[Completion] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        """How many replies were needed (1 = valid on the first try)."""
        return len(self.completions)


def prompt_schema(model: type[BaseModel]) -> dict:
    """The JSON schema of ``model`` without titles and descriptions, for injection into a
    prompt: small models copy docstrings into their answers."""

    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items()
                    if k not in ("title", "description") or isinstance(v, dict)}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return strip(model.model_json_schema())


def describe_validation_error(err: Exception) -> str:
    """Field paths and messages of a validation error, never the offending values (the
    reply may quote the note, which may hold PHI)."""
    if not isinstance(err, ValidationError):
        return type(err).__name__
    parts = []
    for item in err.errors(include_input=False, include_url=False)[:8]:
        loc = ".".join(str(x) for x in item["loc"]) or "(root)"
        parts.append(f"{loc}: {item['msg']}")
    return "; ".join(parts)


class _BackendCompletions:
    """The ``create`` function instructor drives, over one ChatBackend, for one request.

    Records every completion; picks the sampling parameters of each attempt.
    """

    def __init__(self, backend: ChatBackend, params: GenerationParams) -> None:
        self.backend = backend
        self.params = params
        self.completions: list[Completion] = []
        self.last_error = "no attempt made"

    def create(self, *, messages: list[Message], response_format: dict | None = None,
               **_: Any):
        from openai.types.chat import ChatCompletion

        attempt = len(self.completions) + 1
        params = self.params if attempt == 1 else replace(
            self.params, temperature=max(self.params.temperature, REASK_TEMPERATURE),
            seed=self.params.seed + attempt)
        schema = None
        if response_format is not None:
            schema = response_format.get("json_schema", {}).get("schema")
        # instructor extends its messages list in place on re-ask: send a snapshot.
        completion = self.backend.generate([dict(m) for m in messages], json_schema=schema,
                                           params=params)
        self.completions.append(completion)
        return ChatCompletion.model_validate({
            "id": f"clinagent-{attempt}", "object": "chat.completion", "created": 0,
            "model": completion.model,
            "choices": [{"index": 0,
                         # See the module docstring: a cut reply is re-asked, not fatal.
                         "finish_reason": "stop",
                         "message": {"role": "assistant", "content": completion.text}}],
            "usage": {"prompt_tokens": completion.prompt_tokens,
                      "completion_tokens": completion.completion_tokens,
                      "total_tokens": completion.prompt_tokens + completion.completion_tokens},
        })

    def on_parse_error(self, error: Exception, **meta: Any) -> None:
        """instructor hook: one invalid reply (logged without values)."""
        completion = self.completions[-1]
        if not completion.text.strip():
            self.last_error = "the reply was empty"
        else:
            self.last_error = describe_validation_error(error)
        if completion.finish_reason == "length":
            self.last_error += " (the reply was cut at max_tokens)"
        logger.info("attempt %s of %s invalid (%s, model %s): %s",
                    meta.get("attempt_number"), meta.get("max_attempts"), completion.backend,
                    completion.model, self.last_error)


def generate_structured(backend: ChatBackend, messages: list[Message],
                        response_model: type[T], *, max_retries: int = 2,
                        params: GenerationParams | None = None) -> StructuredResult[T]:
    """Ask for JSON matching ``response_model``, re-asking on invalid replies (instructor).

    Empty output, malformed JSON, wrong types and schema violations (e.g. too many items)
    are all treated alike: instructor appends the reply and its validation errors to the
    conversation and asks again, at most ``max_retries`` more times.

    Args:
        backend: any :class:`~agent.llm.base.ChatBackend`.
        messages: the rendered prompt.
        response_model: pydantic model the reply must validate against.
        max_retries: re-asks after the first reply.
        params: sampling parameters.

    Returns:
        The validated value (an instance of ``response_model``) and the completions it took.

    Raises:
        ExtractionFailed: no valid reply after ``max_retries + 1`` attempts.
        BackendUnavailable: from the backend (not retried here: the backend has its own
            bounded transport retries).
        PromptTooLong: from the local backend, for the caller to split the input.
    """
    import instructor
    from instructor.core import InstructorRetryException
    from instructor.core.hooks import Hooks

    for name in _INSTRUCTOR_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    session = _BackendCompletions(backend, params or GenerationParams())
    hooks = Hooks()
    hooks.on("parse:error", session.on_parse_error)
    create = instructor.patch(create=session.create, mode=instructor.Mode.JSON_SCHEMA)
    try:
        value = create(response_model=response_model, messages=list(messages),
                       max_retries=max_retries, hooks=hooks, model=backend.model)
    except InstructorRetryException as e:
        cause = e.__cause__
        if not isinstance(cause, (ValidationError, json.JSONDecodeError)):
            # A backend error (server down, prompt too long...) is not a bad reply:
            # instructor wraps it, the caller needs it as raised.
            if cause is None:
                raise
            raise cause from cause.__cause__
        completions = session.completions
        raise ExtractionFailed(
            attempts=len(completions), last_error=session.last_error,
            prompt_tokens=sum(c.prompt_tokens for c in completions),
            completion_tokens=sum(c.completion_tokens for c in completions)) from None
    # instructor returns an instance of a subclass it derives from response_model (its
    # ResponseSchema mixin); callers compare and serialise the plain model.
    return StructuredResult(response_model.model_validate(value.model_dump()),
                            session.completions)
