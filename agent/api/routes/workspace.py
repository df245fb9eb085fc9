"""Routes of the clinician's workspace (issue 16); filled in by its owner."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["workspace"])
