"""``POST /v1/patients/{patient_id}/handoff``: a verified handoff summary, synchronously for
small patients, else as a background job (``GET /v1/jobs/{id}``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from agent.api.deps import AccessDep, BackendDep, ServicesDep
from agent.api.handoff_service import build_handoff, job_response, render, run_job
from agent.api.limits import run_cpu
from agent.api.services import load_patient_notes
from agent.schemas.api import HandoffRequest, HandoffResponse, JobResponse
from agent.store import repository as repo

router = APIRouter(prefix="/v1", tags=["handoff"])


@router.post("/patients/{patient_id}/handoff", response_model=HandoffResponse,
             responses={202: {"model": JobResponse, "description": "queued as a job"}})
async def handoff(patient_id: str, access: AccessDep, services: ServicesDep,
                  backend: BackendDep, body: HandoffRequest | None = None):
    """An I-PASS handoff of the patient's stored notes, every statement verified.

    ``run=auto`` answers at once up to ``api.sync_handoff_max_notes`` notes, else 202 with
    a job to poll. With ``use_llm`` and the LLM backend down, the extractive summary comes
    back with a ``flags`` entry. Needs the ``handoff`` scope on the patient.
    """
    body = body or HandoffRequest()
    access.require("handoff", patient_id)
    notes = await run_cpu(services.settings.api.request_timeout_s, load_patient_notes,
                          services, patient_id)
    is_async = body.run == "async" or (
        body.run == "auto" and len(notes) > services.settings.api.sync_handoff_max_notes)
    if not is_async:
        summary_id, summary = await run_cpu(services.settings.api.request_timeout_s,
                                            build_handoff, services, notes, body.use_llm,
                                            backend)
        return await run_cpu(services.settings.api.request_timeout_s, render, summary, notes,
                             body.format, summary_id)
    with services.sessions() as session:
        job = repo.create_job(session, "handoff", patient_id=patient_id,
                              key_id=access.principal.key_id,
                              params={"format": body.format, "use_llm": body.use_llm})
        session.commit()
    services.jobs.submit(run_job, services, job.job_id, patient_id, body.use_llm, backend,
                         access.metrics)
    payload = job_response(services, job).model_dump(mode="json")
    return JSONResponse(payload, status_code=202,
                        headers={"Location": f"/v1/jobs/{job.job_id}"})
