"""Backend for any OpenAI-compatible server: vLLM in production, llama.cpp's server in CI.

Structured output goes through ``response_format`` (vLLM >= 0.12 semantics; the removed
``guided_json`` field is never sent); the schema comes from instructor's request in
:mod:`agent.llm.structured`, which calls :meth:`OpenAICompatBackend.generate`. llama.cpp's
server rejects ``json_schema`` and takes ``{"type": "json_object", "schema": ...}``
instead, hence ``json_mode``.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from agent.config import LLMSettings
from agent.errors import BackendUnavailable
from agent.llm.base import ChatBackend, Completion, GenerationParams, Message

logger = logging.getLogger(__name__)


class OpenAICompatBackend:
    """Chat completions against ``base_url`` with bounded retries and concurrency.

    Args:
        base_url: e.g. ``http://127.0.0.1:8000/v1``.
        model: the served model name (never picked from ``/v1/models``).
        api_key: bearer token (vLLM accepts any unless started with ``--api-key``).
        json_mode: ``json_schema`` (vLLM) or ``json_object`` (llama.cpp server).
        timeout_s: per-request timeout.
        http_retries: retries with exponential backoff on connection errors, timeouts,
            408/409/429 and 5xx (the openai client's own policy).
        concurrency: requests in flight from this process (a semaphore).
        fallback: backend asked when the server is unreachable; a WARNING is logged and
            the completion records the fallback's name as its backend.
    """

    name = "openai_compat"

    def __init__(self, base_url: str, model: str, *, api_key: str = "not-needed",
                 json_mode: str = "json_schema", timeout_s: float = 120.0,
                 http_retries: int = 2, concurrency: int = 4,
                 fallback: ChatBackend | None = None) -> None:
        from openai import OpenAI

        self.base_url = base_url
        self.model = model
        self.json_mode = json_mode
        self.fallback = fallback
        self._client = OpenAI(base_url=base_url, api_key=api_key, timeout=timeout_s,
                              max_retries=http_retries)
        self._slots = threading.BoundedSemaphore(concurrency)
        self._timeout_s = timeout_s
        self._http_retries = http_retries

    @classmethod
    def from_settings(cls, settings: LLMSettings, *, fallback: ChatBackend | None = None,
                      ) -> OpenAICompatBackend:
        """Build from ``settings.llm`` (base_url and model are required there)."""
        return cls(settings.base_url or "", settings.model or "",
                   api_key=settings.api_key.get_secret_value(), json_mode=settings.json_mode,
                   timeout_s=settings.timeout_s, http_retries=settings.http_retries,
                   concurrency=settings.concurrency, fallback=fallback)

    def _response_format(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self.json_mode == "json_object":
            return {"type": "json_object", "schema": schema}
        return {"type": "json_schema",
                "json_schema": {"name": schema.get("title", "response"), "schema": schema,
                                "strict": True}}

    def generate(self, messages: list[Message], *, json_schema: dict[str, Any] | None = None,
                 params: GenerationParams | None = None) -> Completion:
        """See :class:`agent.llm.base.ChatBackend`.

        Raises:
            BackendUnavailable: connection refused, timeout or server error after the
                retries, or a request the server rejects (with what to change), and no
                fallback configured.
        """
        import openai

        params = params or GenerationParams()
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages,
                                  "max_tokens": params.max_tokens,
                                  "temperature": params.temperature, "seed": params.seed}
        if json_schema is not None:
            kwargs["response_format"] = self._response_format(json_schema)
        try:
            with self._slots:
                resp = self._client.chat.completions.create(**kwargs)
        except openai.APITimeoutError as e:
            return self._unavailable(
                f"no reply from {self.base_url} within {self._timeout_s:g} s "
                f"({self._http_retries} retries)",
                "Raise llm.timeout_s, lower llm.max_tokens, or check the server load",
                e, messages, json_schema, params)
        except openai.APIConnectionError as e:
            return self._unavailable(
                f"cannot connect to {self.base_url} ({self._http_retries} retries)",
                "Start the server (e.g. `vllm serve MODEL --port 8000`) or fix "
                "llm.base_url; set llm.fallback=local to use the local model instead",
                e, messages, json_schema, params)
        except openai.APIStatusError as e:
            fix = ("Check llm.model against the server's --served-model-name"
                   if e.status_code == 404 else
                   "If this is llama.cpp's server set llm.json_mode=json_object"
                   if e.status_code in (400, 422, 500) and json_schema is not None else
                   "Check the server logs")
            if e.status_code >= 500:
                return self._unavailable(f"{self.base_url} answered HTTP {e.status_code}",
                                         fix, e, messages, json_schema, params)
            raise BackendUnavailable(f"{self.base_url} rejected the request with HTTP "
                                     f"{e.status_code}. {fix}") from e
        choice = resp.choices[0]
        usage = resp.usage
        return Completion(
            text=choice.message.content or "",
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            backend=self.name, model=resp.model or self.model,
            finish_reason=choice.finish_reason,
        )

    def _unavailable(self, problem: str, fix: str, cause: Exception, messages: list[Message],
                     json_schema: dict[str, Any] | None, params: GenerationParams,
                     ) -> Completion:
        if self.fallback is None:
            raise BackendUnavailable(f"LLM server unavailable: {problem}. {fix}") from cause
        logger.warning("LLM server unavailable (%s); falling back to the %s backend",
                       problem, self.fallback.name)
        return self.fallback.generate(messages, json_schema=json_schema, params=params)
