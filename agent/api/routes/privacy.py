"""``GET /v1/privacy/review-queue``: the output monitor's finds for the privacy officer
(scope ``privacy``; audited like every access decision). Offsets and type guesses only."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from agent.api import privacy_service as svc
from agent.api.deps import AccessDep, ServicesDep
from agent.schemas.privacy_api import ReviewQueueResponse

router = APIRouter(prefix="/v1", tags=["privacy"])

MAX_PAGE = 500


@router.get("/privacy/review-queue", response_model=ReviewQueueResponse)
def review_queue(access: AccessDep, services: ServicesDep,
                 status: Literal["open", "resolved"] = "open",
                 limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
                 offset: Annotated[int, Query(ge=0)] = 0) -> ReviewQueueResponse:
    """Possible PHI leaks the second detector found in sampled de-identified outputs,
    newest first: note id, offsets into that output and its sha256, a type guess, the
    detector and the release policy; never the value (needs ``privacy``)."""
    access.require("privacy")
    return svc.review_queue(services, status=status, limit=limit, offset=offset)
