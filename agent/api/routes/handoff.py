"""``POST /v1/patients/{patient_id}/handoff``: a verified handoff summary, synchronously for
small patients, else as a background job (``GET /v1/jobs/{id}``)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from agent.api.deps import AccessDep, BackendDep, ServicesDep
from agent.api.limits import run_cpu
from agent.api.routes.notes import load_patient_notes
from agent.api.services import Services, StoreExtractor
from agent.schemas.api import HandoffRequest, HandoffResponse, JobResponse
from agent.schemas.notes import Note
from agent.schemas.summary import HandoffSummary
from agent.store import repository as repo

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["handoff"])

# Share of a job's progress taken by extracting the notes (the rest: summary + verifier).
_EXTRACT_SHARE = 0.8


def render(summary: HandoffSummary, notes: list[Note], fmt: str, summary_id: int,
           ) -> HandoffResponse:
    """The response body of a summary in the requested format."""
    markdown = fhir = None
    if fmt == "markdown":
        from agent.handoff_render import to_markdown

        markdown = to_markdown(summary, {n.note_id: n for n in notes})
    elif fmt == "fhir":
        from agent.fhir import handoff_composition

        fhir = handoff_composition(summary)
    return HandoffResponse(patient_id=summary.patient_id, format=fmt, summary_id=summary_id,
                           summary=summary, markdown=markdown, fhir=fhir)


def build_handoff(services: Services, notes: list[Note], use_llm: bool, backend,
                  job_id: str | None = None, on_note=None) -> tuple[int, HandoffSummary]:
    """Summarize, verify and store; returns the stored summary id and the summary."""
    from agent.handoff import handoff_for_patient

    summary = handoff_for_patient(notes, services.settings, use_llm=use_llm, backend=backend,
                                  extractor=StoreExtractor(services, on_note=on_note))
    with services.sessions() as session:
        summary_id = repo.save_summary(session, summary.patient_id, summary.mode,
                                       summary.model_dump(mode="json"), job_id=job_id)
        session.commit()
    return summary_id, summary


def run_job(services: Services, job_id: str, patient_id: str, use_llm: bool, backend,
            metrics) -> None:
    """The body of a handoff job (runs on the job thread; never raises)."""
    done = 0

    def _set(**fields) -> None:
        with services.sessions() as session:
            repo.update_job(session, job_id, **fields)
            session.commit()

    try:
        notes = load_patient_notes(services, patient_id)
        _set(status="running", stage=f"extracting {len(notes)} notes", progress=0.01)

        def on_note() -> None:
            nonlocal done
            done += 1
            if done <= len(notes):
                stage = (f"extracted {done}/{len(notes)} notes" if done < len(notes)
                         else "summarizing and verifying")
                _set(progress=round(_EXTRACT_SHARE * done / len(notes), 3), stage=stage)

        summary_id, _ = build_handoff(services, notes, use_llm, backend, job_id, on_note)
        _set(status="succeeded", progress=1.0, stage="done", summary_id=summary_id)
        metrics.jobs.labels("succeeded").inc()
    except Exception as e:  # a job must end in a state the client can read
        logger.error("handoff job %s failed: %s", job_id, type(e).__name__)
        from agent.errors import ClinicalAgentError

        reason = str(e) if isinstance(e, ClinicalAgentError) else type(e).__name__
        _set(status="failed", stage="failed", error=reason[:2000])
        metrics.jobs.labels("failed").inc()


def job_response(services: Services, job) -> JobResponse:
    """The API view of a job row (with the result once it succeeded)."""
    result = None
    if job.status == "succeeded" and job.summary_id is not None:
        with services.sessions() as session:
            row = repo.get_summary(session, job.summary_id)
        if row is not None:
            summary = HandoffSummary.model_validate(row.payload)
            notes = (load_patient_notes(services, job.patient_id)
                     if job.params.get("format") == "markdown" else [])
            result = render(summary, notes, job.params.get("format", "json"), row.id)
    return JobResponse(job_id=job.job_id, kind=job.kind, patient_id=job.patient_id,
                       status=job.status, progress=job.progress, stage=job.stage,
                       created_at=job.created_at, updated_at=job.updated_at, error=job.error,
                       result=result)


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
