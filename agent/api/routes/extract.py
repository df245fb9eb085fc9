"""``POST /v1/extract``: entities of posted text (not stored)."""

from __future__ import annotations

from fastapi import APIRouter

from agent.api.deps import AccessDep, ServicesDep
from agent.api.limits import run_cpu
from agent.notes import note_from_record
from agent.schemas.api import ExtractRequest, ExtractResponse

router = APIRouter(prefix="/v1", tags=["extract"])


@router.post("/extract", response_model=ExtractResponse)
async def extract(body: ExtractRequest, access: AccessDep,
                  services: ServicesDep) -> ExtractResponse:
    """Problems, medications, tests, procedures and allergies of the text, each with its
    offsets, assertion, section, attributes and codes (needs the ``extract`` scope, and the
    patient when ``patient_id`` is given)."""
    access.require("extract", body.patient_id)
    note = note_from_record(
        {"patient_id": body.patient_id or "adhoc", "note_id": body.note_id,
         "note_type": body.note_type, "date": body.date, "text": body.text},
        source="request", line=None, max_chars=services.settings.max_note_chars)

    def _run():
        with services.extract_lock:
            return services.extractor.extract_note(note)

    result = await run_cpu(services.settings.api.request_timeout_s, _run)
    data = result.model_dump()
    data["patient_id"] = body.patient_id
    return ExtractResponse.model_validate(data)
