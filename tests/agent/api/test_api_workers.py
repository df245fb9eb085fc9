"""Several workers over one store and one index: jobs with leases, idempotency keys in the
store, and index writes under a file lock with reloads; then ``clinagent serve --workers 2``
as real processes."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from test_api_serve_process import Server

from agent.errors import IdempotencyConflict, IdempotencyKeyReused


def _settings(folder, **api):
    from agent.config import Settings

    return Settings(api={"data_dir": folder, "rate_limit_per_minute": 100_000,
                         "rate_limit_burst": 10_000, **api})


def _note(pid: str, nid: str, text: str) -> dict:
    return {"patient_id": pid, "note_id": nid, "text": text}


# ---- the store: SQLite, and PostgreSQL when CLINAGENT_TEST_POSTGRES_URL is set ----------------

@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request, tmp_path):
    from sqlalchemy import text

    from agent.store.engine import make_engine, make_sessionmaker, upgrade

    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    else:
        url = os.environ.get("CLINAGENT_TEST_POSTGRES_URL")
        if url is None:
            pytest.skip("no PostgreSQL: set CLINAGENT_TEST_POSTGRES_URL (see .ci/run)")
        engine = make_engine(url)
        with engine.begin() as conn:  # a database the tests own: start empty
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


def test_when_a_worker_starts_then_live_jobs_kept_and_dead_or_stopped_workers_jobs_failed(
        sessions, tmp_path):
    from agent.api.job_runner import JobRunner
    from agent.store import repository as repo

    api = _settings(tmp_path, job_lease_s=1.0).api
    alive, dead = JobRunner(sessions, api), JobRunner(sessions, api)
    alive.start()
    try:
        live_job = alive.create("extract", patient_id=None, key_id=None, params={})
        dead_job = dead.create("extract", patient_id=None, key_id=None, params={})
        starting = JobRunner(sessions, api)
        assert starting.start() == 0  # both leases are fresh
        starting.close()
        time.sleep(1.6)  # `dead` never renews; `alive` renews every third of the lease
        alive.reap()  # its renewal thread may have done it already
        with sessions() as session:
            assert repo.get_job(session, live_job).status == "queued"
            failed = repo.get_job(session, dead_job)
        assert failed.status == "failed" and "worker" in failed.error
        alive.close()  # a worker that stops cleanly fails its unfinished jobs at once
        with sessions() as session:
            stopped = repo.get_job(session, live_job)
        assert stopped.status == "failed" and "stopped" in stopped.error
    finally:
        alive.close()


def test_when_first_request_still_runs_then_retry_conflicts(sessions):
    from agent.store.idempotency import claim, complete

    first = claim(sessions, "k1", "key", "sha-a", ttl_s=600, abandoned_s=600)
    with pytest.raises(IdempotencyConflict):
        claim(sessions, "k1", "key", "sha-a", ttl_s=600, abandoned_s=600)
    with pytest.raises(IdempotencyKeyReused):
        claim(sessions, "k1", "key", "sha-b", ttl_s=600, abandoned_s=600)
    # Keys are per API key: another client may use the same value.
    assert claim(sessions, "k2", "key", "sha-b", ttl_s=600, abandoned_s=600).row_id
    complete(sessions, first.row_id, status_code=200, response={"ok": 1})
    assert claim(sessions, "k1", "key", "sha-a", ttl_s=600,
                 abandoned_s=600).replay.response == {"ok": 1}
    # A claim never completed (its worker died) is taken over after `abandoned_s`.
    stuck = claim(sessions, "k1", "stuck", "sha-c", ttl_s=600, abandoned_s=600)
    time.sleep(0.01)
    retry = claim(sessions, "k1", "stuck", "sha-c", ttl_s=600, abandoned_s=0.001)
    assert retry.row_id == stuck.row_id and retry.replay is None


def test_when_two_requests_claim_one_key_at_once_then_exactly_one_runs(sessions):
    from agent.store.idempotency import claim

    outcomes: list[str] = []

    def one() -> None:
        try:
            claim(sessions, "k1", "race", "sha", ttl_s=600, abandoned_s=600)
            outcomes.append("claimed")
        except IdempotencyConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["claimed"] + ["conflict"] * 7


# ---- idempotency -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def app(tmp_path_factory, extractor, fake_embedder, demo):
    from agent.api.main import create_app
    from agent.api.services import Services
    from agent.store.keys import create_key

    settings = _settings(tmp_path_factory.mktemp("workers"), sync_handoff_max_notes=0)
    services = Services(settings, extractor=extractor, embedder=fake_embedder)
    with TestClient(create_app(settings, services=services)) as client:
        with services.sessions() as session:
            key, _ = create_key(session, name="t", operations=["*"], patients=["*"],
                                secret=None)
            session.commit()
        headers = {"Authorization": f"Bearer {key}"}
        r = client.post("/v1/notes", json={"notes": demo("P001")}, headers=headers)
        assert r.status_code == 200
        yield client, services, headers


def test_when_handoff_retried_with_same_idempotency_key_then_same_job(app):
    client, services, headers = app
    h = {**headers, "Idempotency-Key": "handoff-retry-1"}
    first = client.post("/v1/patients/P001/handoff", json={"format": "json"}, headers=h)
    again = client.post("/v1/patients/P001/handoff", json={"format": "json"}, headers=h)
    assert first.status_code == again.status_code == 202, first.text
    assert again.json()["job_id"] == first.json()["job_id"]
    assert again.headers["idempotent-replayed"] == "true"
    other = client.post("/v1/patients/P001/handoff", json={"format": "markdown"}, headers=h)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
    fresh = client.post("/v1/patients/P001/handoff", json={"format": "json"},
                        headers={**headers, "Idempotency-Key": "handoff-retry-2"})
    assert fresh.json()["job_id"] != first.json()["job_id"]


def test_when_notes_retried_with_same_key_then_first_answer_replayed(app):
    client, services, headers = app
    h = {**headers, "Idempotency-Key": "ingest-1"}
    body = {"notes": [_note("P009", "P009-a", "Started lisinopril 10 mg daily.")]}
    first = client.post("/v1/notes", json=body, headers=h)
    again = client.post("/v1/notes", json=body, headers=h)
    assert first.status_code == again.status_code == 200
    assert first.json()["created"] == 1 and again.json() == first.json()
    assert "idempotent-replayed" not in first.headers
    bad = client.post("/v1/notes", json=body, headers={**headers, "Idempotency-Key": "x" * 201})
    assert bad.status_code == 422


# ---- the index shared by workers --------------------------------------------------------------

def test_when_two_workers_write_the_index_at_once_then_no_note_is_lost(
        tmp_path, extractor, fake_embedder, demo):
    from agent.api.services import Services
    from agent.notes import note_from_record

    settings = _settings(tmp_path)
    a = Services(settings, extractor=extractor, embedder=fake_embedder)
    b = Services(settings, extractor=extractor, embedder=fake_embedder)
    # Worker processes have an extractor each; these two share the test session's one.
    b.extract_lock = a.extract_lock
    for svc in (a, b):
        svc.start()
    try:
        notes = {pid: [note_from_record(n, source="t", line=None, max_chars=10**6)
                       for n in demo(pid)] for pid in ("P001", "P002")}
        threads = [threading.Thread(target=a.index_notes, args=(notes["P001"],)),
                   threading.Thread(target=b.index_notes, args=(notes["P002"],))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        want = {n.note_id for ns in notes.values() for n in ns}
        # Each worker sees the other's notes (it reloads the index when the manifest changed).
        for svc, pid in ((a, "P002"), (b, "P001")):
            hits = svc.search_retriever().search("medications", patient_id=pid, k=3)
            assert hits and all(h.patient_id == pid for h in hits)
            with svc.index_lock:
                assert want <= set(svc.index.manifest.notes)
    finally:
        a.close()
        b.close()


# ---- clinagent serve --workers 2 ---------------------------------------------------------------

def _both_workers_up(server: Server, timeout_s: float = 180) -> None:
    end = time.monotonic() + timeout_s
    while server.logs[-1].read_text(errors="replace").count("Application startup complete") < 2:
        assert time.monotonic() < end, "the second worker did not start"
        time.sleep(0.5)


def _job_owner_pid(server: Server, job_id: str) -> int:
    with sqlite3.connect(server.folder / "data" / "clinagent.db") as db:
        owner = db.execute("SELECT owner FROM jobs WHERE job_id = ?", (job_id,)).fetchone()[0]
    return int(owner.split(":")[1])


def _poll(server: Server, job_id: str, until: set[str], timeout_s: float) -> dict:
    end = time.monotonic() + timeout_s
    while True:
        # A new connection each time: either worker may answer.
        job = httpx.get(f"{server.url}/v1/jobs/{job_id}", headers=server.headers,
                        timeout=30).json()
        if job["status"] in until or time.monotonic() > end:
            return job
        time.sleep(0.2)


@pytest.fixture(scope="module")
def workers(tmp_path_factory, servers, demo):
    server = Server(tmp_path_factory.mktemp("serve2"), servers, workers=2)
    server.env.update({"CLINAGENT_API__JOB_LEASE_S": "3",
                       "CLINAGENT_API__SYNC_HANDOFF_MAX_NOTES": "0",
                       "CLINAGENT_API__SYNC_MAX_CHARS": "20000"})
    server.headers = server.create_key()
    server.start()
    _both_workers_up(server)
    r = httpx.post(server.url + "/v1/notes", json={"notes": demo("P001")},
                   headers=server.headers, timeout=300)
    assert r.status_code == 200, r.text
    yield server
    server.stop()


@pytest.mark.process
def test_when_two_workers_then_job_and_idempotency_key_are_shared(workers):
    h = {**workers.headers, "Idempotency-Key": "two-workers-1"}
    url = f"{workers.url}/v1/patients/P001/handoff"
    first = httpx.post(url, json={"format": "markdown"}, headers=h, timeout=60)
    assert first.status_code == 202, first.text
    job_id = first.json()["job_id"]
    retries = [httpx.post(url, json={"format": "markdown"}, headers=h, timeout=60)
               for _ in range(6)]
    assert {r.json()["job_id"] for r in retries} == {job_id}
    job = _poll(workers, job_id, {"succeeded", "failed"}, 300)
    assert job["status"] == "succeeded", job
    assert job["result"]["markdown"]
    # With the worker that ran the job paused, the other worker answers for it.
    owner = _job_owner_pid(workers, job_id)
    os.kill(owner, signal.SIGSTOP)
    try:
        for _ in range(3):
            again = httpx.get(f"{workers.url}/v1/jobs/{job_id}", headers=workers.headers,
                              timeout=30)
            assert again.status_code == 200 and again.json()["status"] == "succeeded"
            assert again.json()["result"]["markdown"] == job["result"]["markdown"]
    finally:
        os.kill(owner, signal.SIGCONT)


@pytest.mark.process
def test_when_the_worker_running_a_job_dies_then_the_job_reads_failed(workers, demo):
    text = "\n\n".join(n["text"] for n in demo()) * 20  # ~1.3 MB: runs for minutes
    r = httpx.post(workers.url + "/v1/extract", json={"text": text}, headers=workers.headers,
                   timeout=120)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    assert _poll(workers, job_id, {"running"}, 60)["status"] == "running"
    os.kill(_job_owner_pid(workers, job_id), signal.SIGKILL)
    killed = time.monotonic()
    job = _poll(workers, job_id, {"failed", "succeeded"}, 60)
    assert job["status"] == "failed" and "worker" in job["error"]
    assert time.monotonic() - killed < 30  # the 3 s lease, with room for a busy machine
    small = httpx.post(workers.url + "/v1/extract", json={"text": demo()[0]["text"]},
                       headers=workers.headers, timeout=120)
    assert small.status_code == 200
