"""``GET /v1/jobs/{job_id}``: status, progress and (when done) the result of a job."""

from __future__ import annotations

from fastapi import APIRouter

from agent.api.deps import AccessDep, ServicesDep
from agent.api.handoff_service import job_response
from agent.errors import NotFound
from agent.schemas.api import JobResponse
from agent.store import repository as repo

router = APIRouter(prefix="/v1", tags=["jobs"])


@router.get("/jobs/{job_id}", response_model=JobResponse)
def get_job(job_id: str, access: AccessDep, services: ServicesDep) -> JobResponse:
    """A job's state; needs the job's operation scope on its patient."""
    with services.sessions() as session:
        job = repo.get_job(session, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}; jobs are created by POST "
                       "/v1/patients/{id}/handoff")
    access.require(job.kind, job.patient_id)
    return job_response(services, job)
