"""``GET /healthz`` (liveness), ``GET /readyz`` (store, index, LLM backend; details for
admins only) and ``GET /metrics`` (Prometheus)."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from agent.api.auth import optional_admin
from agent.api.deps import ServicesDep
from agent.api.limits import run_cpu
from agent.errors import ClinicalAgentError
from agent.schemas.api import CheckResult, HealthResponse, ReadyResponse
from agent.store.engine import current_revision, ping
from agent.version import package_version

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthResponse)
async def healthz() -> HealthResponse:
    """The process is up (answers even while models work in the thread pool)."""
    return HealthResponse(version=package_version())


def _checks(services) -> dict[str, CheckResult]:
    checks: dict[str, CheckResult] = {}
    try:
        ping(services.engine)
        checks["store"] = CheckResult(is_ok=True, detail=f"{services.engine.dialect.name}, "
                                      f"schema {current_revision(services.engine)}")
    except Exception as e:  # any driver error means not ready; the type says which
        checks["store"] = CheckResult(is_ok=False, detail=type(e).__name__)
    index = services.index
    if index is None or not services.is_started:
        checks["index"] = CheckResult(is_ok=False, detail="not loaded yet")
    else:
        with services.index_lock:
            m = index.manifest
            checks["index"] = CheckResult(is_ok=True, detail=f"{len(m.notes)} notes, "
                                          f"{m.index_type}, {m.embedder_id}")
    try:
        checks["llm"] = CheckResult(is_ok=True, detail=services.backend.check())
    except ClinicalAgentError as e:
        checks["llm"] = CheckResult(is_ok=False, detail=str(e))
    return checks


@router.get("/readyz", response_model=ReadyResponse,
            responses={503: {"model": ReadyResponse}})
async def readyz(request: Request, services: ServicesDep):
    """``ready`` (200): store, index and LLM backend reachable; ``degraded`` (200): the LLM
    backend is not, extractive answers still work; ``unavailable`` (503): store or index
    down. The per-check details (LLM URL, database dialect, note count) only for a key with
    the ``admin`` scope; anyone else gets the status alone."""
    checks = await run_cpu(10.0, _checks, services)
    is_admin = await anyio.to_thread.run_sync(optional_admin, request)
    shown = checks if is_admin else None
    if not (checks["store"].is_ok and checks["index"].is_ok):
        body = ReadyResponse(status="unavailable", checks=shown)
        return JSONResponse(body.model_dump(mode="json"), status_code=503)
    return ReadyResponse(status="ready" if checks["llm"].is_ok else "degraded", checks=shown)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text format (route templates only, no ids)."""
    return Response(generate_latest(request.app.state.metrics.registry),
                    media_type=CONTENT_TYPE_LATEST)
