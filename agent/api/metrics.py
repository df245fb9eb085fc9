"""Prometheus metrics and the access log, by route template (``/v1/patients/{patient_id}``),
never by raw path: paths carry patient ids, which can be MRNs."""

from __future__ import annotations

import logging
import time
import uuid

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("agent.api.access")

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    """The service's metrics in their own registry (one per app, so tests can build many)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("clinagent_http_requests_total", "HTTP requests",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("clinagent_http_request_seconds", "HTTP request latency",
                                 ["method", "route"], buckets=_BUCKETS, registry=self.registry)
        self.in_flight = Gauge("clinagent_http_in_flight", "Requests being served",
                               registry=self.registry)
        self.access_denied = Counter("clinagent_access_denied_total",
                                     "Requests refused by access control",
                                     ["operation", "reason"], registry=self.registry)
        self.notes_ingested = Counter("clinagent_notes_ingested_total", "Notes stored",
                                      ["status"], registry=self.registry)
        self.jobs = Counter("clinagent_jobs_total", "Background jobs finished", ["status"],
                            registry=self.registry)
        self.verdicts = Counter("clinagent_verdicts_total",
                                "Verifier verdicts on chat and summary statements",
                                ["verdict"], registry=self.registry)
        self.privacy_finds = Counter("clinagent_privacy_monitor_finds_total",
                                     "Possible PHI leaks the output monitor queued for review",
                                     ["type_guess"], registry=self.registry)


# Label values come from these sets only: any other method string, or a path no route
# matched, maps to one fixed value, so odd requests cannot grow /metrics.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "OTHER"
UNMATCHED = "unmatched"


def labels_of(scope: Scope) -> tuple[str, str]:
    """``(route template, method)`` labels of a finished request."""
    method = scope.get("method", "")
    # The web page's files (a mount, no route template) count as unmatched too.
    template = getattr(scope.get("route"), "path", None)
    return template or UNMATCHED, method if method in METHODS else OTHER_METHOD


class MetricsMiddleware:
    """Count and time requests, set ``X-Request-ID`` and write one access log line."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        t0 = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id",
                                                          request_id.encode()))
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.metrics.in_flight.dec()
            seconds = time.perf_counter() - t0
            route, method = labels_of(scope)
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(seconds)
            logger.info("%s %s %d %.1f ms key=%s id=%s", method, route, status,
                        seconds * 1000, scope["state"].get("key_id", "-"), request_id)
