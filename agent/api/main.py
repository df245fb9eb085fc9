"""``create_app(settings)``: the FastAPI application of ``clinagent serve``.

The extractor and embedder are loaded once per worker process in the lifespan and shared
by its requests (``agent.api.services``); ``clinagent serve --workers N`` runs N such
processes over one store (jobs, rate limits, idempotency keys) and one index (file lock).
"""

from __future__ import annotations

import functools
import logging
from contextlib import asynccontextmanager
from importlib import resources

import anyio
from fastapi import FastAPI
from starlette.routing import Match, Mount
from starlette.types import Scope

from agent.api import docs, problems
from agent.api.auth import AuthGateMiddleware
from agent.api.headers import SecurityHeadersMiddleware
from agent.api.limits import BodyLimitMiddleware, RateLimiter
from agent.api.metrics import Metrics, MetricsMiddleware
from agent.api.openapi import install_openapi
from agent.api.routes import (
    chat,
    coding,
    cohorts,
    deid,
    extract,
    fhir,
    handoff,
    handoffs,
    health,
    jobs,
    medrec,
    notes,
    openai_chat,
    patients,
    privacy,
    verify,
    workspace,
)
from agent.api.services import Services
from agent.config import Settings
from agent.store.retention import purge_on_startup
from agent.version import package_version

logger = logging.getLogger(__name__)

_DESCRIPTION = """On-premises clinical notes agent. Every endpoint under /v1 needs an API key
(`Authorization: Bearer <key>` or `X-API-Key`), created with `clinagent keys create`.
Errors are RFC 9457 problem details. Every generated fact cites note id + offsets and carries
the verifier's verdict."""


class WebFiles(Mount):
    """The web page's files at ``/``, for GET and HEAD outside /v1 only: any other request
    falls through to the API's routes, so a wrong method on an API path is a 405 with
    ``Allow``, not the file server's answer."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = scope.get("path", "")
        if scope.get("method") not in ("GET", "HEAD") or path == "/v1" \
                or path.startswith("/v1/"):
            return Match.NONE, {}
        return super().matches(scope)


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
        # In the store, so every worker process shares each key's limit.
        app.state.rate_limiter = RateLimiter(svc.sessions, settings.api.rate_limit_per_minute,
                                             settings.api.rate_limit_burst)
        await anyio.to_thread.run_sync(svc.start)
        if svc.settings.retention.purge_at_startup:
            await anyio.to_thread.run_sync(functools.partial(
                purge_on_startup, svc.sessions, svc.settings.retention,
                idempotency_ttl_s=svc.settings.api.idempotency_ttl_s))
        logger.info("clinagent service ready")
        try:
            yield
        finally:
            svc.close()

    # /docs is served from packaged files (agent.api.docs), never from a CDN; no /redoc.
    app = FastAPI(title="clinagent", version=package_version(), description=_DESCRIPTION,
                  lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.metrics = Metrics()
    problems.install(app)
    if settings.api.has_docs:
        app.include_router(docs.router)
    for module in (health, notes, extract, deid, verify, handoff, jobs, chat, openai_chat,
                   fhir, patients, workspace, medrec, handoffs, coding, cohorts, privacy):
        app.include_router(module.router)
    install_openapi(app)
    # Middleware, innermost first: the body limit, the authentication gate (before any body
    # is read), CORS (its preflights pass the gate; its headers reach the 401s), metrics,
    # and the security headers on every response.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.api.max_body_bytes)
    app.add_middleware(AuthGateMiddleware)
    if settings.api.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=settings.api.cors_origins,
                           allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "X-API-Key", "Content-Type"])
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(SecurityHeadersMiddleware)
    static = _static_dir()
    if static is not None:
        from fastapi.staticfiles import StaticFiles

        app.routes.append(WebFiles("/", StaticFiles(directory=str(static), html=True),
                                   name="web"))
    return app
