"""Request limits: body size (413), per-key rate in the store (429) and synchronous work
time (504)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TypeVar

import anyio
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent import deadline
from agent.api.lanes import LARGE
from agent.api.problems import problem
from agent.errors import RateLimited, RequestTimeout
from agent.store.limits import take_token

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
                               instance=None)
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
                                   instance=None)
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
    """A token bucket per API key in the store (``rate_limits``), so every worker process
    and host on the same database shares one limit: ``per_minute`` sustained, ``burst`` at
    once.

    Args:
        sessions: the store's session factory.
        per_minute: tokens added per minute.
        burst: the bucket's size.
    """

    def __init__(self, sessions: sessionmaker[Session], per_minute: int, burst: int) -> None:
        self.sessions = sessions
        self.rate = per_minute / 60.0
        self.burst = float(burst)

    def check(self, key_id: str) -> None:
        """Take one token for ``key_id`` (one atomic statement, committed at once).

        Raises:
            RateLimited: the bucket is empty (with the seconds to wait).
        """
        with self.sessions() as session:
            wait = take_token(session, f"key:{key_id}", rate_per_s=self.rate,
                              burst=self.burst, now=time.time())
            session.commit()
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            raise RateLimited(f"API key {key_id} is above {self.rate * 60:.0f} requests "
                              f"per minute; retry in {seconds} s", retry_after=seconds)


async def run_cpu(timeout_s: float, func: Callable[..., T], *args, lane: int = LARGE,
                  is_cancellable: bool = True) -> T:
    """Run blocking work in the thread pool, in a lane, under a deadline that stops it.

    A thread cannot be killed, so the work runs inside a :class:`agent.deadline.Scope`:
    at ``timeout_s`` the client gets its 504 and the scope is cancelled, and the work stops
    at its next checkpoint (between note segments, a fraction of a second), releasing the
    extractor for the requests behind it. The event loop is never blocked.

    Args:
        timeout_s: the deadline (``api.request_timeout_s``).
        func: the blocking work; ``args`` are passed to it.
        lane: ``agent.api.lanes.SMALL`` for small inputs, else ``LARGE``.
        is_cancellable: False for work that must finish once started (indexing notes
            already committed): the client still gets its 504, the work goes on.

    Raises:
        RequestTimeout: the work took longer than ``timeout_s`` (``DeadlineExceeded`` when
            it stopped itself first).
    """
    work = deadline.Deadline(timeout_s, "api.request_timeout_s")
    scope = deadline.Scope(work=work if is_cancellable else None, lane=lane)

    def call() -> T:
        with deadline.enter(scope):
            return func(*args)

    try:
        with anyio.fail_after(timeout_s):
            return await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
    except TimeoutError as e:
        work.cancel()
        raise RequestTimeout(f"the work took longer than {timeout_s:g} s "
                             "(api.request_timeout_s) and was stopped; large inputs run as "
                             "background jobs (run=async, or automatically above "
                             "api.sync_max_chars)") from e
