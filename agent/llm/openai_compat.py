"""Backend for any OpenAI-compatible server: vLLM in production, llama.cpp's server in CI.

Structured output goes through ``response_format`` (vLLM >= 0.12 semantics; the removed
``guided_json`` field is never sent); the schema comes from instructor's request in
:mod:`agent.llm.structured`, which calls :meth:`OpenAICompatBackend.generate`. llama.cpp's
server rejects ``json_schema`` and takes ``{"type": "json_object", "schema": ...}``
instead, hence ``json_mode``.

Waiting is bounded three ways. A server that accepts connections and never answers is
found within ``connect_timeout_s``: before an attempt, unless it answered recently, the
server must answer ``GET /models`` (any status) that fast; a busy server still does,
since generation does not block its HTTP front end. One attempt waits at most
``timeout_s`` for the whole reply. All attempts of a CLI command, an API request or a job
share one deadline, ``deadline_s`` (``llm.deadline_s``), retries and backoff included;
after it the fallback answers, or :class:`~agent.errors.BackendUnavailable` is raised.
While waiting, a progress line (the server URL and seconds, never note text) is logged
every ``progress_s`` to ``agent.llm.progress``, which the CLI prints on stderr.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from agent import deadline
from agent.config import LLMSettings
from agent.errors import BackendUnavailable
from agent.llm.base import ChatBackend, Completion, GenerationParams, Message

logger = logging.getLogger(__name__)
progress_logger = logging.getLogger("agent.llm.progress")

# A server that answered this recently is not probed again before an attempt.
_PROBE_FRESH_S = 30.0
# Statuses worth another attempt (the openai client's own retry policy).
_RETRY_STATUS = {408, 409, 429}


class _Failure(Exception):
    """One attempt failed in a way another attempt (or the fallback) may fix."""

    def __init__(self, problem: str, fix: str, is_retryable: bool = True) -> None:
        self.problem = problem
        self.fix = fix
        self.is_retryable = is_retryable
        super().__init__(problem)


class OpenAICompatBackend:
    """Chat completions against ``base_url`` with bounded retries, waits and concurrency.

    Args:
        base_url: e.g. ``http://127.0.0.1:8000/v1``.
        model: the served model name (never picked from ``/v1/models``).
        api_key: bearer token (vLLM accepts any unless started with ``--api-key``).
        json_mode: ``json_schema`` (vLLM) or ``json_object`` (llama.cpp server).
        timeout_s: read timeout of one attempt (the server sends the reply when done).
        connect_timeout_s: connect timeout, and how long the ``GET /models`` probe waits.
        deadline_s: overall wait of all calls made under one deadline: one
            :class:`agent.deadline.Scope` (an API request, a job), or, outside any scope
            and with ``is_per_instance``, this object's lifetime (one CLI command).
            None: attempts are bounded by ``timeout_s`` and the scope only.
        is_per_instance: whether calls outside any scope share a deadline started at the
            first call (the CLI builds one backend per command); False for a backend
            shared by the service's requests.
        progress_s: seconds between progress lines while waiting.
        http_retries: more attempts after connection errors, timeouts, 408/409/429 and 5xx,
            with exponential backoff, within the deadline.
        concurrency: requests in flight from this process (a semaphore).
        fallback: backend asked when the server is unreachable or the deadline passed; a
            WARNING is logged and the completion records the fallback's name as its backend.
    """

    name = "openai_compat"

    def __init__(self, base_url: str, model: str, *, api_key: str = "not-needed",
                 json_mode: str = "json_schema", timeout_s: float = 120.0,
                 connect_timeout_s: float = 3.0, deadline_s: float | None = None,
                 is_per_instance: bool = True, progress_s: float = 5.0,
                 http_retries: int = 2, concurrency: int = 4,
                 fallback: ChatBackend | None = None) -> None:
        import httpx
        from openai import OpenAI, Timeout

        self.base_url = base_url
        self.model = model
        self.json_mode = json_mode
        self.fallback = fallback
        self._client = OpenAI(base_url=base_url, api_key=api_key, max_retries=0,
                              timeout=Timeout(timeout_s, connect=connect_timeout_s))
        self._probe = httpx.Client(headers={"Authorization": f"Bearer {api_key}"})
        self._slots = threading.BoundedSemaphore(concurrency)
        self._timeout_s = timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._deadline_s = deadline_s
        self._is_per_instance = is_per_instance
        self._own_deadline: deadline.Deadline | None = None
        self._progress_s = progress_s
        self._http_retries = http_retries
        self._answered_at = float("-inf")

    @classmethod
    def from_settings(cls, settings: LLMSettings, *, fallback: ChatBackend | None = None,
                      is_per_instance: bool = True) -> OpenAICompatBackend:
        """Build from ``settings.llm`` (base_url and model are required there)."""
        return cls(settings.base_url or "", settings.model or "",
                   api_key=settings.api_key.get_secret_value(), json_mode=settings.json_mode,
                   timeout_s=settings.timeout_s, connect_timeout_s=settings.connect_timeout_s,
                   deadline_s=settings.deadline_s, is_per_instance=is_per_instance,
                   progress_s=settings.progress_s, http_retries=settings.http_retries,
                   concurrency=settings.concurrency, fallback=fallback)

    def _response_format(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self.json_mode == "json_object":
            return {"type": "json_object", "schema": schema}
        return {"type": "json_schema",
                "json_schema": {"name": schema.get("title", "response"), "schema": schema,
                                "strict": True}}

    def _budget(self) -> deadline.Deadline | None:
        """The tightest deadline of this call: the scope's LLM and work deadlines, or this
        object's own outside any scope."""
        scope = deadline.current()
        if scope is None:
            if self._deadline_s is not None and self._is_per_instance \
                    and self._own_deadline is None:
                self._own_deadline = deadline.Deadline(self._deadline_s, "llm.deadline_s")
            candidates = [self._own_deadline]
        else:
            if self._deadline_s is not None and scope.llm is None:
                scope.llm = deadline.Deadline(self._deadline_s, "llm.deadline_s")
            candidates = [scope.llm, scope.work]
        live = [d for d in candidates if d is not None]
        return min(live, key=lambda d: d.remaining()) if live else None

    def generate(self, messages: list[Message], *, json_schema: dict[str, Any] | None = None,
                 params: GenerationParams | None = None) -> Completion:
        """See :class:`agent.llm.base.ChatBackend`.

        Raises:
            BackendUnavailable: the server is silent, unreachable, failing or past the
                deadline after the retries, or rejects the request (with what to change),
                and no fallback is configured.
        """
        params = params or GenerationParams()
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages,
                                  "max_tokens": params.max_tokens,
                                  "temperature": params.temperature, "seed": params.seed}
        if json_schema is not None:
            kwargs["response_format"] = self._response_format(json_schema)
        budget = self._budget()
        failure = None
        for attempt in range(self._http_retries + 1):
            if budget is not None and budget.remaining() <= 0:
                failure = self._past_deadline(budget, failure)
                break
            try:
                return self._attempt(kwargs, budget)
            except _Failure as f:
                failure = f
            if not failure.is_retryable or attempt == self._http_retries:
                break
            pause = min(0.5 * 2 ** attempt, 8.0)
            if budget is not None:
                pause = min(pause, budget.remaining())
            time.sleep(pause)
        if failure.is_retryable and self._http_retries:
            failure.problem += f" ({self._http_retries} retries)"
        return self._unavailable(failure, messages, json_schema, params)

    def _past_deadline(self, budget: deadline.Deadline, last: _Failure | None) -> _Failure:
        before = f"; last attempt: {last.problem}" if last is not None else ""
        return _Failure(f"no reply from {self.base_url} within the deadline of "
                        f"{budget.seconds:g} s ({budget.setting}){before}",
                        f"Raise {budget.setting}, lower llm.max_tokens, or check the server "
                        "load", is_retryable=False)

    def _attempt(self, kwargs: dict[str, Any], budget: deadline.Deadline | None) -> Completion:
        import openai

        left = budget.remaining() if budget is not None else float("inf")
        connect = max(0.01, min(self._connect_timeout_s, self._timeout_s, left))
        if time.monotonic() - self._answered_at > _PROBE_FRESH_S:
            self._check_alive(connect)
        read = max(0.01, min(self._timeout_s, left))
        if not self._slots.acquire(timeout=left if budget is not None else None):
            raise _Failure(f"all LLM request slots of this process stayed busy until the "
                           f"deadline ({budget.setting})", "Raise llm.concurrency",
                           is_retryable=False)
        try:
            with self._waiting(budget):
                resp = self._client.chat.completions.create(
                    **kwargs, timeout=openai.Timeout(read, connect=connect))
        except openai.APITimeoutError as e:
            raise _Failure(f"no reply from {self.base_url} within {read:g} s",
                           "Raise llm.timeout_s, lower llm.max_tokens, or check the server "
                           "load") from e
        except openai.APIConnectionError as e:
            raise self._connect_failure() from e
        except openai.APIStatusError as e:
            self._answered_at = time.monotonic()
            raise self._status_failure(e, "response_format" in kwargs) from e
        finally:
            self._slots.release()
        self._answered_at = time.monotonic()
        choice = resp.choices[0]
        usage = resp.usage
        return Completion(
            text=choice.message.content or "",
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            backend=self.name, model=resp.model or self.model,
            finish_reason=choice.finish_reason,
        )

    def _check_alive(self, timeout_s: float) -> None:
        """Any HTTP answer to ``GET /models`` within ``timeout_s`` (even 401 or 404)."""
        import httpx

        try:
            with self._waiting(None):
                self._probe.get(self.base_url.rstrip("/") + "/models", timeout=timeout_s)
        except httpx.TimeoutException as e:
            raise _Failure(f"no reply from {self.base_url} within {timeout_s:g} s (the "
                           "server accepts connections but does not answer GET /models)",
                           "Restart the LLM server, or set llm.fallback=local to use the "
                           "local model meanwhile", is_retryable=False) from e
        except httpx.HTTPError as e:
            raise self._connect_failure() from e
        self._answered_at = time.monotonic()

    def _connect_failure(self) -> _Failure:
        return _Failure(f"cannot connect to {self.base_url}",
                        "Start the server (e.g. `vllm serve MODEL --port 8000`) or fix "
                        "llm.base_url; set llm.fallback=local to use the local model instead")

    def _status_failure(self, e, has_schema: bool) -> _Failure:
        fix = ("Check llm.model against the server's --served-model-name"
               if e.status_code == 404 else
               "If this is llama.cpp's server set llm.json_mode=json_object"
               if e.status_code in (400, 422, 500) and has_schema else
               "Check the server logs")
        if e.status_code >= 500 or e.status_code in _RETRY_STATUS:
            return _Failure(f"{self.base_url} answered HTTP {e.status_code}", fix)
        raise BackendUnavailable(f"{self.base_url} rejected the request with HTTP "
                                 f"{e.status_code}. {fix}") from e

    @contextmanager
    def _waiting(self, budget: deadline.Deadline | None) -> Iterator[None]:
        """Log a progress line every ``progress_s`` until the body returns."""
        done = threading.Event()
        started = time.monotonic()

        def report() -> None:
            while not done.wait(self._progress_s):
                left = (f"; {budget.remaining():.0f} s left of {budget.setting}"
                        if budget is not None else "")
                progress_logger.info("waiting for the LLM server %s: %.0f s%s",
                                     self.base_url, time.monotonic() - started, left)

        ticker = threading.Thread(target=report, name="llm-progress", daemon=True)
        ticker.start()
        try:
            yield
        finally:
            done.set()

    def _unavailable(self, failure: _Failure, messages: list[Message],
                     json_schema: dict[str, Any] | None, params: GenerationParams,
                     ) -> Completion:
        if self.fallback is None:
            raise BackendUnavailable(f"LLM server unavailable: {failure.problem}. "
                                     f"{failure.fix}") from failure
        logger.warning("LLM server unavailable (%s); falling back to the %s backend",
                       failure.problem, self.fallback.name)
        return self.fallback.generate(messages, json_schema=json_schema, params=params)
