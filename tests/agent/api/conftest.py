"""An app per test module: a fresh store and index in a temporary folder, the session's
extractor and the hashing embedder (no model load), and keys with different scopes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

NOTES_FILE = Path("evals/data/synthetic/notes.jsonl")


def demo_notes(patient_id: str | None = None) -> list[dict]:
    """The demo corpus's notes as JSON objects (optionally one patient's)."""
    notes = [json.loads(line) for line in NOTES_FILE.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    return [n for n in notes if patient_id is None or n["patient_id"] == patient_id]


@dataclass
class Api:
    """A running app and the keys minted for it."""

    client: TestClient
    services: object
    admin: dict[str, str]
    p1_reader: dict[str, str]
    p1_all: dict[str, str]

    def key(self, operations: list[str], patients: list[str]) -> dict[str, str]:
        from agent.store.keys import create_key

        with self.services.sessions() as session:
            key, _ = create_key(session, name="test", operations=operations,
                                patients=patients, secret=None)
            session.commit()
        return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="session")
def demo():
    """``demo(patient_id=None)``: the demo corpus's notes as JSON objects."""
    return demo_notes


def make_settings(folder: Path, **api):
    from agent.config import Settings

    return Settings(api={"data_dir": folder, **api})


@pytest.fixture(scope="module")
def api(tmp_path_factory, extractor, fake_embedder) -> Iterator[Api]:
    """The app with patient P001's notes ingested (module-scoped)."""
    from agent.api.main import create_app
    from agent.api.services import Services

    settings = make_settings(tmp_path_factory.mktemp("api"), max_body_bytes=200_000,
                             sync_handoff_max_notes=8)
    services = Services(settings, extractor=extractor, embedder=fake_embedder)
    with TestClient(create_app(settings, services=services)) as client:
        api = Api(client, services, {}, {}, {})
        api.admin = api.key(["admin"], ["*"])
        api.p1_reader = api.key(["read"], ["P001"])
        api.p1_all = api.key(["*"], ["P001"])
        r = client.post("/v1/notes", json={"notes": demo_notes("P001")}, headers=api.admin)
        assert r.status_code == 200, r.text
        yield api
