"""HTTP schemas of the privacy officer's review queue (``GET /v1/privacy/review-queue``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ReviewFind(BaseModel):
    """One possible leak: where it is in a de-identified output, never the value."""

    id: int
    note_id: str
    start: int = Field(description="Offset into the de-identified output")
    end: int
    type_guess: str = Field(description="EMAIL, URL, IP_ADDRESS, PHONE, DATE, ID or NAME")
    detector: str
    output_sha256: str = Field(description="sha256 of the de-identified output the "
                               "offsets point into (re-run de-identification to see it)")
    release_policy: str | None = None
    status: str
    at: str


class ReviewQueueResponse(BaseModel):
    """Open finds, newest first."""

    total: int
    items: list[ReviewFind]
