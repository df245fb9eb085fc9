"""Handoff over the API: sync for small patients, jobs with progress for large ones,
json | markdown | fhir, and the extractive fallback when the LLM backend is down."""

from __future__ import annotations

import time

import pytest

from agent.api.deps import get_backend
from agent.errors import BackendUnavailable

pytest.importorskip("agent.handoff.build")


class DownBackend:
    name = "openai_compat"
    model = "down"

    def generate(self, messages, *, json_schema=None, params=None):
        raise BackendUnavailable("LLM server unreachable")


def test_sync_handoff_is_verified_and_stored(api):
    r = api.client.post("/v1/patients/P001/handoff", json={"format": "json", "run": "sync"},
                        headers=api.p1_all)
    assert r.status_code == 200, r.text
    body = r.json()
    summary = body["summary"]
    assert summary["patient_id"] == "P001" and summary["statements"]
    assert all(s["verification"] is not None for s in summary["statements"])
    assert body["summary_id"] >= 1


def test_when_llm_backend_down_then_extractive_summary_with_flag(api):
    api.client.app.dependency_overrides[get_backend] = lambda: DownBackend()
    try:
        r = api.client.post("/v1/patients/P001/handoff", json={"use_llm": True, "run": "sync"},
                            headers=api.p1_all)
    finally:
        api.client.app.dependency_overrides.pop(get_backend, None)
    assert r.status_code == 200, r.text
    summary = r.json()["summary"]
    assert summary["mode"] == "extractive" and summary["statements"]
    assert summary["flags"], "the fallback must be flagged"


def test_markdown_and_fhir_formats(api):
    md = api.client.post("/v1/patients/P001/handoff", json={"format": "markdown",
                                                           "run": "sync"},
                         headers=api.p1_all).json()
    assert md["markdown"] and md["markdown"].lstrip().startswith("#")
    pytest.importorskip("agent.fhir")
    fhir = api.client.post("/v1/patients/P001/handoff", json={"format": "fhir", "run": "sync"},
                           headers=api.p1_all).json()
    assert fhir["fhir"]["resourceType"] in ("Composition", "Bundle")


def test_async_handoff_job_reports_progress_then_result(api):
    r = api.client.post("/v1/patients/P001/handoff", json={"run": "async"},
                        headers=api.p1_all)
    assert r.status_code == 202
    job = r.json()
    assert r.headers["Location"] == f"/v1/jobs/{job['job_id']}"
    seen = []
    deadline = time.monotonic() + 120
    while job["status"] not in ("succeeded", "failed") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = api.client.get(f"/v1/jobs/{job['job_id']}", headers=api.p1_all).json()
        seen.append(job["progress"])
    assert job["status"] == "succeeded", job.get("error")
    assert job["progress"] == 1.0 and seen == sorted(seen)
    assert job["result"]["summary"]["statements"]
    other = api.key(["handoff"], ["P002"])
    assert api.client.get(f"/v1/jobs/{job['job_id']}", headers=other).status_code == 403


def test_handoff_of_unknown_patient_is_404(api):
    r = api.client.post("/v1/patients/P404/handoff", json={}, headers=api.admin)
    assert r.status_code == 404
