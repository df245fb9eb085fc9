"""``POST /v1/cohorts/query`` through the app: the ``cohort`` scope, results only for the
patients the key may see, audited by patient with the query's hash, 422 naming an unknown
concept, and the query itself never in the logs."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

PATIENTS = ("P001", "P003", "P007")
T2DM = {"inclusion": [{"condition": {"concept": "type 2 diabetes"}}]}


@pytest.fixture(scope="module")
def cohort_api(tmp_path_factory, extractor, fake_embedder, demo_extractions):
    """An app with three demo patients stored (their extractions cached in the store, so
    the first query builds facts without extracting again) and a key factory."""
    from agent.api.main import create_app
    from agent.api.services import Services
    from agent.config import Settings
    from agent.store import repository as repo
    from agent.store.keys import create_key

    notes, extractions = demo_extractions
    settings = Settings(api={"data_dir": tmp_path_factory.mktemp("cohort-api")})
    services = Services(settings, extractor=extractor, embedder=fake_embedder)
    with TestClient(create_app(settings, services=services)) as client:
        def key(operations, patients):
            with services.sessions() as s:
                k, _ = create_key(s, name="t", operations=operations, patients=patients,
                                  secret=None)
                s.commit()
            return {"Authorization": f"Bearer {k}"}

        admin = key(["admin"], ["*"])
        mine = [n.model_dump() for n in notes if n.patient_id in PATIENTS]
        r = client.post("/v1/notes", json={"notes": mine}, headers=admin)
        assert r.status_code == 200, r.text
        with services.sessions() as s:
            for row in repo.notes_by_id(s, [n["note_id"] for n in mine]):
                repo.save_extraction(s, row, extractions[row.note_id])
            s.commit()
        yield client, services, key


def test_when_key_sees_some_patients_then_only_they_are_answered(cohort_api):
    client, _, key = cohort_api
    r = client.post("/v1/cohorts/query", json={"query": T2DM},
                    headers=key(["cohort"], ["P001", "P003"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [p["patient_id"] for p in body["patients"]] == ["P001"]
    assert body["population"] == 2
    everyone = client.post("/v1/cohorts/query", json={"query": T2DM},
                           headers=key(["cohort"], ["*"])).json()
    assert [p["patient_id"] for p in everyone["patients"]] == ["P001", "P007"]


def test_when_key_lacks_cohort_scope_then_403(cohort_api):
    client, _, key = cohort_api
    r = client.post("/v1/cohorts/query", json={"query": T2DM},
                    headers=key(["read"], ["*"]))
    assert r.status_code == 403
    assert "'cohort'" in r.json()["detail"]


def test_when_concept_unknown_then_422_names_it(cohort_api):
    client, _, key = cohort_api
    r = client.post("/v1/cohorts/query", json={"text": "include: drug:metfromin"},
                    headers=key(["cohort"], ["*"]))
    assert r.status_code == 422
    assert "'metfromin'" in r.json()["detail"] and "'metformin'" in r.json()["detail"]


def test_when_nobody_matches_then_200_with_empty_cohort(cohort_api):
    client, _, key = cohort_api
    r = client.post("/v1/cohorts/query", json={"text": 'include: concept:"breast cancer"'},
                    headers=key(["cohort"], ["*"]))
    assert r.status_code == 200 and r.json()["patients"] == []


def test_query_is_audited_per_patient_by_hash_and_never_logged(cohort_api, caplog):
    from agent.store import repository as repo

    client, services, key = cohort_api
    caplog.set_level(logging.DEBUG)
    text = 'include: concept:"type 2 diabetes"\ninclude: drug:metformin [status=current]'
    r = client.post("/v1/cohorts/query", json={"text": text},
                    headers=key(["cohort"], ["P001"]))
    assert r.status_code == 200, r.text
    sha = r.json()["query_sha256"]
    with services.sessions() as s:
        events = [e for e in repo.audit_events(s, limit=20) if e.operation == "cohort"]
    mine = [e for e in events if e.patient_id == "P001" and sha[:16] in e.reason]
    assert mine and all(e.is_allowed for e in mine)
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert sha[:16] in logged
    assert "metformin" not in logged and "diabetes" not in logged
