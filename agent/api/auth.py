"""API key authentication and scope checks; every access decision is audited.

Keys come in ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. A key's scopes are
operations (read, write, extract, deid, verify, handoff, chat, code, cohort, privacy, delete,
admin) times patients (a list or ``*``). Audit events record the key id, operation, patient
id and outcome, never note text or the request body. Failed authentications are counted per
window, client address and reason (``auth_failures``), not one row per attempt, and an
address above ``api.auth_failure_limit`` gets 429 until its window ends.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from dataclasses import dataclass

import anyio
from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from agent.api.problems import problem, status_of
from agent.api.services import Services
from agent.errors import AccessError, AuthenticationRequired, PermissionDenied, RateLimited
from agent.store import repository as repo
from agent.store.keys import Principal, check_key
from agent.store.limits import (
    auth_failure_clients,
    auth_failures,
    auth_window,
    count_auth_failure,
)

logger = logging.getLogger(__name__)


def _secret(services: Services) -> bytes | None:
    secret = services.settings.api.key_secret
    return secret.get_secret_value().encode("utf-8") if secret is not None else None


def _presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return auth[7:].strip()
    key = request.headers.get("x-api-key", "").strip()
    return key or None


@dataclass
class Access:
    """The authenticated caller of one request and the means to check its scopes."""

    principal: Principal
    services: Services
    route: str
    request_id: str
    metrics: object | None = None

    def _audit(self, operation: str, patient_id: str | None, is_allowed: bool,
               reason: str) -> None:
        with self.services.sessions() as session:
            repo.record_audit(session, key_id=self.principal.key_id, operation=operation,
                              patient_id=patient_id, is_allowed=is_allowed, reason=reason,
                              route=self.route, request_id=self.request_id)
            session.commit()

    def require(self, operation: str, patient_id: str | None = None) -> None:
        """Allow ``operation`` (on ``patient_id`` when given) or raise 403; audited.

        Raises:
            PermissionDenied: the key lacks the operation or the patient.
        """
        self.require_all(operation, [patient_id] if patient_id is not None else [])

    def require_all(self, operation: str, patient_ids: list[str]) -> None:
        """Allow ``operation`` on every patient of ``patient_ids`` or raise 403 (one audit
        event per patient, or one without a patient when the list is empty).

        Raises:
            PermissionDenied: the key lacks the operation or one of the patients.
        """
        targets: list[str | None] = sorted(set(patient_ids)) or [None]
        if not self.principal.may(operation):
            for pid in targets:
                self._audit(operation, pid, False, "operation not in scope")
            self._count(operation, "operation")
            raise PermissionDenied(f"API key {self.principal.key_id} has no {operation!r} "
                                   "scope; ask an admin for a key with it "
                                   "(clinagent keys create --scope ...)")
        denied = [pid for pid in targets if pid is not None and not self.principal.may_see(pid)]
        for pid in targets:
            self._audit(operation, pid, pid not in denied,
                        "patient not in scope" if pid in denied else "")
        if denied:
            self._count(operation, "patient")
            raise PermissionDenied(f"API key {self.principal.key_id} may not {operation} "
                                   f"{len(denied)} of the requested patient(s); ask an admin "
                                   "for a key whose --patient scope includes them")

    def _count(self, operation: str, reason: str) -> None:
        if self.metrics is not None:
            self.metrics.access_denied.labels(operation, reason).inc()


# A flood from many addresses (or IPv6 prefixes) grows the failure counts by at most this
# many rows per window and reason; later addresses share one "other" row (and its limit).
MAX_CLIENTS_PER_WINDOW = 1000
OTHER_CLIENTS = "other"


def client_address(scope: Scope) -> str:
    """The client's address as a normalised IP (an IPv6 address as its /64 prefix, which one
    host can rotate through), or ``unknown``; never the raw text of a header.

    Behind a reverse proxy the address is the proxy's unless uvicorn trusts its forwarded
    headers (``FORWARDED_ALLOW_IPS``).
    """
    client = scope.get("client")
    try:
        address = ipaddress.ip_address(client[0]) if client else None
    except ValueError:
        return "unknown"
    if address is None:
        return "unknown"
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))


def _count_failure(services: Services, session, client: str, reason: str,
                   key_id: str) -> int | None:
    """Count one failed authentication (one aggregated row per window, client, reason and key
    id) and return the seconds to wait when the client is above ``api.auth_failure_limit``,
    else None."""
    api = services.settings.api
    window, remaining = auth_window(time.time(), api.auth_failure_window_s)
    seen = auth_failures(session, window, client)
    if seen == 0 and auth_failure_clients(session, window) >= MAX_CLIENTS_PER_WINDOW:
        client = OTHER_CLIENTS
        seen = auth_failures(session, window, client)
    is_over = api.auth_failure_limit > 0 and seen >= api.auth_failure_limit
    count_auth_failure(session, window_start=window, client=client,
                       reason="rate limited" if is_over else reason, key_id=key_id,
                       stamp=repo.now_iso())
    session.commit()
    return max(1, math.ceil(remaining)) if is_over else None


def _authenticate(request: Request) -> Access:
    services: Services = request.app.state.services
    metrics = request.app.state.metrics
    request_id = request.scope.get("state", {}).get("request_id", "")
    key = _presented_key(request)
    with services.sessions() as session:
        if key is None:
            principal, reason, key_id = None, "no key", ""
        else:
            principal, reason, key_id = check_key(session, key, _secret(services))
        wait = None
        if principal is None:
            wait = _count_failure(services, session, client_address(request.scope), reason,
                                  key_id)
    if wait is not None:
        metrics.access_denied.labels("authenticate", "rate limited").inc()
        raise RateLimited(f"too many failed authentications from this address; retry in "
                          f"{wait} s with a valid API key", retry_after=wait)
    if principal is None:
        metrics.access_denied.labels("authenticate", "no key" if key is None else "bad key").inc()
        raise AuthenticationRequired(
            "no API key was sent; pass Authorization: Bearer <key> or X-API-Key: <key> "
            "(an admin creates keys with clinagent keys create)" if key is None else
            "the API key is unknown or revoked; ask an admin for a valid key")
    request.app.state.rate_limiter.check(principal.key_id)
    request.scope.setdefault("state", {})["key_id"] = principal.key_id
    return Access(principal, services, "", request_id, metrics)


def authenticate(request: Request) -> Access:
    """The request's authenticated caller (dependency of every /v1 route).

    :class:`AuthGateMiddleware` has authenticated the request before its body was read;
    without the gate (an app built otherwise) the key is verified here.

    Raises:
        AuthenticationRequired: no key, or an unknown or revoked one (counted).
        RateLimited: the key is above its rate, or the address above its failures.
    """
    access = request.scope.get("state", {}).get("access")
    if access is None:
        access = _authenticate(request)
    access.route = getattr(request.scope.get("route"), "path", "")
    return access


def optional_admin(request: Request) -> bool:
    """Whether the request carries a valid admin-scoped key (``/readyz`` details). No key is
    not a failure; a wrong one is counted like any failed authentication (and never raises:
    the probe still gets its status)."""
    services: Services = request.app.state.services
    key = _presented_key(request)
    if key is None:
        return False
    with services.sessions() as session:
        principal, reason, key_id = check_key(session, key, _secret(services))
        if principal is None:
            _count_failure(services, session, client_address(request.scope), reason, key_id)
            return False
    return principal.may("admin")


def _is_gated(scope: Scope) -> bool:
    path = scope.get("path", "")
    # CORS preflights (OPTIONS) carry no credentials; no /v1 route answers OPTIONS.
    return scope["type"] == "http" and scope.get("method") != "OPTIONS" and (
        path == "/v1" or path.startswith("/v1/"))


class AuthGateMiddleware:
    """Authenticate every /v1 request before the app reads its body, so an unauthenticated
    caller gets 401 (or 429) and costs no body read or parse: malformed JSON without a key is
    a 401, not a 422. The :class:`Access` is left in the scope for :func:`authenticate`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_gated(scope):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            access = await anyio.to_thread.run_sync(_authenticate, request)
        except AccessError as e:
            status, title = status_of(e)
            headers = {"Retry-After": str(e.retry_after)} if e.retry_after is not None else None
            await problem(status, title, str(e), instance=None, headers=headers)(
                scope, receive, send)
            return
        scope.setdefault("state", {})["access"] = access
        await self.app(scope, receive, send)
