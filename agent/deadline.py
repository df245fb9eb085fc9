"""Deadlines of a unit of work (an API request, a background job, a CLI command) and the
checkpoints where long work looks at them.

A thread cannot be killed, so long work stops itself: the extractor, the de-identifier and
the layout call :func:`checkpoint` between segments of a note (~5,000 characters, a fraction
of a second each). Inside a :class:`Scope` whose work deadline has passed, or was cancelled
by the request that gave up waiting, the checkpoint raises
:class:`~agent.errors.DeadlineExceeded`; the work unwinds and releases the models it held.
Outside any scope (the CLI's batch commands) a checkpoint costs one context-variable read.

The same checkpoints let more urgent work run first: a model shared by lanes registers a
hook on the scope of the work holding it (``agent.api.lanes``).

LLM waits are bounded separately (``llm.deadline_s``): the first LLM call inside a scope
starts the scope's ``llm`` deadline (``agent.llm.openai_compat``), so a request or a job
has one LLM budget however many calls it makes, never more than its work deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from agent.errors import DeadlineExceeded

T = TypeVar("T")


@dataclass
class Deadline:
    """A point in time (monotonic clock) after which work is stopped.

    Attributes:
        seconds: the length of the deadline.
        setting: the setting that chose it (named in the error).
        started: ``time.monotonic()`` when it started.
        is_cancelled: set by :meth:`cancel`; the deadline counts as passed from then on.
    """

    seconds: float
    setting: str
    started: float = field(default_factory=time.monotonic)
    is_cancelled: bool = False

    def remaining(self) -> float:
        """Seconds left (0 when cancelled or passed)."""
        if self.is_cancelled:
            return 0.0
        return max(0.0, self.started + self.seconds - time.monotonic())

    def is_expired(self) -> bool:
        """Whether the work must stop."""
        return self.is_cancelled or time.monotonic() >= self.started + self.seconds

    def cancel(self) -> None:
        """Stop the work at its next checkpoint (the caller stopped waiting for it)."""
        self.is_cancelled = True

    def error(self) -> DeadlineExceeded:
        """The error to raise when the deadline has passed."""
        return DeadlineExceeded(self.setting, self.seconds)


@dataclass
class Scope:
    """What the current thread works under.

    Attributes:
        work: the deadline checked at every checkpoint (None: never stopped).
        llm: the deadline of LLM waits; None until the first LLM call starts it.
        lane: the urgency of the work (``agent.api.lanes``: 0 is the most urgent).
        hooks: called at every checkpoint (a shared model lets urgent work run).
    """

    work: Deadline | None = None
    llm: Deadline | None = None
    lane: int = 1
    hooks: list[Callable[[], None]] = field(default_factory=list)


_SCOPE: ContextVar[Scope | None] = ContextVar("clinagent_scope", default=None)


def current() -> Scope | None:
    """The scope of the running work, or None outside any."""
    return _SCOPE.get()


@contextmanager
def enter(scope: Scope) -> Iterator[Scope]:
    """Run the body inside ``scope`` (in this thread's context)."""
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


def checkpoint() -> None:
    """Stop here when the current work's deadline has passed; else let waiting urgent work
    run first.

    Raises:
        DeadlineExceeded: the scope's work deadline passed or was cancelled.
    """
    scope = _SCOPE.get()
    if scope is None:
        return
    if scope.work is not None and scope.work.is_expired():
        raise scope.work.error()
    for hook in tuple(scope.hooks):
        hook()


def iterate_in(scope: Scope, items: Iterator[T]) -> Iterator[T]:
    """Produce each item of ``items`` inside ``scope``: for a generator consumed step by
    step from pool threads (a streamed response), where no single call can hold a scope.

    Raises:
        DeadlineExceeded: from a checkpoint of a step, once the scope's deadline passed.
    """
    while True:
        with enter(scope):
            try:
                item = next(items)
            except StopIteration:
                return
        yield item
