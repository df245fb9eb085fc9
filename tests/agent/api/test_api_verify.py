"""``POST /v1/verify``: a summary written by a person, checked against stored notes."""

from __future__ import annotations

import pytest

pytest.importorskip("agent.verify")
pytest.importorskip("agent.handoff.timeline")


def test_markdown_summary_gets_a_verdict_per_statement(api):
    text = ("# Handoff\n\n## Medications\n- Metoprolol succinate 100 mg daily.\n"
            "- Apixaban 5 mg PO BID.\n")
    r = api.client.post("/v1/verify", json={"patient_id": "P001", "summary": text},
                        headers=api.admin)
    assert r.status_code == 200, r.text
    body = r.json()
    statements = body["summary"]["statements"]
    assert len(statements) >= 2
    assert all(s["verification"] for s in statements)
    assert sum(body["counts"].values()) == len(statements)


def test_verify_needs_the_scope(api):
    r = api.client.post("/v1/verify", json={"patient_id": "P001", "summary": "x"},
                        headers=api.p1_reader)
    assert r.status_code == 403
