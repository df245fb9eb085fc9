"""Abuse costs nothing: failed authentication is limited per client address and counted in a
few aggregated rows (never the presented text), rate limits live in the store so apps on one
database share them, odd methods and paths do not grow /metrics, /readyz details need an
admin key, authentication comes before body parsing, and errors never echo path ids."""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

ATTACKER = ("203.0.113.9", 40000)
MRN = "MRN00482913"


def _key(services, operations: list[str], patients: list[str]) -> dict[str, str]:
    from agent.store.keys import create_key

    with services.sessions() as session:
        key, _ = create_key(session, name="test", operations=operations, patients=patients,
                            secret=None)
        session.commit()
    return {"Authorization": f"Bearer {key}"}


@dataclass
class Abuse:
    client: TestClient
    services: object
    admin: dict[str, str]
    reader: dict[str, str]


@pytest.fixture(scope="module")
def abuse(tmp_path_factory, extractor, fake_embedder) -> Iterator[Abuse]:
    """An app with a low failed-auth limit; requests come from one documentation address."""
    from agent.api.main import create_app
    from agent.api.services import Services
    from agent.config import Settings

    settings = Settings(api={"data_dir": tmp_path_factory.mktemp("abuse"),
                             "auth_failure_limit": 20, "auth_failure_window_s": 300})
    services = Services(settings, extractor=extractor, embedder=fake_embedder)
    # Failures are counted in clock-aligned windows: on a slow machine a flood that ran
    # over a window boundary started counting again (401s among the 429s). The limiter's
    # clock stands still in the middle of one window for these tests.
    middle = (time.time() // 300) * 300 + 150
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("agent.api.auth.time", _Clock(middle))
        with TestClient(create_app(settings, services=services), client=ATTACKER) as client:
            yield Abuse(client, services, _key(services, ["admin"], ["*"]),
                        _key(services, ["read"], ["P001"]))


@dataclass
class _Clock:
    now: float

    def time(self) -> float:
        return self.now


def _tables(api):
    from agent.store.models import AuditEventRow, AuthFailureRow

    with api.services.sessions() as session:
        return (list(session.scalars(select(AuthFailureRow))),
                list(session.scalars(select(AuditEventRow))))


def _stored_text(rows) -> str:
    return "\n".join(repr({c: getattr(r, c) for c in r.__table__.columns.keys()}) for r in rows)


def test_when_bad_key_flood_then_429_and_audit_stays_a_few_rows(abuse):
    known_id = abuse.reader["Authorization"].split("_")[1]
    _, audit_before = _tables(abuse)
    presented, codes = [], []
    for i in range(500):
        secret = secrets.token_hex(8)
        headers = [
            {},
            {"Authorization": f"Bearer {secret}"},
            {"X-API-Key": f"ck_{secrets.token_hex(6)}_{secret}"},
            {"Authorization": f"Bearer ck_{known_id}_{secret}"},
            {"X-API-Key": f"ck_<script>{secret}_x"},
        ][i % 5]
        presented.append(secret)
        r = abuse.client.get(f"/v1/patients/{MRN}/notes", headers=headers)
        codes.append(r.status_code)
    assert codes[:20] == [401] * 20
    assert set(codes[20:]) == {429}
    r = abuse.client.get("/v1/patients", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert r.headers["content-type"].startswith("application/problem+json")

    failures, audit = _tables(abuse)
    # One row per (window, address, reason, existing key id): 5 reasons + "rate limited" x 5
    # key ids at most, whatever the number of attempts.
    assert len(failures) <= 8
    assert sum(f.count for f in failures) == 501
    assert {f.client for f in failures} == {ATTACKER[0]}
    assert {f.reason for f in failures} <= {"no key", "malformed key", "unknown key",
                                             "wrong secret", "rate limited"}
    # A key id is kept only when it is well-formed and exists.
    assert {f.key_id for f in failures} <= {"", known_id}
    assert len(audit) == len(audit_before)  # no per-attempt audit rows
    stored = _stored_text(failures)
    assert [s for s in presented if s in stored] == []
    assert "<script>" not in stored and MRN not in stored


def test_when_address_blocked_then_a_valid_key_still_passes(abuse):
    # Runs after the flood: the address is above its limit for this window.
    assert abuse.client.get("/v1/patients", headers={"X-API-Key": "x"}).status_code == 429
    assert abuse.client.get("/v1/patients", headers=abuse.admin).status_code == 200


def test_when_other_address_then_not_blocked(abuse):
    other = TestClient(abuse.client.app, client=("198.51.100.4", 1234))
    assert other.get("/v1/patients").status_code == 401


def test_when_many_addresses_fail_then_later_ones_share_one_row(abuse, monkeypatch):
    from agent.api import auth

    failures, _ = _tables(abuse)
    monkeypatch.setattr(auth, "MAX_CLIENTS_PER_WINDOW", len({f.client for f in failures}) + 1)
    for host in ("192.0.2.1", "192.0.2.2", "192.0.2.3", "2001:db8::1", "2001:db8::2"):
        TestClient(abuse.client.app, client=(host, 1)).get("/v1/patients")
    clients = {f.client for f in _tables(abuse)[0]}
    assert "192.0.2.1" in clients and auth.OTHER_CLIENTS in clients
    assert not clients & {"192.0.2.2", "192.0.2.3", "2001:db8::/64"}


# fmt: off
@pytest.mark.parametrize("host, expected", [
    ("203.0.113.9", "203.0.113.9"),
    ("::ffff:203.0.113.9", "203.0.113.9"),
    ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
    ("testclient", "unknown"),
])
# fmt: on
def test_client_address_is_a_normalised_ip_never_free_text(host, expected):
    from agent.api.auth import client_address

    assert client_address({"client": (host, 1)}) == expected


POSTGRES_URL = os.environ.get("CLINAGENT_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """An empty database: a SQLite file, or the test PostgreSQL (skipped without one)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    if POSTGRES_URL is None:
        pytest.skip("no PostgreSQL: set CLINAGENT_TEST_POSTGRES_URL (see .ci/run)")
    from sqlalchemy import text

    from agent.store.engine import make_engine

    engine = make_engine(POSTGRES_URL)
    with engine.begin() as conn:  # a database the tests own: start empty
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return POSTGRES_URL


def test_concurrent_takes_never_exceed_the_burst(database_url):
    from agent.store.engine import make_engine, make_sessionmaker, upgrade
    from agent.store.limits import take_token

    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    granted = []

    def worker() -> None:
        for _ in range(10):
            with sessions() as session:
                wait = take_token(session, "key:shared", rate_per_s=1e-9, burst=20.0,
                                  now=time.time())
                session.commit()
            granted.append(wait is None)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert len(granted) == 80 and sum(granted) == 20


def test_two_apps_on_one_database_share_a_keys_rate_limit(database_url, tmp_path, extractor,
                                                          fake_embedder):
    from agent.api.main import create_app
    from agent.api.services import Services
    from agent.config import Settings

    url = database_url
    apps = []
    for name in ("a", "b"):
        settings = Settings(api={"data_dir": tmp_path / name, "database_url": url,
                                 "rate_limit_per_minute": 1, "rate_limit_burst": 4})
        services = Services(settings, extractor=extractor, embedder=fake_embedder)
        apps.append((TestClient(create_app(settings, services=services)), services))
    with apps[0][0] as a, apps[1][0] as b:
        auth = _key(apps[0][1], ["read"], ["*"])
        codes = [(a if i % 2 == 0 else b).get("/v1/patients", headers=auth).status_code
                 for i in range(6)]
    # Four tokens in all, not four per app.
    assert codes == [200, 200, 200, 200, 429, 429]


def _labels(metrics_text: str) -> tuple[int, set[tuple[str, str]]]:
    """(number of series, the (method, route) label pairs of the request counter)."""
    series = [line for line in metrics_text.splitlines() if line and not line.startswith("#")]
    pairs = set(re.findall(r'clinagent_http_requests_total\{method="([^"]*)",route="([^"]*)"',
                           metrics_text))
    return len(series), pairs


@pytest.mark.heavy
def test_odd_methods_and_paths_do_not_grow_metrics(api):
    own = api.key(["read"], ["*"])  # its rate runs out here, not the other tests' keys

    def odd(i: int) -> None:
        method = f"X{secrets.token_hex(4).upper()}"
        path = f"/{secrets.token_hex(6)}/{i}"
        [lambda: api.client.request(method, "/healthz"),
         lambda: api.client.get(path),
         lambda: api.client.request(method, path),
         lambda: api.client.request(method, f"/v1/patients/P{i:05d}/notes",
                                    headers=own)][i % 4]()

    for i in range(8):  # every kind once, so its fixed labels exist
        odd(i)
    api.client.get("/metrics")
    series, pairs = _labels(api.client.get("/metrics").text)
    for i in range(3000):
        odd(i)
    text = api.client.get("/metrics").text
    after_series, after_pairs = _labels(text)
    assert after_pairs == pairs
    assert {m for m, _ in pairs} <= {"GET", "POST", "OTHER"}
    assert ("OTHER", "unmatched") in pairs and ("GET", "unmatched") in pairs
    # New status codes (e.g. 429 once the key's rate is spent) add a few series at most.
    assert after_series <= series + 30
    assert len(text) < 40_000


def test_readyz_is_plain_without_an_admin_key(api):
    for headers in ({}, api.p1_reader, {"Authorization": "Bearer ck_000000000000_x"}):
        r = api.client.get("/readyz", headers=headers)
        assert r.status_code == 200
        assert r.json() == {"status": "ready", "checks": None} or \
            r.json() == {"status": "degraded", "checks": None}
        assert "sqlite" not in r.text and "notes" not in r.text


def test_readyz_details_with_an_admin_key(api):
    body = api.client.get("/readyz", headers=api.admin).json()
    assert set(body["checks"]) == {"store", "index", "llm"}
    assert body["checks"]["store"]["detail"].startswith("sqlite")
    assert "notes" in body["checks"]["index"]["detail"]


def test_when_unauthenticated_malformed_json_then_401_not_422(api):
    for path in ("/v1/extract", "/v1/notes", "/v1/chat"):
        r = api.client.post(path, content=b'{"text": "Pursglove on metoprolol',
                            headers={"Content-Type": "application/json"})
        assert r.status_code == 401, (path, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "Pursglove" not in r.text


def test_when_authenticated_malformed_json_then_422_problem(api):
    r = api.client.post("/v1/extract", content=b'{"text": "Pursglove on metoprolol',
                        headers={**api.admin, "Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"] and "Pursglove" not in r.text


def test_when_unauthenticated_chunked_body_over_limit_then_401_not_413(api):
    # The gate answers before the body limit reads the stream.
    def chunks():
        for _ in range(50):
            yield b"x" * 10_000

    r = api.client.post("/v1/extract", content=chunks(),
                        headers={"Content-Type": "application/json"})
    assert r.status_code == 401


# fmt: off
@pytest.mark.parametrize("method, path, status", [
    ("GET", f"/v1/patients/{MRN}/notes", 404),
    ("GET", f"/v1/patients/{MRN}/fhir", 404),
    ("POST", f"/v1/patients/{MRN}/handoff", 404),
    ("GET", f"/v1/jobs/{MRN}", 404),
    ("DELETE", f"/v1/patients/{MRN}/notes", 405),
    ("GET", f"/v1/{MRN}", 404),
    ("GET", f"/{MRN}", 404),
    ("PATCH", f"/{MRN}", 404),
])
# fmt: on
def test_errors_never_echo_ids_from_the_path(api, method, path, status):
    r = api.client.request(method, path, headers=api.admin)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert MRN not in r.text
    instance = r.json()["instance"]
    assert instance is None or "{" in instance


def test_when_model_name_unknown_then_404_without_echo(api):
    r = api.client.post("/v1/chat/completions", headers=api.admin, json={
        "model": MRN, "messages": [{"role": "user", "content": "dose?"}]})
    assert r.status_code == 404 and MRN not in r.text


def test_when_key_lacks_patient_then_403_without_the_id(api):
    r = api.client.get(f"/v1/patients/{MRN}/notes", headers=api.p1_reader)
    assert r.status_code == 403 and MRN not in r.text
