"""The ``Idempotency-Key`` header on the POST endpoints that create work (notes ingest,
handoffs, extract/deid jobs): a client that retries after a lost answer gets the first
answer (the same job) instead of a second job.

Keys live in the store (``agent.store.idempotency``), so a retry answered by another worker
process finds them; they are scoped to the API key and expire after
``api.idempotency_ttl_s``.
"""

from __future__ import annotations

import hashlib
import re

from fastapi import Request

from agent.api.services import Services
from agent.errors import InputError
from agent.store import idempotency as store
from agent.store.idempotency import Claim

HEADER = "Idempotency-Key"
#: Set on a response that repeats the answer of an earlier request with the same key.
REPLAYED_HEADER = "Idempotent-Replayed"
_VALID = re.compile(r"[\x21-\x7e]{1,200}")


def fingerprint(request: Request, payload: bytes) -> str:
    """Hash of the method, path and body: the request a key was first used for."""
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode())
    digest.update(payload)
    return digest.hexdigest()


def claim_request(services: Services, request: Request, key_id: str,
                  payload: bytes) -> Claim | None:
    """Claim the request's ``Idempotency-Key`` (None when it sent none).

    Raises:
        InputError: the key is not 1-200 visible ASCII characters (422).
        IdempotencyKeyReused: the key was used for another request (422).
        IdempotencyConflict: the first request with the key is still running (409).
    """
    value = request.headers.get(HEADER)
    if value is None:
        return None
    if not _VALID.fullmatch(value):
        raise InputError(HEADER, "must be 1 to 200 visible ASCII characters",
                         fix="Send a new random UUID per distinct request")
    api = services.settings.api
    return store.claim(services.sessions, key_id, value, fingerprint(request, payload),
                       ttl_s=api.idempotency_ttl_s,
                       abandoned_s=max(60.0, 2 * api.request_timeout_s))


def complete(services: Services, claim: Claim | None, *, status_code: int,
             response: dict | None = None, job_id: str | None = None) -> None:
    """Record what a retry with the same key gets (no-op without a key)."""
    if claim is not None and claim.row_id is not None:
        store.complete(services.sessions, claim.row_id, status_code=status_code,
                       response=response, job_id=job_id)


def release(services: Services, claim: Claim | None) -> None:
    """Forget the claim of a failed request (no-op without a key)."""
    if claim is not None and claim.row_id is not None:
        store.release(services.sessions, claim.row_id)
