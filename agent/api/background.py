"""Requests answered with a background job (202 + ``Location: /v1/jobs/{id}``), with the
``Idempotency-Key`` header: a retry with the same key gets the same job."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from agent.api import idempotency
from agent.api.handoff_service import job_response
from agent.api.lanes import lane_for
from agent.api.limits import run_cpu
from agent.api.services import Services
from agent.errors import NotFound
from agent.store import repository as repo
from agent.store.models import IdempotencyRow


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    """A response serialized here, in the worker thread. Returned from an ``async`` route,
    a model would be validated and encoded again on the event loop, which stalls every
    other request for seconds when the body is a large note's extraction."""
    return Response(model.model_dump_json(), status_code=status_code,
                    media_type="application/json")


def job_view(services: Services, job) -> dict:
    """The ``JobResponse`` JSON of a job row; an extract or deid result is the stored JSON
    as is (validating a large extraction again takes seconds)."""
    view = job_response(services, job).model_dump(mode="json")
    if job.status == "succeeded" and job.result is not None:
        view["result"] = job.result
    return view


def accepted(services: Services, job_id: str, *, is_replay: bool = False) -> JSONResponse:
    """The 202 answer of a job: its current state and where to poll it.

    Raises:
        NotFound: the job was deleted (retention or patient deletion) since.
    """
    with services.sessions() as session:
        job = repo.get_job(session, job_id)
    if job is None:
        raise NotFound("the job of this Idempotency-Key no longer exists; send the request "
                       "again with a new key")
    headers = {"Location": f"/v1/jobs/{job_id}"}
    if is_replay:
        headers[idempotency.REPLAYED_HEADER] = "true"
    return JSONResponse(job_view(services, job), status_code=202, headers=headers)


def replay(services: Services, row: IdempotencyRow) -> JSONResponse:
    """The answer of an earlier request with the same key (its job's current state, or the
    stored response)."""
    if row.job_id is not None:
        return accepted(services, row.job_id, is_replay=True)
    return JSONResponse(row.response, status_code=row.status_code or 200,
                        headers={idempotency.REPLAYED_HEADER: "true"})


async def start_result_job(services: Services, request: Request, *, kind: str,
                           key_id: str, patient_id: str | None, body: BaseModel, stage: str,
                           compute: Callable[[], BaseModel], metrics=None) -> JSONResponse:
    """Create a job whose result is ``compute()`` (run in the background lane) and answer
    202, or replay the job of an earlier request with the same ``Idempotency-Key``.

    Args:
        services: the services.
        request: the request (its Idempotency-Key header, method and path).
        kind: the job kind, also the scope ``GET /v1/jobs/{id}`` needs.
        key_id: the API key's id.
        patient_id: the patient (None for ad hoc text).
        body: the parsed request body (fingerprint of the request).
        stage: the job's stage while it runs (no PHI).
        compute: the work.
        metrics: the app's metrics (job outcomes).
    """
    timeout = services.settings.api.request_timeout_s
    claim = await run_cpu(timeout, idempotency.claim_request, services, request, key_id,
                          body.model_dump_json().encode())
    if claim is not None and claim.replay is not None:
        return await run_cpu(timeout, replay, services, claim.replay)
    try:
        job_id = await queue_job(
            services, claim, kind=kind, key_id=key_id, patient_id=patient_id, params={},
            submit=lambda job_id: services.jobs.submit(services.jobs.run_result_job, job_id,
                                                       stage, compute, metrics))
    except BaseException:
        idempotency.release(services, claim)
        raise
    return await run_cpu(timeout, accepted, services, job_id)


async def queue_job(services: Services, claim, *, kind: str, key_id: str,
                    patient_id: str | None, params: dict, submit: Callable[[str], None],
                    ) -> str:
    """Create a job, ``submit(job_id)`` its work and record the job under the request's
    Idempotency-Key claim (a retry then gets this job); returns the job id.

    The caller releases the claim when this raises, and answers 202 with
    :func:`accepted` once it returns.
    """
    timeout = services.settings.api.request_timeout_s
    job_id = await run_cpu(timeout, lambda: services.jobs.create(
        kind, patient_id=patient_id, key_id=key_id, params=params))
    submit(job_id)
    await run_cpu(timeout, lambda: idempotency.complete(services, claim, status_code=202,
                                                        job_id=job_id))
    return job_id


async def answer_text_request(services: Services, request: Request, access, *, kind: str,
                              body, compute: Callable[[], BaseModel], stage: str) -> Response:
    """Answer a text request (``/v1/extract``, ``/v1/deid``) at once in its lane, or as a
    job when ``run`` asks for one or the text is above ``api.sync_max_chars``."""
    api = services.settings.api
    if body.run == "async" or (body.run == "auto" and len(body.text) > api.sync_max_chars):
        return await start_result_job(
            services, request, kind=kind, key_id=access.principal.key_id,
            patient_id=body.patient_id, body=body, compute=compute, metrics=access.metrics,
            stage=stage)
    return await run_cpu(api.request_timeout_s, lambda: json_response(compute()),
                         lane=lane_for(len(body.text), api.small_request_chars))
