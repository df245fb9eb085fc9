"""The service on PostgreSQL (the deployment store): notes acknowledged by one app are
served by a new app on the same database. Skipped without CLINAGENT_TEST_POSTGRES_URL
(``.ci/run`` starts Debian's PostgreSQL and sets it)."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient

POSTGRES_URL = os.environ.get("CLINAGENT_TEST_POSTGRES_URL")

pytestmark = pytest.mark.skipif(
    POSTGRES_URL is None, reason="no PostgreSQL: set CLINAGENT_TEST_POSTGRES_URL (see .ci/run)")


def test_notes_acknowledged_on_postgres_are_served_by_a_new_app(
        tmp_path, extractor, fake_embedder, demo):
    from sqlalchemy import text

    from agent.api.main import create_app
    from agent.api.services import Services
    from agent.config import Settings
    from agent.store.engine import make_engine
    from agent.store.keys import create_key

    engine = make_engine(POSTGRES_URL)
    with engine.begin() as conn:  # a database the tests own: start empty
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    settings = Settings(api={"data_dir": tmp_path, "database_url": POSTGRES_URL})
    notes = demo("P002")

    services = Services(settings, extractor=extractor, embedder=fake_embedder)
    with TestClient(create_app(settings, services=services)) as client:
        with services.sessions() as session:
            key, _ = create_key(session, name="pg", operations=["*"], patients=["*"],
                                secret=None)
            session.commit()
        auth = {"Authorization": f"Bearer {key}"}
        r = client.post("/v1/notes", json={"notes": notes}, headers=auth)
        assert r.status_code == 200, r.text

    services = Services(settings, extractor=extractor, embedder=fake_embedder)
    with TestClient(create_app(settings, services=services)) as client:
        r = client.get("/v1/patients/P002/notes", headers=auth)
        assert r.status_code == 200, r.text
        stored = {n["note_id"]: n["text"] for n in r.json()["notes"]}
        assert stored == {n["note_id"]: n["text"] for n in notes}
        r = client.post("/v1/patients/P002/handoff", json={"format": "json"}, headers=auth)
        assert r.status_code == 200, r.text
        assert client.get("/readyz").status_code == 200
