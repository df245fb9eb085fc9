"""``POST /v1/deid``: de-identify posted text (not stored)."""

from __future__ import annotations

from fastapi import APIRouter

from agent.api.deps import AccessDep, ServicesDep
from agent.api.limits import run_cpu
from agent.api.services import load_patient_notes
from agent.errors import NotFound
from agent.notes import note_from_record
from agent.schemas.api import DeidRequest, DeidResponse

router = APIRouter(prefix="/v1", tags=["deid"])


@router.post("/deid", response_model=DeidResponse)
async def deid(body: DeidRequest, access: AccessDep, services: ServicesDep) -> DeidResponse:
    """Find the HIPAA Safe Harbor identifiers and redact, mask or replace them; the audit
    record has offsets, types and keyed hashes, never the values (``deid`` scope)."""
    access.require("deid", body.patient_id)
    note = note_from_record(
        {"patient_id": body.patient_id or "adhoc", "note_id": body.note_id,
         "date": body.date, "text": body.text},
        source="request", line=None, max_chars=services.settings.max_note_chars)
    deidentifier = await run_cpu(services.settings.api.request_timeout_s,
                                 services.deidentifier, body.mode)
    # The patient's stored notes are read with the posted one, as the CLI reads a patient:
    # a name found in a stored note's header is found in the posted text too.
    context = await run_cpu(services.settings.api.request_timeout_s, _stored_context,
                            services, body.patient_id, body.note_id)

    def _run():
        with services.deid_lock:
            return list(deidentifier.run([*context, note]))[-1]

    result, audit = await run_cpu(services.settings.api.request_timeout_s, _run)
    return DeidResponse(note_id=result.note_id, text=result.text, mode=result.mode,
                        phi=result.phi, audit=audit)


def _stored_context(services, patient_id: str | None, note_id: str) -> list:
    """The other stored notes of the patient (none for an ad hoc text)."""
    if not patient_id:
        return []
    try:
        notes = load_patient_notes(services, patient_id)
    except NotFound:
        return []
    return [n for n in notes if n.note_id != note_id]
