"""Audit records carry types, offsets, recognizers and replacements, never PHI values."""

from __future__ import annotations

from agent.deid.batch import PatientDeidentifier
from agent.schemas.notes import Note

SECRET = b"unit-test-secret-not-for-real-use"
PHI_VALUES = ("Okonjo-Vantreese", "Beatrix", "BMC-3317520", "555-018-2290", "11/30/1957")


def test_when_note_is_audited_then_audit_has_no_phi_and_links_repeats():
    note = Note(patient_id="P-secret-77", note_id="n1", date="2026-01-08", text=(
        "Name: OKONJO-VANTREESE, BEATRIX L   MRN: BMC-3317520   DOB: 11/30/1957\n"
        "Contact: daughter Nadia 555-018-2290. Okonjo-Vantreese stable."))
    for mode in ("surrogate", "redact"):
        deid = PatientDeidentifier(mode=mode, secret=SECRET)
        (_, audit), = deid.run([note])
        dumped = audit.model_dump_json()
        assert not any(v.lower() in dumped.lower() for v in PHI_VALUES)
        assert "P-secret-77" not in dumped
        assert audit.counts["NAME"] >= 2 and audit.entries[0].recognizer
        assert all(e.value_hash for e in audit.entries)


def test_when_no_secret_then_audit_has_no_hashes():
    note = Note(patient_id="p1", note_id="n1", text="Seen by Dr. Thornbury on 3/15.")
    (_, audit), = PatientDeidentifier(mode="redact").run([note])
    assert audit.patient_key is None and all(e.value_hash is None for e in audit.entries)
