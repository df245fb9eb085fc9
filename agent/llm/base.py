"""The one backend interface every LLM implementation satisfies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

Message = dict[str, str]


@dataclass(frozen=True)
class GenerationParams:
    """Sampling parameters; extraction uses greedy decoding so runs are reproducible."""

    max_tokens: int = 512
    temperature: float = 0.0
    seed: int = 0


@dataclass(frozen=True)
class Completion:
    """One model reply with its cost and origin.

    Attributes:
        text: the raw reply (may be empty or malformed; the structured loop judges it).
        prompt_tokens: tokens of the prompt as counted by the backend.
        completion_tokens: generated tokens.
        backend: the backend that actually answered ("local", "openai_compat"), which
            differs from the configured one after a fallback.
        model: the model name or GGUF file name.
        finish_reason: "stop", "length"... when the backend reports it.
    """

    text: str
    prompt_tokens: int
    completion_tokens: int
    backend: str
    model: str
    finish_reason: str | None = None


@runtime_checkable
class ChatBackend(Protocol):
    """A chat model that can be asked for JSON constrained by a schema."""

    name: str
    model: str

    def generate(self, messages: list[Message], *, json_schema: dict[str, Any] | None = None,
                 params: GenerationParams | None = None) -> Completion:
        """Generate one reply.

        Args:
            messages: chat messages (``role``/``content``).
            json_schema: constrain the reply to JSON matching this schema when given.
            params: sampling parameters (defaults: greedy, 512 tokens).

        Raises:
            BackendUnavailable: the model cannot be reached or loaded.
        """
        ...
