"""Deadlines and checkpoints (``agent.deadline``)."""

from __future__ import annotations

import time

import pytest

from agent import deadline
from agent.errors import DeadlineExceeded


def test_outside_any_scope_then_checkpoint_does_nothing():
    deadline.checkpoint()


def test_when_deadline_cancelled_then_next_checkpoint_stops_the_work():
    work = deadline.Deadline(60.0, "api.request_timeout_s")
    with deadline.enter(deadline.Scope(work=work)):
        deadline.checkpoint()
        work.cancel()
        with pytest.raises(DeadlineExceeded, match=r"api\.request_timeout_s"):
            deadline.checkpoint()


def test_when_a_stream_is_consumed_step_by_step_then_every_step_runs_in_its_scope():
    scope = deadline.Scope(work=deadline.Deadline(0.2, "api.request_timeout_s"))

    def steps():
        while True:
            assert deadline.current() is scope
            deadline.checkpoint()
            yield 1
            time.sleep(0.05)

    stream = deadline.iterate_in(scope, steps())
    assert next(stream) == 1 and deadline.current() is None
    with pytest.raises(DeadlineExceeded):
        for _ in stream:
            pass
