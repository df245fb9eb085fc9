"""``GET /v1/jobs/{job_id}``: status, progress and (when done) the result of a job."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from agent.api.background import job_view
from agent.api.deps import AccessDep, ServicesDep
from agent.errors import NotFound
from agent.schemas.api import JobResponse
from agent.store import repository as repo

router = APIRouter(prefix="/v1", tags=["jobs"])


@router.get("/jobs/{job_id}", response_model=JobResponse)
def get_job(job_id: str, access: AccessDep, services: ServicesDep):
    """A job's state; needs the job's operation scope on its patient. Any worker answers:
    jobs live in the store, and a job whose worker died reads as failed once its lease
    (``api.job_lease_s``) has lapsed."""
    services.jobs.reap()
    with services.sessions() as session:
        job = repo.get_job(session, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}; jobs are created by POST "
                       "/v1/patients/{id}/handoff and by large /v1/extract and /v1/deid "
                       "requests")
    access.require(job.kind, job.patient_id)
    return JSONResponse(job_view(services, job))
