"""``POST /v1/deid``: de-identify posted text (not stored); large texts as a job."""

from __future__ import annotations

from fastapi import APIRouter, Request

from agent.api.background import answer_text_request
from agent.api.deps import AccessDep, ServicesDep
from agent.api.privacy_service import monitor_output
from agent.api.services import load_patient_notes
from agent.errors import NotFound
from agent.notes import note_from_record
from agent.schemas.api import DeidRequest, DeidResponse, JobResponse

router = APIRouter(prefix="/v1", tags=["deid"])


@router.post("/deid", response_model=DeidResponse,
             responses={202: {"model": JobResponse, "description": "queued as a job"}})
async def deid(body: DeidRequest, request: Request, access: AccessDep, services: ServicesDep):
    """Find the HIPAA Safe Harbor identifiers and redact, mask or replace them; the audit
    record has offsets, types and keyed hashes, never the values (``deid`` scope).

    ``run=auto`` answers at once up to ``api.sync_max_chars`` characters, else 202 with a
    job to poll (``GET /v1/jobs/{id}``; an ``Idempotency-Key`` header makes a retry return
    the same job). Small texts never wait behind large ones.
    """
    access.require("deid", body.patient_id)
    note = note_from_record(
        {"patient_id": body.patient_id or "adhoc", "note_id": body.note_id,
         "date": body.date, "text": body.text},
        source="request", line=None, max_chars=services.settings.max_note_chars)

    metrics = request.app.state.metrics

    def _run() -> DeidResponse:
        deidentifier = services.deidentifier(body.mode)
        # The patient's stored notes are read with the posted one, as the CLI reads a
        # patient: a name found in a stored note's header is found in the posted text too.
        context = _stored_context(services, body.patient_id, body.note_id)
        with services.deid_lock.hold():
            result, audit = list(deidentifier.run([*context, note]))[-1]
        # A sample of outputs goes through the second detector; its finds (offsets and a
        # type guess, never the value) wait in the privacy officer's review queue.
        monitor_output(services, metrics, result)
        return DeidResponse(note_id=result.note_id, text=result.text, mode=result.mode,
                            phi=result.phi, audit=audit)

    return await answer_text_request(services, request, access, kind="deid", body=body,
                                     compute=_run,
                                     stage=f"de-identifying {len(body.text):,} characters")


def _stored_context(services, patient_id: str | None, note_id: str) -> list:
    """The other stored notes of the patient (none for an ad hoc text)."""
    if not patient_id:
        return []
    try:
        notes = load_patient_notes(services, patient_id)
    except NotFound:
        return []
    return [n for n in notes if n.note_id != note_id]
