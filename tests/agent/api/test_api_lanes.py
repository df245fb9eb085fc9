"""Fair and bounded work: a small request is not queued behind a large one, a request past
its deadline gets 504 and its work stops (the extractor is free right after), and a large
text becomes a background job."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from agent import deadline
from agent.api.lanes import BACKGROUND, LARGE, SMALL, SharedModel
from agent.errors import DeadlineExceeded


def _large_text(demo, chars: int) -> str:
    text = "\n\n".join(n["text"] for n in demo())
    return (text + "\n\n") * (chars // len(text) + 1)


@contextmanager
def _app(folder, extractor, fake_embedder, **api) -> Iterator[tuple[TestClient, object, dict]]:
    from agent.api.main import create_app
    from agent.api.services import Services
    from agent.config import Settings
    from agent.store.keys import create_key

    settings = Settings(api={"data_dir": folder, "max_body_bytes": 5_000_000,
                             "rate_limit_per_minute": 100_000, "rate_limit_burst": 10_000,
                             **api})
    services = Services(settings, extractor=extractor, embedder=fake_embedder)
    with TestClient(create_app(settings, services=services)) as client:
        with services.sessions() as session:
            key, _ = create_key(session, name="lanes", operations=["*"], patients=["*"],
                                secret=None)
            session.commit()
        yield client, services, {"Authorization": f"Bearer {key}"}


def _timed_post(client, headers, text: str, **extra) -> tuple[float, object]:
    started = time.perf_counter()
    r = client.post("/v1/extract", json={"text": text, **extra}, headers=headers)
    return time.perf_counter() - started, r


def _solo_time(client, headers, text: str) -> float:
    _timed_post(client, headers, text)  # warm caches
    return statistics.median(_timed_post(client, headers, text)[0] for _ in range(5))


@pytest.fixture(scope="module")
def small(demo) -> str:
    """A typical note of the demo corpus (~2,000 characters)."""
    return demo()[0]["text"]


def _wait_until(condition, timeout_s: float) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.fixture(scope="module")
def fair_app(tmp_path_factory, extractor, fake_embedder):
    """Large texts run synchronously (up to 1 MB), so the large request holds the extractor."""
    with _app(tmp_path_factory.mktemp("lanes"), extractor, fake_embedder,
              sync_max_chars=1_000_000) as app:
        yield app


def test_when_large_and_small_extract_at_once_then_small_answers_in_its_solo_time(
        fair_app, demo, small):
    client, services, headers = fair_app
    solo = _solo_time(client, headers, small)
    large: dict = {}
    worker = threading.Thread(target=lambda: large.update(
        r=_timed_post(client, headers, _large_text(demo, 150_000))))
    worker.start()
    try:
        assert _wait_until(lambda: services.extract_lock.is_held, 30)
        time.sleep(0.3)  # the large extraction is well under way
        elapsed, r = _timed_post(client, headers, small)
        assert r.status_code == 200 and r.json()["entities"]
        assert worker.is_alive(), "the large request must still run when the small one ends"
        # Without lanes the small request waits for the whole large one (seconds).
        assert elapsed < 5 * solo + 0.5, (elapsed, solo)
    finally:
        worker.join(timeout=300)
    assert large["r"][1].status_code == 200
    assert services.extract_lock.preemptions >= 1


def test_when_request_passes_deadline_then_504_and_extractor_free_right_after(
        tmp_path, extractor, fake_embedder, demo, small):
    with _app(tmp_path, extractor, fake_embedder, sync_max_chars=1_000_000,
              request_timeout_s=0.5) as (client, services, headers):
        solo = _solo_time(client, headers, small)
        elapsed, r = _timed_post(client, headers, _large_text(demo, 150_000))
        assert r.status_code == 504, r.text
        assert r.json()["status"] == 504 and elapsed < 3.0
        # The abandoned work would hold the extractor for seconds more: it stopped instead.
        assert _wait_until(lambda: not services.extract_lock.is_held, 1.0)
        small, r = _timed_post(client, headers, small)
        assert r.status_code == 200
        assert small < 5 * solo + 0.5, (small, solo)


def test_when_text_above_sync_max_then_job_and_small_requests_still_answer(
        tmp_path, extractor, fake_embedder, demo, small):
    with _app(tmp_path, extractor, fake_embedder, sync_max_chars=50_000) as (
            client, services, headers):
        solo = _solo_time(client, headers, small)
        r = client.post("/v1/extract", json={"text": _large_text(demo, 120_000),
                                             "note_id": "big"}, headers=headers)
        assert r.status_code == 202, r.text
        job = r.json()
        assert r.headers["location"] == f"/v1/jobs/{job['job_id']}" and job["kind"] == "extract"
        assert _wait_until(lambda: services.extract_lock.is_held, 30)
        elapsed, small = _timed_post(client, headers, small)
        assert small.status_code == 200 and elapsed < 5 * solo + 0.5, (elapsed, solo)
        assert _wait_until(lambda: client.get(f"/v1/jobs/{job['job_id']}", headers=headers)
                           .json()["status"] in ("succeeded", "failed"), 300)
        done = client.get(f"/v1/jobs/{job['job_id']}", headers=headers).json()
        assert done["status"] == "succeeded", done["error"]
        assert done["result"]["note_id"] == "big" and done["result"]["entities"]


# ---- the shared model without the service ---------------------------------------------------

def _hold_and_work(model: SharedModel, lane: int, seconds: float, log: list, name: str,
                   work: deadline.Deadline | None = None) -> None:
    with deadline.enter(deadline.Scope(work=work, lane=lane)):
        try:
            with model.hold():
                log.append(("start", name, time.monotonic()))
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    deadline.checkpoint()
                    time.sleep(0.01)
                log.append(("end", name, time.monotonic()))
        except DeadlineExceeded:
            log.append(("stopped", name, time.monotonic()))


def test_when_urgent_work_waits_then_holder_steps_aside_at_a_checkpoint():
    model, log = SharedModel("test"), []
    large = threading.Thread(target=_hold_and_work, args=(model, BACKGROUND, 1.5, log, "bg"))
    large.start()
    assert _wait_until(lambda: model.is_held, 5)
    asked = time.monotonic()
    _hold_and_work(model, SMALL, 0.05, log, "small")
    large.join()
    started = next(t for kind, name, t in log if kind == "start" and name == "small")
    assert started - asked < 0.3
    assert [name for kind, name, _ in log if kind == "end"] == ["small", "bg"]


def test_when_deadline_passes_while_waiting_then_the_waiter_leaves_the_queue():
    model, log = SharedModel("test"), []
    holder = threading.Thread(target=_hold_and_work, args=(model, SMALL, 1.0, log, "holder"))
    holder.start()
    assert _wait_until(lambda: model.is_held, 5)
    _hold_and_work(model, LARGE, 0.1, log, "late", work=deadline.Deadline(0.2, "test"))
    holder.join()
    assert ("stopped", "late") in [(k, n) for k, n, _ in log]
    assert not model.is_held
