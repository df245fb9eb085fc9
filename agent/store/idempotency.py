"""Idempotency keys in the store, so every worker process sees them.

A request with an ``Idempotency-Key`` first *claims* the key (a row inserted and committed
at once; the unique constraint on ``(key_id, idempotency_key)`` lets one request win across
processes), does its work, then *completes* the row with what a retry gets back. A failed
request *releases* the key so that a retry runs again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from agent.errors import IdempotencyConflict, IdempotencyKeyReused
from agent.store.models import IdempotencyRow
from agent.store.repository import now_iso


@dataclass(frozen=True)
class Claim:
    """The outcome of :func:`claim`.

    Attributes:
        row_id: the key's row, owned by this request (None when replaying).
        replay: the completed row of an earlier identical request, to answer with.
    """

    row_id: int | None
    replay: IdempotencyRow | None = None


def _ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="milliseconds")


def claim(sessions: sessionmaker[Session], key_id: str, idempotency_key: str,
          request_sha256: str, *, ttl_s: float, abandoned_s: float) -> Claim:
    """Claim ``idempotency_key`` for this request, or find the earlier request's answer.

    Args:
        sessions: the store's sessions (the claim commits on its own).
        key_id: the API key that sent the request (keys are per client).
        idempotency_key: the header's value.
        request_sha256: hash of method, path and body.
        ttl_s: keys older than this are forgotten (purged here).
        abandoned_s: a claim never completed after this long belonged to a worker that died;
            it is taken over.

    Raises:
        IdempotencyKeyReused: the key was used for another request (422).
        IdempotencyConflict: the first request with this key is still running (409).
    """
    with sessions() as session:
        session.execute(delete(IdempotencyRow).where(IdempotencyRow.created_at < _ago(ttl_s)))
        session.commit()
    for _ in range(2):
        with sessions() as session:
            row = IdempotencyRow(key_id=key_id, idempotency_key=idempotency_key,
                                 request_sha256=request_sha256, is_done=False,
                                 created_at=now_iso())
            session.add(row)
            try:
                session.commit()
                return Claim(row.id)
            except IntegrityError:
                session.rollback()
            found = session.scalars(select(IdempotencyRow).where(
                IdempotencyRow.key_id == key_id,
                IdempotencyRow.idempotency_key == idempotency_key)).first()
            if found is None:  # released between the insert and the read: try again
                continue
            if found.request_sha256 != request_sha256:
                raise IdempotencyKeyReused(
                    "this Idempotency-Key was sent before with another request; use a new "
                    "key for each distinct request")
            if found.is_done:
                return Claim(None, found)
            if found.created_at >= _ago(abandoned_s):
                raise IdempotencyConflict("the first request with this Idempotency-Key is "
                                          "still being processed; retry in a moment",
                                          retry_after=1)
            found.created_at = now_iso()
            session.commit()
            return Claim(found.id)
    raise IdempotencyConflict("this Idempotency-Key is being claimed by another request; "
                              "retry in a moment", retry_after=1)


def complete(sessions: sessionmaker[Session], row_id: int, *, status_code: int,
             response: dict[str, Any] | None = None, job_id: str | None = None) -> None:
    """Record the answer a retry with the same key gets."""
    with sessions() as session:
        row = session.get(IdempotencyRow, row_id)
        if row is None:
            return
        row.is_done, row.status_code, row.response, row.job_id = True, status_code, response, \
            job_id
        session.commit()


def release(sessions: sessionmaker[Session], row_id: int) -> None:
    """Forget a claim whose request failed (a retry runs the request again)."""
    with sessions() as session:
        session.execute(delete(IdempotencyRow).where(IdempotencyRow.id == row_id,
                                                     IdempotencyRow.is_done.is_(False)))
        session.commit()
