"""``POST /v1/patients/{patient_id}/handoff``: a verified handoff summary, synchronously for
small patients, else as a background job (``GET /v1/jobs/{id}``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from agent.api import idempotency
from agent.api.background import accepted, queue_job, replay
from agent.api.deps import AccessDep, BackendDep, ServicesDep
from agent.api.handoff_service import build_handoff, render, run_job, stored_acknowledgements
from agent.api.limits import run_cpu
from agent.api.services import Services, load_patient_notes
from agent.errors import NotFound
from agent.schemas.api import HandoffRequest, HandoffResponse, JobResponse
from agent.schemas.summary import HandoffSummary
from agent.store import repository as repo
from agent.store.models import IdempotencyRow

router = APIRouter(prefix="/v1", tags=["handoff"])


@router.post("/patients/{patient_id}/handoff", response_model=HandoffResponse,
             responses={202: {"model": JobResponse, "description": "queued as a job"}})
async def handoff(patient_id: str, request: Request, access: AccessDep, services: ServicesDep,
                  backend: BackendDep, body: HandoffRequest | None = None):
    """An I-PASS handoff of the patient's stored notes, every statement verified.

    ``run=auto`` answers at once up to ``api.sync_handoff_max_notes`` notes, else 202 with
    a job to poll. With ``use_llm`` and the LLM backend down, the extractive summary comes
    back with a ``flags`` entry. Needs the ``handoff`` scope on the patient. An
    ``Idempotency-Key`` header makes a retry return the same job (or the same stored
    summary) instead of a new one.
    """
    body = body or HandoffRequest()
    access.require("handoff", patient_id)
    timeout = services.settings.api.request_timeout_s
    claim = await run_cpu(timeout, idempotency.claim_request, services, request,
                          access.principal.key_id, body.model_dump_json().encode())
    if claim is not None and claim.replay is not None:
        return await run_cpu(timeout, _replay, services, claim.replay, patient_id)
    try:
        notes = await run_cpu(timeout, load_patient_notes, services, patient_id)
        is_async = body.run == "async" or (
            body.run == "auto" and len(notes) > services.settings.api.sync_handoff_max_notes)
        if not is_async:
            summary_id, summary = await run_cpu(timeout, build_handoff, services, notes,
                                                body.use_llm, backend)
            response = await run_cpu(timeout, render, summary, notes, body.format,
                                     summary_id)
            if summary_id is None:  # not stored (retention.store_summaries): nothing to replay
                idempotency.release(services, claim)
            else:
                await run_cpu(timeout, lambda: idempotency.complete(
                    services, claim, status_code=200,
                    response={"summary_id": summary_id, "format": body.format}))
            return response
        job_id = await queue_job(
            services, claim, kind="handoff", key_id=access.principal.key_id,
            patient_id=patient_id, params={"format": body.format, "use_llm": body.use_llm},
            submit=lambda job_id: services.jobs.submit(run_job, services, job_id, patient_id,
                                                       body.use_llm, backend, access.metrics))
    except BaseException:
        idempotency.release(services, claim)
        raise
    return await run_cpu(timeout, accepted, services, job_id)


def _replay(services: Services, row: IdempotencyRow, patient_id: str) -> JSONResponse:
    """The job, or the stored summary, of the first request with the same key.

    Raises:
        NotFound: the summary was deleted since (retention or patient deletion).
    """
    if row.job_id is not None or not row.response:
        return replay(services, row)
    with services.sessions() as session:
        stored = repo.get_summary(session, row.response["summary_id"])
    if stored is None or stored.patient_id != patient_id:
        raise NotFound("the summary of this Idempotency-Key no longer exists; send the "
                       "request again with a new key")
    fmt = row.response["format"]
    notes = load_patient_notes(services, patient_id) if fmt == "markdown" else []
    acks = stored_acknowledgements(services, stored.id) if fmt == "fhir" else []
    body = render(HandoffSummary.model_validate(stored.payload), notes, fmt, stored.id, acks)
    return JSONResponse(body.model_dump(mode="json"),
                        headers={idempotency.REPLAYED_HEADER: "true"})
