"""``create_app(settings)``: the FastAPI application of ``clinagent serve``.

Run it with one worker: the extractor and embedder are loaded once in the lifespan and
shared by all requests (``agent.api.services``).
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from importlib import resources

import anyio
from fastapi import FastAPI

from agent.api import problems
from agent.api.limits import BodyLimitMiddleware, RateLimiter
from agent.api.metrics import Metrics, MetricsMiddleware
from agent.api.routes import (
    chat,
    deid,
    extract,
    fhir,
    handoff,
    health,
    jobs,
    notes,
    openai_chat,
    verify,
)
from agent.api.services import Services
from agent.config import Settings
from agent.version import package_version

logger = logging.getLogger(__name__)

_DESCRIPTION = """On-premises clinical notes agent. Every endpoint under /v1 needs an API key
(`Authorization: Bearer <key>` or `X-API-Key`), created with `clinagent keys create`.
Errors are RFC 9457 problem details. Every generated fact cites note id + offsets and carries
the verifier's verdict."""


def _static_dir():
    folder = resources.files("agent.api").joinpath("static")
    return folder if folder.is_dir() else None


def create_app(settings: Settings, *, services: Services | None = None) -> FastAPI:
    """Build the application.

    Args:
        settings: all settings (``settings.api`` for store, limits, CORS).
        services: ready services (tests pass one with a shared extractor and a small
            embedder); None builds them from ``settings`` at startup.

    Returns:
        The FastAPI app; the lifespan migrates the store, loads the models and reconciles
        the index before the first request.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        svc = services if services is not None else Services(settings)
        app.state.services = svc
        await anyio.to_thread.run_sync(svc.start)
        logger.info("clinagent service ready")
        try:
            yield
        finally:
            svc.close()

    app = FastAPI(title="clinagent", version=package_version(), description=_DESCRIPTION,
                  lifespan=lifespan)
    app.state.metrics = Metrics()
    app.state.rate_limiter = RateLimiter(settings.api.rate_limit_per_minute,
                                         settings.api.rate_limit_burst)
    problems.install(app)
    for module in (health, notes, extract, deid, verify, handoff, jobs, chat, openai_chat,
                   fhir):
        app.include_router(module.router)
    if settings.api.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=settings.api.cors_origins,
                           allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "X-API-Key", "Content-Type"])
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.api.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    static = _static_dir()
    if static is not None:
        from fastapi.staticfiles import StaticFiles

        app.mount("/", StaticFiles(directory=str(static), html=True), name="web")
    return app
