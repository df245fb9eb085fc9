"""Lanes: small requests are never queued behind large work.

The extractor and the de-identifier are loaded once per worker (~1 GB, ~15 s) and are not
safe to call from two threads at once, so each is a :class:`SharedModel` that one thread
holds at a time. Work comes in three lanes, most urgent first:

- ``SMALL``: synchronous requests whose text is at most ``api.small_request_chars``;
- ``LARGE``: other synchronous requests (up to ``api.sync_max_chars``, handoffs, verify,
  chat, indexing of ingested notes);
- ``BACKGROUND``: jobs (inputs above ``api.sync_max_chars``, large handoffs).

Waiting work is served by lane, then in arrival order. Work holding a model checks, at
each checkpoint of the extractor or de-identifier (every ~5,000 characters, see
:mod:`agent.deadline`), whether more urgent work waits; if so it steps aside and resumes
after it. A one-line extract therefore waits for at most one segment of a 3 MB note, not
for the whole note. The models are used between segments only, never mid-segment, so the
interleaving is safe.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from agent import deadline

SMALL, LARGE, BACKGROUND = 0, 1, 2
LANE_NAMES = {SMALL: "small", LARGE: "large", BACKGROUND: "background"}
# A waiter re-checks its deadline this often (a cancelled request leaves the queue).
_POLL_S = 0.1


def lane_for(chars: int, small_request_chars: int) -> int:
    """The lane of a synchronous request with ``chars`` characters of input."""
    return SMALL if chars <= small_request_chars else LARGE


class SharedModel:
    """A model used by one thread at a time, most urgent lane first (re-entrant).

    Args:
        name: for logs and metrics ("extractor", "deid").
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._cond = threading.Condition()
        self._owner: int | None = None
        self._ticket: tuple[int, int] | None = None
        self._depth = 0
        self._waiting: list[tuple[int, int]] = []
        self._seq = itertools.count()
        #: How often a holder stepped aside for more urgent work.
        self.preemptions = 0

    @property
    def is_held(self) -> bool:
        """Whether some thread holds the model now."""
        return self._owner is not None

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the model for the current scope's lane; inside a scope, step aside for
        more urgent work at each checkpoint.

        Raises:
            DeadlineExceeded: the scope's deadline passed while waiting.
        """
        me = threading.get_ident()
        if self._owner == me:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        scope = deadline.current()
        lane = scope.lane if scope is not None else LARGE
        ticket = (lane, next(self._seq))
        with self._cond:
            self._wait_turn(ticket, scope)
            self._owner, self._ticket, self._depth = me, ticket, 1

        def step_aside() -> None:
            self._step_aside(scope)

        if scope is not None:
            scope.hooks.append(step_aside)
        try:
            yield
        finally:
            if scope is not None:
                scope.hooks.remove(step_aside)
            with self._cond:
                # Not held any more when the deadline passed while stepping aside.
                if self._owner == me:
                    self._owner, self._ticket, self._depth = None, None, 0
                self._cond.notify_all()

    def _wait_turn(self, ticket: tuple[int, int], scope) -> None:
        """Queue ``ticket`` and wait until it is first and the model free (cond held)."""
        heapq.heappush(self._waiting, ticket)
        try:
            while self._owner is not None or self._waiting[0] != ticket:
                if scope is not None and scope.work is not None and scope.work.is_expired():
                    raise scope.work.error()
                self._cond.wait(_POLL_S if scope is not None else None)
        except BaseException:
            self._waiting.remove(ticket)
            heapq.heapify(self._waiting)
            self._cond.notify_all()
            raise
        heapq.heappop(self._waiting)

    def _step_aside(self, scope) -> None:
        """Let every waiting ticket of a more urgent lane run, then take the model back
        (called by the holder at a checkpoint)."""
        with self._cond:
            ticket = self._ticket
            if ticket is None or not self._waiting or self._waiting[0][0] >= ticket[0]:
                return
            depth = self._depth
            self.preemptions += 1
            self._owner, self._ticket, self._depth = None, None, 0
            self._cond.notify_all()
            # The original ticket keeps this work ahead of later work of its own lane.
            self._wait_turn(ticket, scope)
            self._owner, self._ticket, self._depth = threading.get_ident(), ticket, depth
