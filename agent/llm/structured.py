"""The only validate-and-reask loop: ask any backend for JSON, validate it with a pydantic
response model, and re-ask with the validation errors a bounded number of times."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from agent.errors import ExtractionFailed
from agent.llm.base import ChatBackend, Completion, GenerationParams, Message

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

REASK_TEMPERATURE = 0.5


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


def describe_validation_error(err: ValidationError) -> str:
    """Field paths and messages of a validation error, never the offending values (the
    reply may quote the note, which may hold PHI)."""
    parts = []
    for item in err.errors(include_input=False, include_url=False)[:8]:
        loc = ".".join(str(x) for x in item["loc"]) or "(root)"
        parts.append(f"{loc}: {item['msg']}")
    return "; ".join(parts)


def generate_structured(backend: ChatBackend, messages: list[Message],
                        response_model: type[T], *, max_retries: int = 2,
                        params: GenerationParams | None = None) -> StructuredResult[T]:
    """Ask for JSON matching ``response_model``, re-asking on invalid replies.

    Empty output, malformed JSON, wrong types and schema violations (e.g. too many items)
    are all treated alike: the errors are appended to the conversation and the model asked
    again, at most ``max_retries`` more times.

    Args:
        backend: any :class:`~agent.llm.base.ChatBackend`.
        messages: the rendered prompt.
        response_model: pydantic model the reply must validate against.
        max_retries: re-asks after the first reply.
        params: sampling parameters.

    Returns:
        The validated value and the completions it took.

    Raises:
        ExtractionFailed: no valid reply after ``max_retries + 1`` attempts.
        BackendUnavailable: from the backend (not retried here: the backend has its own
            bounded transport retries).
    """
    from prompts import load_prompt

    reask = load_prompt("structured", "reask")
    schema = response_model.model_json_schema()
    history = list(messages)
    completions: list[Completion] = []
    last_error = "no attempt made"
    params = params or GenerationParams()
    for attempt in range(1, max_retries + 2):
        # Greedy decoding repeats a failed reply word for word (small models loop until
        # max_tokens): re-asks sample, with a fixed per-attempt seed so runs reproduce.
        attempt_params = params if attempt == 1 else replace(
            params, temperature=max(params.temperature, REASK_TEMPERATURE),
            seed=params.seed + attempt)
        completion = backend.generate(history, json_schema=schema, params=attempt_params)
        completions.append(completion)
        if not completion.text.strip():
            last_error = "the reply was empty"
        else:
            try:
                value = response_model.model_validate_json(completion.text)
            except ValidationError as e:
                last_error = describe_validation_error(e)
            else:
                return StructuredResult(value, completions)
        if completion.finish_reason == "length":
            last_error += " (the reply was cut at max_tokens)"
        logger.info("attempt %d of %d invalid (%s, model %s): %s", attempt, max_retries + 1,
                    completion.backend, completion.model, last_error)
        history += [{"role": "assistant", "content": completion.text},
                    *reask.render(error=last_error)]
    raise ExtractionFailed(attempts=len(completions), last_error=last_error,
                           prompt_tokens=sum(c.prompt_tokens for c in completions),
                           completion_tokens=sum(c.completion_tokens for c in completions))
