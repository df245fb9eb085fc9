"""Audit records: what was found in a note and what it became, never the original value."""

from __future__ import annotations

from collections import Counter

from agent.deid.surrogates import patient_key, value_hash
from agent.schemas.deid import AuditEntry, AuditRecord, PhiReplacement, PhiSpan


def build_audit(*, note_id: str, patient_id: str, text: str, spans: list[PhiSpan],
                replacements: list[PhiReplacement], mode: str, secret: bytes | None,
                pack_sha256: str, package_version: str, is_date_shifted: bool,
                ) -> AuditRecord:
    """One note's audit record.

    Original values appear only as ``value_hash`` (HMAC with the secret, None without one);
    lengths and offsets are kept so a reviewer holding the source can check each span.
    """
    by_start = {r.start: r for r in replacements}
    entries = []
    for s in spans:
        rep = by_start[s.start]
        entries.append(AuditEntry(
            type=s.entity_type, start=s.start, end=s.end, length=s.end - s.start,
            recognizer=s.recognizer, score=s.score, operator=mode,
            replacement=rep.replacement,
            value_hash=value_hash(secret, s.entity_type, text[s.start:s.end]) if secret else None,
        ))
    return AuditRecord(
        note_id=note_id, patient_key=patient_key(secret, patient_id) if secret else None,
        mode=mode, is_date_shifted=is_date_shifted,
        counts=dict(Counter(s.entity_type for s in spans)), entries=entries,
        pack_sha256=pack_sha256, package_version=package_version,
    )
