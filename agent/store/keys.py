"""API keys: minted once, stored as a hash, scoped to operations and patients.

A key reads ``ck_<key_id>_<secret>``: ``key_id`` finds the row, the whole key is hashed
(HMAC-SHA256 with the server secret ``api.key_secret`` when set, else SHA-256; the secret
part has 256 bits, so a plain hash cannot be brute-forced) and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.errors import ConfigError
from agent.schemas.access import EXPLICIT_OPERATIONS, OPERATIONS
from agent.store.models import ApiKeyRow
from agent.store.repository import now_iso

ALL = "*"
# create_key mints 12 hex digits; anything else cannot be a key id.
_KEY_ID = re.compile(r"[0-9a-f]{12}")


@dataclass(frozen=True)
class Principal:
    """The caller behind a verified key."""

    key_id: str
    name: str
    operations: frozenset[str]
    patients: frozenset[str]

    def may(self, operation: str) -> bool:
        """Whether the key has the operation (``admin`` implies every operation)."""
        return operation in self.operations or "admin" in self.operations

    def may_see(self, patient_id: str) -> bool:
        """Whether the key's patient scope covers ``patient_id``."""
        return ALL in self.patients or patient_id in self.patients

    def patient_filter(self) -> list[str] | None:
        """The patient ids the key is limited to, None for all."""
        return None if ALL in self.patients else sorted(self.patients)


def hash_key(key: str, secret: bytes | None) -> tuple[str, str]:
    """``(hex digest, scheme)`` of a key."""
    if secret:
        return hmac.new(secret, key.encode("utf-8"), hashlib.sha256).hexdigest(), "hmac-sha256"
    return hashlib.sha256(key.encode("utf-8")).hexdigest(), "sha256"


def parse_scopes(operations: list[str], patients: list[str]) -> tuple[list[str], list[str]]:
    """Validate and normalise scopes (``*`` = all operations but ``delete`` and ``admin``
    / all patients).

    Raises:
        ConfigError: an unknown operation or an empty patient list.
    """
    ops: set[str] = set()
    for op in operations:
        for part in op.split(","):
            part = part.strip()
            if not part:
                continue
            if part == ALL:
                ops.update(o for o in OPERATIONS if o not in EXPLICIT_OPERATIONS)
            elif part in OPERATIONS:
                ops.add(part)
            else:
                raise ConfigError("--scope", f"unknown operation {part!r}",
                                  f"Use {', '.join(OPERATIONS)} or *")
    pats = sorted({p.strip() for item in patients for p in item.split(",") if p.strip()})
    if not ops:
        raise ConfigError("--scope", "no operation given", f"Pass --scope with "
                          f"{', '.join(OPERATIONS)} or *")
    if not pats:
        raise ConfigError("--patient", "no patient given", "Pass --patient ID (repeatable) "
                          "or --patient '*' for all patients")
    return sorted(ops), [ALL] if ALL in pats else pats


def create_key(session: Session, *, name: str, operations: list[str], patients: list[str],
               secret: bytes | None) -> tuple[str, ApiKeyRow]:
    """Mint a key; the plain key is returned once and never stored.

    Raises:
        ConfigError: invalid scopes.
    """
    ops, pats = parse_scopes(operations, patients)
    key_id = secrets.token_hex(6)
    key = f"ck_{key_id}_{secrets.token_urlsafe(32)}"
    digest, scheme = hash_key(key, secret)
    row = ApiKeyRow(key_id=key_id, name=name, key_hash=digest, hash_scheme=scheme,
                    operations=ops, patients=pats, created_at=now_iso())
    session.add(row)
    session.flush()
    return key, row


def verify_key(session: Session, key: str, secret: bytes | None) -> Principal | None:
    """The principal of a valid, unrevoked key; None when it is unknown or wrong."""
    return check_key(session, key, secret)[0]


def check_key(session: Session, key: str, secret: bytes | None,
              ) -> tuple[Principal | None, str, str]:
    """Verify a presented key and say why it failed.

    Returns:
        ``(principal, reason, key_id)``: the principal of a valid, unrevoked key (reason and
        key id empty), else None, a fixed reason (``malformed key``, ``unknown key``,
        ``revoked key``, ``wrong secret``) and the key id when the presented id exists
        ("" otherwise: a presented id that matches no key is attacker text, never kept).
    """
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "ck" or not _KEY_ID.fullmatch(parts[1]):
        return None, "malformed key", ""
    row = session.get(ApiKeyRow, parts[1])
    if row is None:
        return None, "unknown key", ""
    if row.revoked_at is not None:
        return None, "revoked key", row.key_id
    digest, scheme = hash_key(key, secret if row.hash_scheme == "hmac-sha256" else None)
    if scheme != row.hash_scheme or not hmac.compare_digest(digest, row.key_hash):
        return None, "wrong secret", row.key_id
    principal = Principal(row.key_id, row.name, frozenset(row.operations),
                          frozenset(row.patients))
    return principal, "", ""


def list_keys(session: Session) -> list[ApiKeyRow]:
    """All keys (hashes included; never the keys themselves)."""
    return list(session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at)))


def revoke_key(session: Session, key_id: str) -> bool:
    """Revoke a key; returns whether it existed."""
    row = session.get(ApiKeyRow, key_id)
    if row is None:
        return False
    row.revoked_at = row.revoked_at or now_iso()
    return True
