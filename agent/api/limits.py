"""Request limits: body size (413), per-key rate (429) and synchronous work time (504)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.api.problems import problem
from agent.errors import RateLimited, RequestTimeout

T = TypeVar("T")


class BodyLimitMiddleware:
    """Refuse bodies above ``max_bytes`` with 413: at once from ``Content-Length``, else
    once the streamed body passes the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or ()).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            response = problem(413, "Request too large", self._detail(int(length)),
                               instance=scope.get("path"))
            await response(scope, receive, send)
            return
        if length is not None:
            await self.app(scope, receive, send)
            return
        # A chunked body: read it up to the limit before the app sees it (FastAPI turns any
        # error raised while it reads the body into a 400).
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.max_bytes:
                response = problem(413, "Request too large", self._detail(seen),
                                   instance=scope.get("path"))
                await response(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _detail(self, size: int) -> str:
        return (f"the body has {size:,} bytes or more, above the limit of {self.max_bytes:,} "
                "(api.max_body_bytes); send fewer notes per request")


class RateLimiter:
    """A token bucket per API key: ``per_minute`` sustained, ``burst`` at once."""

    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, key_id: str) -> None:
        """Take one token for ``key_id``.

        Raises:
            RateLimited: the bucket is empty (with the seconds to wait).
        """
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key_id, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                wait = max(1, int((1.0 - tokens) / self.rate + 0.999))
                self._buckets[key_id] = (tokens, now)
                raise RateLimited(f"API key {key_id} is above {self.rate * 60:.0f} requests "
                                  f"per minute; retry in {wait} s", retry_after=wait)
            self._buckets[key_id] = (tokens - 1.0, now)


async def run_cpu(timeout_s: float, func: Callable[..., T], *args) -> T:
    """Run blocking work in the thread pool, giving up after ``timeout_s``.

    The thread cannot be killed; it finishes in the background and its result is dropped,
    but the client gets its 504 on time and the event loop is never blocked.

    Raises:
        RequestTimeout: the work took longer than ``timeout_s``.
    """
    try:
        with anyio.fail_after(timeout_s):
            return await anyio.to_thread.run_sync(func, *args, abandon_on_cancel=True)
    except TimeoutError as e:
        raise RequestTimeout(f"the work took longer than {timeout_s:g} s "
                             "(api.request_timeout_s); for a large patient ask for the "
                             "handoff as a background job (run=async)") from e
