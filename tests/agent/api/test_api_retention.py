"""Retention and erasure through the service: ``DELETE /v1/patients/{id}`` leaves nothing of
the patient in the store or the index; expired rows are purged (at startup and on demand);
summaries can be kept out of the store."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

# A synthetic patient whose notes carry a distinctive word, to look for it everywhere.
MARK = "Quillfeather"
PATIENT = "Q900"
NOTES = [
    {"patient_id": PATIENT, "note_id": "Q900-n1", "note_type": "progress", "date": "2026-04-01",
     "text": f"Patient {MARK} seen. Assessment: Hypertension. Plan: continue lisinopril 10 mg "
             "daily. Allergies: penicillin (rash)."},
    {"patient_id": PATIENT, "note_id": "Q900-n2", "note_type": "progress", "date": "2026-04-02",
     "text": f"{MARK} doing well. Hypertension stable. Continue lisinopril 10 mg daily. "
             "Pending: basic metabolic panel."},
]


def _wait(api, job: dict, headers: dict) -> dict:
    deadline = time.monotonic() + 120
    while job["status"] not in ("succeeded", "failed") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = api.client.get(f"/v1/jobs/{job['job_id']}", headers=headers).json()
    assert job["status"] == "succeeded", job.get("error")
    return job


def _table_dump(services, skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """Every row of every table as text, by table name."""
    from agent.store.models import Base

    out = {}
    with services.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = conn.execute(select(table)).all()
            out[table.name] = json.dumps([[str(v) for v in row] for row in rows])
    return out


@pytest.fixture(scope="module")
def erased(api):
    """Q900 ingested, summarized (stored summary, extractions, a finished job), then
    deleted with a delete-scoped key; returns the DELETE answer and that key."""
    # With an Idempotency-Key: the stored answer lists the note ids.
    r = api.client.post("/v1/notes", json={"notes": NOTES},
                        headers={**api.admin, "Idempotency-Key": "ingest-q900"})
    assert r.status_code == 200, r.text
    owner = api.key(["*"], [PATIENT])
    r = api.client.post(f"/v1/patients/{PATIENT}/handoff", json={"run": "sync"}, headers=owner)
    assert r.status_code == 200, r.text
    r = api.client.post(f"/v1/patients/{PATIENT}/handoff", json={"run": "async"},
                        headers=owner)
    _wait(api, r.json(), owner)
    before = _table_dump(api.services)
    assert MARK in before["notes"] and PATIENT in before["summaries"]
    assert PATIENT in before["jobs"] and "Q900-n1" in before["extractions"]
    assert "Q900-n1" in before["idempotency_keys"]
    assert api.services.index.note_entry("Q900-n1") is not None
    deleter = api.key(["delete"], [PATIENT])
    r = api.client.delete(f"/v1/patients/{PATIENT}", headers=deleter)
    return r, deleter


def test_when_key_has_star_scope_or_other_patient_then_delete_is_403(api):
    star = api.key(["*"], ["P001"])
    other = api.key(["delete"], ["P002"])
    assert api.client.delete("/v1/patients/P001", headers=star).status_code == 403
    assert api.client.delete("/v1/patients/P001", headers=other).status_code == 403
    assert api.client.get("/v1/patients/P001/notes", headers=api.admin).status_code == 200


def test_when_patient_is_deleted_then_counts_of_what_was_removed_are_returned(erased):
    r, _ = erased
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["patient_id"] == PATIENT
    assert body["notes"] == 2 and body["extractions"] == 2
    assert body["summaries"] == 2 and body["jobs"] == 1
    assert body["index_notes"] == 2 and body["index_chunks"] >= 2
    assert body["other_rows"] == {"idempotency_keys": 1}


def test_when_patient_is_deleted_then_nothing_of_it_remains_in_any_table(api, erased):
    dump = _table_dump(api.services)
    note_ids = [n["note_id"] for n in NOTES]
    for name, text in dump.items():
        # Nowhere: the note text, the note ids.
        assert MARK not in text, name
        assert not any(nid in text for nid in note_ids), name
        # The patient id stays only in the access record (audit events, like every access
        # decision) and in the scopes of the keys that named it.
        if name not in ("audit_events", "api_keys"):
            assert PATIENT not in text, name
    # The other patient is untouched.
    assert api.client.get("/v1/patients/P001/notes", headers=api.admin).status_code == 200


def test_when_patient_is_deleted_then_the_index_holds_nothing_of_it(api, erased):
    services = api.services
    folder = services.settings.api.resolved_index_dir()
    manifest = (folder / "manifest.json").read_text()
    chunks = (folder / "chunks.jsonl").read_text()
    assert PATIENT not in manifest and "Q900-n1" not in manifest
    assert PATIENT not in chunks and MARK not in chunks
    # Compacted: no deleted row (and so no vector of the patient) is left on disk.
    assert "null" not in chunks.split()
    data = json.loads(manifest)
    assert data["deleted_rows"] == 0 and data["note_count"] > 0
    assert len(services.index.patient_rows(PATIENT)) == 0
    hits = services.search_retriever().search(f"{MARK} lisinopril", patient_id=PATIENT, k=5)
    assert hits == []


def test_when_patient_is_deleted_then_the_erasure_is_audited_without_phi(api, erased):
    from agent.store import repository as repo

    _, deleter = erased
    with api.services.sessions() as session:
        events = [e for e in repo.audit_events(session, patient_id=PATIENT, limit=50)
                  if e.operation == "delete"]
    outcome = [e for e in events if e.reason.startswith("patient erased")]
    assert len(outcome) == 1 and outcome[0].is_allowed
    assert outcome[0].key_id == deleter["Authorization"].split("_")[1]
    assert outcome[0].reason.startswith("patient erased: 2 notes, 2 extractions, 2 summaries")
    assert all(MARK not in e.reason and "Q900-n" not in e.reason for e in events)


def test_when_patient_was_already_deleted_then_delete_is_404(api, erased):
    _, deleter = erased
    assert api.client.delete(f"/v1/patients/{PATIENT}", headers=deleter).status_code == 404
    r = api.client.get(f"/v1/patients/{PATIENT}/notes", headers=api.admin)
    assert r.status_code == 404


def test_when_a_job_of_the_patient_runs_then_delete_is_409_and_nothing_is_removed(api):
    from agent.store import repository as repo

    note = {**NOTES[0], "patient_id": "Q901", "note_id": "Q901-n1"}
    assert api.client.post("/v1/notes", json={"notes": [note]},
                           headers=api.admin).status_code == 200
    with api.services.sessions() as session:
        job = repo.create_job(session, "handoff", patient_id="Q901", key_id=None, params={})
        repo.update_job(session, job.job_id, status="running")
        session.commit()
    r = api.client.delete("/v1/patients/Q901", headers=api.admin)
    assert r.status_code == 409 and r.headers["content-type"].startswith(
        "application/problem+json")
    assert api.client.get("/v1/patients/Q901/notes", headers=api.admin).status_code == 200
    with api.services.sessions() as session:
        repo.update_job(session, job.job_id, status="failed")
        session.commit()
    assert api.client.delete("/v1/patients/Q901", headers=api.admin).status_code == 200


def test_when_rows_are_older_than_their_retention_then_purge_removes_them(api):
    from agent.config import RetentionSettings
    from agent.store import repository as repo
    from agent.store.models import ExtractionRow, JobRow, SummaryRow
    from agent.store.retention import purge_expired

    note = {**NOTES[0], "patient_id": "R1", "note_id": "R1-n1"}
    assert api.client.post("/v1/notes", json={"notes": [note]},
                           headers=api.admin).status_code == 200
    assert api.client.post("/v1/patients/R1/handoff", json={"run": "sync"},
                           headers=api.admin).status_code == 200  # caches the extraction
    with api.services.sessions() as session:
        summary_id = repo.save_summary(session, "R1", "extractive", {"x": 1})
        done = repo.create_job(session, "handoff", patient_id="R1", key_id=None, params={})
        repo.update_job(session, done.job_id, status="succeeded")
        running = repo.create_job(session, "handoff", patient_id="R1", key_id=None, params={})
        repo.update_job(session, running.job_id, status="running")
        session.commit()
        extractions = session.query(ExtractionRow).count()
    assert extractions
    later = datetime.now(UTC) + timedelta(days=31)
    with api.services.sessions() as session:
        kept = purge_expired(session, RetentionSettings(summaries_days=60), now=later)
        assert kept.total == 0 and session.get(SummaryRow, summary_id) is not None
        report = purge_expired(session, RetentionSettings(
            summaries_days=30, jobs_days=30, extractions_days=30), now=later)
        session.commit()
        assert session.get(SummaryRow, summary_id) is None
        assert session.get(JobRow, done.job_id) is None
        assert session.get(JobRow, running.job_id) is not None  # still working: kept
        assert session.query(ExtractionRow).count() == 0
    assert report.jobs >= 1 and report.summaries >= 1 and report.extractions == extractions
    with api.services.sessions() as session:
        repo.update_job(session, running.job_id, status="failed")
        session.commit()


def test_when_idempotent_answers_and_auth_counts_are_old_then_purge_removes_them(api):
    from agent.config import RetentionSettings
    from agent.store.models import AuthFailureRow, IdempotencyRow
    from agent.store.retention import purge_expired

    old = "2020-01-01T00:00:00.000+00:00"
    with api.services.sessions() as session:
        session.add(IdempotencyRow(key_id="k", idempotency_key="retry-1", request_sha256="0" * 64,
                                   is_done=True, status_code=200,
                                   response={"notes": ["R9-n1"]}, created_at=old))
        session.add(AuthFailureRow(window_start=old, client="203.0.113.0", reason="bad key",
                                   key_id="", count=3, first_at=old, last_at=old))
        session.commit()
        kept = purge_expired(session, RetentionSettings(auth_failures_days=None))
        assert kept.idempotency_keys == 0 and kept.auth_failures == 0
        report = purge_expired(session, RetentionSettings(auth_failures_days=90),
                               idempotency_ttl_s=86400)
        session.commit()
        assert report.idempotency_keys == 1 and report.auth_failures == 1
        assert session.query(IdempotencyRow).filter_by(idempotency_key="retry-1").count() == 0


def test_when_summaries_are_not_stored_then_expired_rows_go_at_startup_and_handoffs_are_not_kept(
        tmp_path, extractor, fake_embedder):
    from agent.api.main import create_app
    from agent.api.services import Services
    from agent.config import Settings
    from agent.store import repository as repo
    from agent.store.engine import upgrade
    from agent.store.keys import create_key
    from agent.store.models import SummaryRow

    settings = Settings(api={"data_dir": tmp_path}, retention={"store_summaries": False})
    services = Services(settings, extractor=extractor, embedder=fake_embedder)
    upgrade(services.engine)
    with services.sessions() as session:
        repo.save_summary(session, "R2", "extractive", {"x": 1})  # stored before the switch
        key, _ = create_key(session, name="t", operations=["admin"], patients=["*"],
                            secret=None)
        session.commit()
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(settings, services=services)) as client:
        with services.sessions() as session:
            assert session.query(SummaryRow).count() == 0  # purged at startup
        assert client.post("/v1/notes", json={"notes": NOTES}, headers=headers).status_code \
            == 200
        r = client.post(f"/v1/patients/{PATIENT}/handoff", json={"run": "sync"},
                        headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["summary_id"] is None and r.json()["summary"]["statements"]
        with services.sessions() as session:
            assert session.query(SummaryRow).count() == 0
