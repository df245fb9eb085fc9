"""``POST /v1/extract``: entities of posted text (not stored); large texts as a job."""

from __future__ import annotations

from fastapi import APIRouter, Request

from agent.api.background import answer_text_request
from agent.api.deps import AccessDep, ServicesDep
from agent.notes import note_from_record
from agent.schemas.api import ExtractRequest, ExtractResponse, JobResponse
from agent.schemas.extraction import NoteExtraction

router = APIRouter(prefix="/v1", tags=["extract"])


@router.post("/extract", response_model=ExtractResponse,
             responses={202: {"model": JobResponse, "description": "queued as a job"}})
async def extract(body: ExtractRequest, request: Request, access: AccessDep,
                  services: ServicesDep):
    """Problems, medications, tests, procedures and allergies of the text, each with its
    offsets, assertion, section, attributes and codes (needs the ``extract`` scope, and the
    patient when ``patient_id`` is given).

    ``run=auto`` answers at once up to ``api.sync_max_chars`` characters, else 202 with a
    job to poll (``GET /v1/jobs/{id}``; an ``Idempotency-Key`` header makes a retry return
    the same job). Small texts never wait behind large ones.
    """
    access.require("extract", body.patient_id)
    note = note_from_record(
        {"patient_id": body.patient_id or "adhoc", "note_id": body.note_id,
         "note_type": body.note_type, "date": body.date, "text": body.text},
        source="request", line=None, max_chars=services.settings.max_note_chars)

    def _run() -> NoteExtraction:
        with services.extract_lock.hold():
            result = services.extractor.extract_note(note)
        # The ExtractResponse shape; not validated again (seconds for a large note).
        return result.model_copy(update={"patient_id": body.patient_id})

    return await answer_text_request(services, request, access, kind="extract", body=body,
                                     compute=_run,
                                     stage=f"extracting {len(body.text):,} characters")
