"""Rate-limit buckets and failed-authentication counts in the store, so every worker process
(``clinagent serve --workers N``, or several hosts on one PostgreSQL) shares them.

Each write is one atomic statement (a conditional ``UPDATE`` or an ``INSERT ... ON CONFLICT``)
on SQLite and PostgreSQL alike; the caller commits.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from agent.store.models import AuthFailureRow, RateLimitRow


def _insert(session: Session):
    """The dialect's ``insert`` (both have ``on_conflict_do_*``)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


# ---- token buckets ----------------------------------------------------------------------------

def take_token(session: Session, bucket: str, *, rate_per_s: float, burst: float,
               now: float) -> float | None:
    """Take one token from ``bucket`` (created full on first use).

    Args:
        session: the session (the caller commits).
        bucket: the bucket's name, e.g. ``key:<key_id>``.
        rate_per_s: tokens added per second.
        burst: the bucket's size.
        now: the current time, epoch seconds.

    Returns:
        None when a token was taken, else the seconds until one is available.
    """
    for _ in range(2):
        if _take_existing(session, bucket, rate_per_s, burst, now):
            return None
        # RETURNING, not rowcount: an ORM-enabled INSERT reports no row count on psycopg.
        inserted = session.execute(
            _insert(session)(RateLimitRow).values(bucket=bucket, tokens=burst - 1.0,
                                                  updated_at=now)
            .on_conflict_do_nothing(index_elements=["bucket"])
            .returning(RateLimitRow.bucket)).first()
        if inserted is not None:
            return None
        # Another worker created the bucket between the two statements: take from it.
    row = session.get(RateLimitRow, bucket, populate_existing=True)
    available = min(burst, row.tokens + max(0.0, now - row.updated_at) * rate_per_s)
    return max(0.0, (1.0 - available) / rate_per_s)


def _take_existing(session: Session, bucket: str, rate_per_s: float, burst: float,
                   now: float) -> bool:
    elapsed = case((RateLimitRow.updated_at < now, now - RateLimitRow.updated_at), else_=0.0)
    refilled = RateLimitRow.tokens + elapsed * rate_per_s
    capped = case((refilled > burst, burst), else_=refilled)
    # Refill and take in one conditional UPDATE: concurrent workers serialise on the row.
    result = session.execute(
        update(RateLimitRow)
        .where(RateLimitRow.bucket == bucket, capped >= 1.0)
        .values(tokens=capped - 1.0,
                updated_at=case((RateLimitRow.updated_at < now, now),
                                else_=RateLimitRow.updated_at))
        .returning(RateLimitRow.bucket)
        .execution_options(synchronize_session=False))
    return result.first() is not None


# ---- failed authentication ---------------------------------------------------------------------

def auth_window(now: float, window_s: int) -> tuple[str, float]:
    """``(window start as ISO 8601 UTC, seconds until the window ends)`` of ``now``."""
    start = int(now // window_s) * window_s
    stamp = datetime.fromtimestamp(start, UTC).isoformat(timespec="seconds")
    return stamp, start + window_s - now


def auth_failures(session: Session, window_start: str, client: str) -> int:
    """Failed authentications of ``client`` in the window (all reasons)."""
    total = session.scalar(select(func.coalesce(func.sum(AuthFailureRow.count), 0))
                           .where(AuthFailureRow.window_start == window_start,
                                  AuthFailureRow.client == client))
    return int(total or 0)


def auth_failure_clients(session: Session, window_start: str) -> int:
    """Distinct client addresses with failures in the window."""
    return int(session.scalar(select(func.count(func.distinct(AuthFailureRow.client)))
                              .where(AuthFailureRow.window_start == window_start)) or 0)


def count_auth_failure(session: Session, *, window_start: str, client: str, reason: str,
                       key_id: str, stamp: str) -> None:
    """Add one failure to its ``(window, client, reason, key id)`` row (created at 1)."""
    insert = _insert(session)
    stmt = insert(AuthFailureRow).values(window_start=window_start, client=client,
                                         reason=reason, key_id=key_id, count=1,
                                         first_at=stamp, last_at=stamp)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["window_start", "client", "reason", "key_id"],
        set_={"count": AuthFailureRow.count + 1, "last_at": stamp}))


def auth_failure_rows(session: Session, limit: int = 100) -> list[AuthFailureRow]:
    """The latest failure counts, newest window first."""
    stmt = (select(AuthFailureRow)
            .order_by(AuthFailureRow.window_start.desc(), AuthFailureRow.count.desc())
            .limit(limit))
    return list(session.scalars(stmt))
