"""Access control: 401 without a valid key, 403 outside the key's scopes (audited), 429
above the rate."""

from __future__ import annotations

from agent.store import repository as repo


def _latest_audit(api, patient_id=None):
    with api.services.sessions() as session:
        return repo.audit_events(session, patient_id=patient_id, limit=1)[0]


def test_when_no_key_then_401_problem_and_counted(api):
    from agent.store.limits import auth_failure_rows

    r = api.client.get("/v1/patients/P001/notes")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 401 and "Authorization: Bearer" in body["detail"]
    with api.services.sessions() as session:
        rows = auth_failure_rows(session)
    assert [(r.reason, r.count) for r in rows if r.reason == "no key"][0][1] >= 1


def test_when_unknown_or_malformed_key_then_401(api):
    for header in ({"Authorization": "Bearer ck_deadbeef0000_nope"},
                   {"X-API-Key": "not-a-key"}):
        assert api.client.get("/v1/patients", headers=header).status_code == 401


def test_when_key_lacks_patient_then_403_and_denial_audited(api):
    other = api.key(["read", "chat"], ["P002"])
    r = api.client.get("/v1/patients/P001/notes", headers=other)
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    event = _latest_audit(api, "P001")
    assert (event.operation, event.is_allowed, event.reason) == ("read", False,
                                                                  "patient not in scope")
    r = api.client.post("/v1/chat", json={"patient_id": "P001", "question": "dose?"},
                        headers=other)
    assert r.status_code == 403


def test_when_key_lacks_operation_then_403(api):
    r = api.client.post("/v1/chat", json={"patient_id": "P001", "question": "dose?"},
                        headers=api.p1_reader)
    assert r.status_code == 403
    assert "'chat'" in r.json()["detail"]
    r = api.client.post("/v1/notes", json={"notes": [{"patient_id": "P001", "note_id": "x",
                                                      "text": "new note"}]},
                        headers=api.p1_reader)
    assert r.status_code == 403


def test_when_key_in_scope_then_allowed_and_audited(api):
    r = api.client.get("/v1/patients/P001/notes", headers={"X-API-Key": api.p1_reader[
        "Authorization"].split()[1]})
    assert r.status_code == 200
    event = _latest_audit(api, "P001")
    assert (event.operation, event.is_allowed) == ("read", True)


def test_patients_list_shows_only_the_keys_patients(api):
    api.client.post("/v1/notes", json={"notes": [{"patient_id": "P009", "note_id": "P009-01",
                                                  "text": "Seen in clinic for cough."}]},
                    headers=api.admin)
    mine = api.client.get("/v1/patients", headers=api.p1_reader).json()["patients"]
    assert [p["patient_id"] for p in mine] == ["P001"]
    everyone = api.client.get("/v1/patients", headers=api.admin).json()["patients"]
    assert {"P001", "P009"} <= {p["patient_id"] for p in everyone}


def test_when_key_revoked_then_401(api):
    from agent.store.keys import revoke_key

    headers = api.key(["read"], ["*"])
    assert api.client.get("/v1/patients", headers=headers).status_code == 200
    key_id = headers["Authorization"].split("_")[1]
    with api.services.sessions() as session:
        assert revoke_key(session, key_id)
        session.commit()
    assert api.client.get("/v1/patients", headers=headers).status_code == 401


def test_when_rate_exceeded_then_429_with_retry_after(api):
    from agent.api.limits import RateLimiter

    app = api.client.app
    saved = app.state.rate_limiter
    app.state.rate_limiter = RateLimiter(api.services.sessions, per_minute=60, burst=3)
    try:
        codes = [api.client.get("/v1/patients", headers=api.p1_reader).status_code
                 for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        r = api.client.get("/v1/patients", headers=api.p1_reader)
        assert int(r.headers["Retry-After"]) >= 1
        assert r.headers["content-type"].startswith("application/problem+json")
    finally:
        app.state.rate_limiter = saved
