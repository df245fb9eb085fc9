"""Handoff history routes on demo patient P001: list, reopen, what changed, acknowledge
(FHIR Composition final + attester), scopes and 404s."""

from __future__ import annotations

import pytest

from agent.store import repository as repo


@pytest.fixture(scope="module")
def stored(api):
    """Two stored extractive handoffs of P001 (older, newer)."""
    ids = []
    for _ in range(2):
        r = api.client.post("/v1/patients/P001/handoff", json={"run": "sync"},
                            headers=api.p1_all)
        assert r.status_code == 200, r.text
        ids.append(r.json()["summary_id"])
    return ids


def test_history_lists_stored_handoffs_newest_first(api, stored):
    r = api.client.get("/v1/patients/P001/handoffs", headers=api.p1_reader)
    assert r.status_code == 200, r.text
    body = r.json()
    ids = [h["summary_id"] for h in body["handoffs"]]
    assert ids[:2] == sorted(stored, reverse=True)
    first = body["handoffs"][0]
    assert first["mode"] == "extractive" and first["statement_count"] > 10
    assert 0 <= first["flagged_count"] <= first["statement_count"]


def test_reopened_handoff_is_the_stored_summary(api, stored):
    r = api.client.get(f"/v1/handoffs/{stored[0]}", headers=api.p1_reader)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["summary_id"] == stored[0] and body["patient_id"] == "P001"
    assert body["summary"]["statements"]
    md = api.client.get(f"/v1/handoffs/{stored[0]}?format=markdown", headers=api.p1_reader)
    assert md.status_code == 200 and md.json()["markdown"]


def test_changes_of_a_rebuilt_handoff_are_none(api, stored):
    r = api.client.get(f"/v1/handoffs/{stored[1]}/changes", headers=api.p1_reader)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["since_id"] == stored[0] and body["summary_id"] == stored[1]
    assert body["sections"] == [] and body["unchanged_count"] > 10


def test_first_handoff_has_nothing_to_compare_with(api, stored):
    with api.services.sessions() as session:
        first = repo.patient_summaries(session, "P001")[-1].id
    r = api.client.get(f"/v1/handoffs/{first}/changes", headers=api.p1_reader)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")


def test_acknowledge_makes_fhir_final_with_attester(api, stored):
    before = api.client.get(f"/v1/handoffs/{stored[1]}?format=fhir", headers=api.p1_reader)
    composition = before.json()["fhir"]["entry"][0]["resource"]
    assert composition["status"] == "preliminary" and "attester" not in composition

    r = api.client.post(f"/v1/handoffs/{stored[1]}/acknowledge", json={"comment": "ok"},
                        headers=api.p1_all)
    assert r.status_code == 200, r.text
    ack = r.json()
    assert ack["summary_id"] == stored[1] and ack["key_name"] == "test" and ack["at"]
    again = api.client.post(f"/v1/handoffs/{stored[1]}/acknowledge", headers=api.p1_all)
    assert again.status_code == 200 and again.json()["at"] == ack["at"]

    after = api.client.get(f"/v1/handoffs/{stored[1]}?format=fhir", headers=api.p1_reader)
    composition = after.json()["fhir"]["entry"][0]["resource"]
    assert composition["status"] == "final"
    assert [a["party"]["display"] for a in composition["attester"]] == ["test"]
    assert composition["attester"][0]["mode"]["coding"][0]["code"] == "legal"

    listed = api.client.get("/v1/patients/P001/handoffs", headers=api.p1_reader).json()
    entry = next(h for h in listed["handoffs"] if h["summary_id"] == stored[1])
    assert [a["key_id"] for a in entry["acknowledgements"]] == [ack["key_id"]]
    with api.services.sessions() as session:
        events = repo.audit_events(session, patient_id="P001", limit=20)
    assert sum(e.operation == "acknowledge" for e in events) == 1
    assert all("ok" != e.reason for e in events)


def test_acknowledge_needs_the_handoff_scope(api, stored):
    r = api.client.post(f"/v1/handoffs/{stored[0]}/acknowledge", headers=api.p1_reader)
    assert r.status_code == 403


def test_other_patients_key_cannot_read_history(api, stored):
    other = api.key(["*"], ["P002"])
    assert api.client.get("/v1/patients/P001/handoffs", headers=other).status_code == 403
    assert api.client.get(f"/v1/handoffs/{stored[0]}", headers=other).status_code == 403
    assert api.client.post(f"/v1/handoffs/{stored[0]}/acknowledge",
                           headers=other).status_code == 403


def test_unknown_summary_is_404_problem(api):
    for r in (api.client.get("/v1/handoffs/999999", headers=api.admin),
              api.client.get("/v1/handoffs/999999/changes", headers=api.admin),
              api.client.post("/v1/handoffs/999999/acknowledge", headers=api.admin)):
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")


def test_since_of_another_patient_is_404(api, stored):
    r = api.client.get(f"/v1/handoffs/{stored[1]}/changes?since=999999",
                       headers=api.p1_reader)
    assert r.status_code == 404


def test_replayed_fhir_handoff_shows_its_acknowledgement(api):
    """A retry with the same Idempotency-Key after the handoff was signed returns the
    stored summary as signed (final), not as it was first answered."""
    headers = {**api.p1_all, "Idempotency-Key": "replay-after-sign"}
    body = {"run": "sync", "format": "fhir"}
    first = api.client.post("/v1/patients/P001/handoff", json=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["fhir"]["entry"][0]["resource"]["status"] == "preliminary"
    signed = api.client.post(f"/v1/handoffs/{first.json()['summary_id']}/acknowledge",
                             headers=api.p1_all)
    assert signed.status_code == 200, signed.text
    again = api.client.post("/v1/patients/P001/handoff", json=body, headers=headers)
    assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["summary_id"] == first.json()["summary_id"]
    assert again.json()["fhir"]["entry"][0]["resource"]["status"] == "final"


def test_ids_beyond_the_store_are_422_not_500(api, stored):
    """The contract test found a 500 (integer overflow in the database) for a huge id."""
    for url in (f"/v1/handoffs/{stored[1]}/changes?since=-83435936936347648000",
                f"/v1/handoffs/{stored[1]}/changes?since=99999999999999999999",
                "/v1/handoffs/99999999999999999999"):
        r = api.client.get(url, headers=api.p1_reader)
        assert r.status_code == 422, (url, r.text)
