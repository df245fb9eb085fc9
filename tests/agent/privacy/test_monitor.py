"""Output monitoring: the second detector's shapes, and a planted leak the main pass is
configured to miss (its e-mail recognizer removed through the pack setting) reaching the
review queue and the metrics, never as a value in logs or metrics."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from prometheus_client import generate_latest

from agent.privacy.monitor import is_sampled, scan
from agent.privacy.settings import PrivacySettings

NOTE = ("Spoke with daughter about discharge. Prefers contact by email: "
        "quillon.brackwater@example.org.\nPlan: home tomorrow with PT.\n")
PLANTED = "quillon.brackwater@example.org"


def _kinds(text, replaced=()):
    return [(text[f.start:f.end], f.type_guess) for f in scan(text, list(replaced))]


def test_scan_finds_shapes_and_census_names_outside_replaced_spans():
    text = "Call 617-555-0134 or write a.b@example.org. Seen by Dr. Okafor on 3/14/2026."
    found = dict(_kinds(text))
    assert found["617-555-0134"] == "PHONE" and found["a.b@example.org"] == "EMAIL"
    assert found["3/14/2026"] == "DATE" and found["Okafor"] == "NAME"
    # Inside the main pass's replacements, nothing is a find; placeholders are no names.
    start = text.index("617")
    assert "617-555-0134" not in dict(_kinds(text, [(start, start + 12)]))
    assert _kinds("Seen by [NAME] today. Continue lisinopril.") == []


def test_sampling_rate():
    rng = random.Random(1)
    assert is_sampled(1.0) and not is_sampled(0.0)
    draws = [is_sampled(0.25, rng) for _ in range(2000)]
    assert 0.2 < sum(draws) / len(draws) < 0.3


@dataclass
class _Services:
    """What monitor_output needs of the app's services: settings and sessions."""

    settings: object
    sessions: object


def _settings(rate: float) -> SimpleNamespace:
    # Settings.privacy as the integrator wires it (PrivacySettings under "privacy").
    return SimpleNamespace(privacy=PrivacySettings(monitor_sample_rate=rate))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from agent.store.engine import make_engine, make_sessionmaker, upgrade

    folder = tmp_path_factory.mktemp("privacy-store")
    engine = make_engine(f"sqlite:///{folder / 'store.db'}")
    upgrade(engine)
    return _Services(_settings(1.0), make_sessionmaker(engine))


@pytest.fixture(scope="module")
def pack_without_email(tmp_path_factory) -> Path:
    from agent.deid.registry import pack_path

    raw = yaml.safe_load(pack_path().read_text(encoding="utf-8"))
    raw["recognizers"] = [r for r in raw["recognizers"] if r["name"] != "email"]
    path = tmp_path_factory.mktemp("pack") / "recognizers.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_when_a_recognizer_is_disabled_then_the_monitor_queues_the_planted_leak(
        store, pack_without_email, caplog):
    from agent.api.metrics import Metrics
    from agent.api.privacy_service import monitor_output, review_queue
    from agent.config import DeidSettings
    from agent.deid.batch import PatientDeidentifier
    from agent.schemas.notes import Note

    deid = PatientDeidentifier.from_settings(DeidSettings(pack_file=pack_without_email))
    result, _ = next(deid.run([Note(patient_id="Z1", note_id="Z1-01", text=NOTE)]))
    assert PLANTED in result.text  # the main pass, so configured, leaks it
    metrics = Metrics()
    with caplog.at_level(logging.DEBUG):
        queued = monitor_output(store, metrics, result, rng=random.Random(0))
    assert queued >= 1
    queue = review_queue(store)
    emails = [f for f in queue.items if f.type_guess == "EMAIL"]
    assert len(emails) == 1 and emails[0].note_id == "Z1-01"
    assert result.text[emails[0].start:emails[0].end] == PLANTED
    # Offsets and counts only: never the value, in logs, the queue or /metrics.
    assert PLANTED not in caplog.text and "quillon" not in caplog.text.lower()
    assert PLANTED not in queue.model_dump_json()
    exposition = generate_latest(metrics.registry).decode()
    assert 'clinagent_privacy_monitor_finds_total{type_guess="EMAIL"} 1.0' in exposition
    assert "quillon" not in exposition.lower()


def test_only_the_sampled_share_of_outputs_is_scanned(store):
    from agent.api.privacy_service import monitor_output, review_queue
    from agent.schemas.deid import DeidResult

    result = DeidResult(note_id="Z2", text="write to a.b@example.org", mode="redact")
    before = review_queue(store).total
    off = _Services(_settings(0.0), store.sessions)
    assert monitor_output(off, None, result) == 0
    half = _Services(_settings(0.5), store.sessions)
    draws = [monitor_output(half, None, result, rng=random.Random(seed)) for seed in range(20)]
    assert 0 < sum(draws) < 20
    assert review_queue(store).total == before + sum(draws)


def test_post_deid_runs_the_monitor_and_the_officer_reads_the_find(
        tmp_path, fake_embedder, pack_without_email):
    """The service path: POST /v1/deid with the e-mail recognizer left out and every output
    sampled; the privacy officer's queue then holds the leak's offsets, /metrics counts it,
    and neither holds the value."""
    from fastapi.testclient import TestClient

    from agent.api.main import create_app
    from agent.api.services import Services
    from agent.config import Settings
    from agent.store.keys import create_key

    settings = Settings(api={"data_dir": tmp_path},
                        deid={"pack_file": pack_without_email},
                        privacy={"monitor_sample_rate": 1.0})
    services = Services(settings, extractor=object(), embedder=fake_embedder)
    with TestClient(create_app(settings, services=services)) as client:
        with services.sessions() as session:
            deid_key, _ = create_key(session, name="d", operations=["deid"], patients=["*"],
                                     secret=None)
            officer, _ = create_key(session, name="o", operations=["privacy"],
                                    patients=["*"], secret=None)
            session.commit()
        r = client.post("/v1/deid", json={"note_id": "Z1-01", "text": NOTE},
                        headers={"Authorization": f"Bearer {deid_key}"})
        assert r.status_code == 200, r.text
        out = r.json()["text"]
        assert PLANTED in out
        queue = client.get("/v1/privacy/review-queue",
                           headers={"Authorization": f"Bearer {officer}"}).json()
        emails = [f for f in queue["items"] if f["type_guess"] == "EMAIL"]
        assert len(emails) == 1 and out[emails[0]["start"]:emails[0]["end"]] == PLANTED
        assert PLANTED not in str(queue)
        exposition = client.get("/metrics").text
        assert 'clinagent_privacy_monitor_finds_total{type_guess="EMAIL"}' in exposition
        assert "quillon" not in exposition.lower()
