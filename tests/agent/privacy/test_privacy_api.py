"""``GET /v1/privacy/review-queue``: only a key with the ``privacy`` scope reads it; it
holds offsets and type guesses."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def app(tmp_path_factory, fake_embedder):
    from agent.api.main import create_app
    from agent.api.services import Services
    from agent.config import Settings
    from agent.store.keys import create_key
    from agent.store.models import PrivacyReviewRow

    settings = Settings(api={"data_dir": tmp_path_factory.mktemp("privacy-api")})
    # No request here extracts: a placeholder extractor keeps spaCy unloaded.
    services = Services(settings, extractor=object(), embedder=fake_embedder)
    with TestClient(create_app(settings, services=services)) as client:
        keys = {}
        with services.sessions() as session:
            for name, ops in (("officer", ["privacy"]), ("deid", ["deid", "read"]),
                              ("all", ["*"])):
                keys[name], _ = create_key(session, name=name, operations=ops,
                                           patients=["*"], secret=None)
            session.add(PrivacyReviewRow(note_id="N1", start=10, end=24, type_guess="EMAIL",
                                         detector="shape-dictionary-v1", output_sha256="0" * 64,
                                         status="open", at="2026-12-07T10:00:00+00:00"))
            session.commit()
        yield client, {k: {"Authorization": f"Bearer {v}"} for k, v in keys.items()}


def test_the_privacy_scope_reads_the_queue(app):
    client, keys = app
    r = client.get("/v1/privacy/review-queue", headers=keys["officer"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 1
    assert body["items"][0] | {"at": None} == {
        "id": 1, "note_id": "N1", "start": 10, "end": 24, "type_guess": "EMAIL",
        "detector": "shape-dictionary-v1", "output_sha256": "0" * 64, "release_policy": None,
        "status": "open", "at": None}


def test_other_scopes_and_no_key_are_refused(app):
    client, keys = app
    assert client.get("/v1/privacy/review-queue", headers=keys["deid"]).status_code == 403
    assert client.get("/v1/privacy/review-queue").status_code == 401
    assert client.get("/v1/privacy/review-queue", headers=keys["all"]).status_code == 200
    bad = client.get("/v1/privacy/review-queue?limit=0", headers=keys["officer"])
    assert bad.status_code == 422
