"""Output monitoring in the service: a sample of de-identified outputs is scanned by the
second detector (``agent.privacy.monitor``); finds go to the review queue table and the
``clinagent_privacy_monitor_finds_total`` counter, as offsets and a type guess only."""

from __future__ import annotations

import hashlib
import logging
import random

from sqlalchemy import func, select

from agent.privacy.monitor import is_sampled, scan
from agent.schemas.deid import DeidResult
from agent.schemas.privacy_api import ReviewFind, ReviewQueueResponse
from agent.store import repository as repo
from agent.store.models import PrivacyReviewRow

logger = logging.getLogger(__name__)


def monitor_output(services, metrics, result: DeidResult, *,
                   rng: random.Random | None = None) -> int:
    """Scan one de-identified output when it is sampled; queue and count the finds.

    Args:
        services: the app's services (sessions, settings).
        metrics: the app's :class:`~agent.api.metrics.Metrics` (None: not counted).
        result: the de-identified note.
        rng: the sampling draw (tests pass a seeded one).

    Returns:
        The number of finds queued (0 when not sampled).
    """
    if not is_sampled(services.settings.privacy.monitor_sample_rate, rng):
        return 0
    finds = scan(result.text, [(p.new_start, p.new_end) for p in result.phi])
    if not finds:
        return 0
    digest = hashlib.sha256(result.text.encode("utf-8")).hexdigest()
    release = getattr(result, "release", None)
    stamp = repo.now_iso()
    with services.sessions() as session:
        session.add_all(PrivacyReviewRow(
            note_id=result.note_id, start=f.start, end=f.end, type_guess=f.type_guess,
            detector=f.detector, output_sha256=digest, status="open", at=stamp,
            release_policy=release.policy if release is not None else None) for f in finds)
        session.commit()
    if metrics is not None:
        for f in finds:
            metrics.privacy_finds.labels(f.type_guess).inc()
    # Ids and counts only: the values stay in the output they were found in.
    logger.info("output monitor: note %s, %d possible leak(s) queued for review",
                result.note_id, len(finds))
    return len(finds)


def review_queue(services, *, status: str = "open", limit: int = 100,
                 offset: int = 0) -> ReviewQueueResponse:
    """The queue's finds of one status, newest first."""
    with services.sessions() as session:
        total = session.scalar(select(func.count()).select_from(PrivacyReviewRow)
                               .where(PrivacyReviewRow.status == status)) or 0
        rows = session.scalars(select(PrivacyReviewRow)
                               .where(PrivacyReviewRow.status == status)
                               .order_by(PrivacyReviewRow.id.desc())
                               .limit(limit).offset(offset)).all()
        items = [ReviewFind(id=r.id, note_id=r.note_id, start=r.start, end=r.end,
                            type_guess=r.type_guess, detector=r.detector,
                            output_sha256=r.output_sha256, release_policy=r.release_policy,
                            status=r.status, at=r.at) for r in rows]
    return ReviewQueueResponse(total=total, items=items)
