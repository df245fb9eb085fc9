"""Request limits and error format: 413 for large bodies, 422 for malformed JSON, RFC 9457
problem details without echoing request values (they may be PHI)."""

from __future__ import annotations


def test_when_body_over_limit_then_413_problem(api):
    big = {"notes": [{"patient_id": "P001", "note_id": "big", "text": "x" * 300_000}]}
    r = api.client.post("/v1/notes", json=big, headers=api.admin)
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "api.max_body_bytes" in r.json()["detail"]


def test_when_streamed_body_over_limit_then_413(api):
    def chunks():
        for _ in range(30):
            yield b"x" * 10_000

    r = api.client.post("/v1/extract", content=chunks(),
                        headers={**api.admin, "Content-Type": "application/json"})
    assert r.status_code == 413


def test_when_json_malformed_then_422_problem(api):
    r = api.client.post("/v1/extract", content=b'{"text": "Pursglove on metoprolol',
                        headers={**api.admin, "Content-Type": "application/json"})
    assert r.status_code == 422
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert body["status"] == 422 and body["errors"]
    assert "Pursglove" not in r.text  # never echo request content
    r = api.client.post("/v1/notes", content=b'{"notes": [', headers={
        **api.admin, "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "json_invalid"


def test_when_field_invalid_then_422_without_the_value(api):
    r = api.client.post("/v1/chat", json={"patient_id": "P001", "question": "q",
                                          "k": "Wendell Pursglove"}, headers=api.admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "k"]
    assert "Pursglove" not in r.text


def test_unknown_route_and_patient_are_404_problems(api):
    r = api.client.get("/v1/nope", headers=api.admin)
    assert r.status_code == 404 and r.json()["status"] == 404
    r = api.client.get("/v1/patients/P404/notes", headers=api.admin)
    assert r.status_code == 404 and "POST /v1/notes" in r.json()["detail"]


def test_when_work_exceeds_timeout_then_504(api):
    import time

    import anyio
    import pytest

    from agent.api.limits import run_cpu
    from agent.errors import RequestTimeout

    with pytest.raises(RequestTimeout):
        anyio.run(run_cpu, 0.2, time.sleep, 1.0)


def test_health_ready_metrics(api):
    assert api.client.get("/healthz").json()["status"] == "ok"
    ready = api.client.get("/readyz", headers=api.admin)
    assert ready.status_code == 200
    assert ready.json()["checks"]["store"]["is_ok"] and ready.json()["checks"]["index"]["is_ok"]
    text = api.client.get("/metrics").text
    assert "clinagent_http_requests_total" in text
    # Route templates, never raw paths with patient ids.
    assert 'route="/v1/patients/{patient_id}/notes"' in text
    assert "P001" not in text


def test_readyz_degraded_when_llm_server_down(tmp_path, extractor, fake_embedder):
    from fastapi.testclient import TestClient

    from agent.api.main import create_app
    from agent.api.services import Services
    from agent.config import Settings
    from agent.store.keys import create_key

    settings = Settings(api={"data_dir": tmp_path}, llm={
        "backend": "openai_compat", "base_url": "http://127.0.0.1:9/v1", "model": "m"})
    services = Services(settings, extractor=extractor, embedder=fake_embedder)
    with TestClient(create_app(settings, services=services)) as client:
        with services.sessions() as session:
            key, _ = create_key(session, name="ops", operations=["admin"], patients=["*"],
                                secret=None)
            session.commit()
        body = client.get("/readyz", headers={"Authorization": f"Bearer {key}"}).json()
    assert body["status"] == "degraded" and not body["checks"]["llm"]["is_ok"]


def test_openapi_lists_every_endpoint(api):
    paths = set(api.client.get("/openapi.json").json()["paths"])
    assert {"/v1/notes", "/v1/patients", "/v1/patients/{patient_id}/notes", "/v1/extract",
            "/v1/deid", "/v1/verify", "/v1/patients/{patient_id}/handoff",
            "/v1/jobs/{job_id}", "/v1/chat", "/v1/chat/completions", "/healthz",
            "/readyz"} <= paths
