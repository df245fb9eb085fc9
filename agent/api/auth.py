"""API key authentication and scope checks; every access decision is audited.

Keys come in ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. A key's scopes are
operations (read, write, extract, deid, verify, handoff, chat, admin) times patients (a list
or ``*``). Audit events record the key id, operation, patient id and outcome, never note
text or the request body.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import Request

from agent.api.services import Services
from agent.errors import AuthenticationRequired, PermissionDenied
from agent.store import repository as repo
from agent.store.keys import Principal, verify_key

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


def authenticate(request: Request) -> Access:
    """Verify the request's API key and its rate (dependency of every /v1 route).

    Raises:
        AuthenticationRequired: no key, or an unknown or revoked one (audited).
        RateLimited: the key is above its rate.
    """
    services: Services = request.app.state.services
    metrics = request.app.state.metrics
    route = getattr(request.scope.get("route"), "path", request.url.path)
    request_id = request.scope.get("state", {}).get("request_id", "")
    key = _presented_key(request)
    principal = None
    with services.sessions() as session:
        if key is not None:
            principal = verify_key(session, key, _secret(services))
        if principal is None:
            parts = (key or "").split("_")
            # Only the public key id is recorded, never the secret part.
            key_id = parts[1][:64] if len(parts) >= 3 and parts[0] == "ck" else None
            repo.record_audit(session, key_id=key_id, operation="authenticate",
                              patient_id=None, is_allowed=False,
                              reason="no key" if key is None else "unknown or revoked key",
                              route=route, request_id=request_id)
            session.commit()
    if principal is None:
        metrics.access_denied.labels("authenticate", "no key" if key is None else "bad key").inc()
        raise AuthenticationRequired(
            "no API key was sent; pass Authorization: Bearer <key> or X-API-Key: <key> "
            "(an admin creates keys with clinagent keys create)" if key is None else
            "the API key is unknown or revoked; ask an admin for a valid key")
    request.app.state.rate_limiter.check(principal.key_id)
    request.scope.setdefault("state", {})["key_id"] = principal.key_id
    return Access(principal, services, route, request_id, metrics)
