"""The coder page's service side on demo patient P001: the code search (by code, by words,
both systems, bad queries), review time stored with the decisions (bounds, no note text),
the dashboard's median review time and precision@k per day."""

from __future__ import annotations

import pytest

from agent.api import coding_service as svc
from agent.coding import conventions as conv
from agent.schemas.coding_api import MAX_CODE_QUERY_CHARS, MAX_REVIEW_SECONDS
from agent.store.models import CodingDecisionRow, CodingReviewRow, NoteRow


@pytest.fixture(scope="module")
def coder(api):
    """A coder's key: the note text (``read``) and the coding routes (``code``) on P001."""
    return api.key(["read", "code"], ["P001"])


def _search(api, headers, q, **params):
    return api.client.get("/v1/coding/codes", params={"q": q, **params}, headers=headers)


def _found(api, headers, q, **params) -> dict:
    r = _search(api, headers, q, **params)
    assert r.status_code == 200, r.text
    return r.json()


def _metrics(api, headers) -> dict:
    r = api.client.get("/v1/coding/metrics", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _accept_top(api, headers, note_id, **extra):
    r = api.client.get(f"/v1/notes/{note_id}/codes", headers=headers)
    assert r.status_code == 200, r.text
    top = r.json()["suggestions"][0]
    decision = {"concept": top["mentions"][0]["concept"], "system": top["system"],
                "code": top["code"], "decision": "accept", "score": top["score"]}
    return api.client.post(f"/v1/notes/{note_id}/codes/decisions",
                           json={"decisions": [decision], **extra}, headers=headers)


# fmt: off
@pytest.mark.parametrize("q, system, expected", [
    ("E11.4", "ICD-10-CM", "E11.40"),
    ("e114", "ICD-10-CM", "E11.40"),
    ("I50.2", "ICD-10-CM", "I50.23"),
    ("0DTJ", "ICD-10-PCS", "0DTJ4ZZ"),
])
# fmt: on
def test_when_query_reads_as_a_code_then_codes_starting_with_it_in_code_order(
        api, coder, q, system, expected):
    body = _found(api, coder, q, system=system)
    assert body["match"] == "code" and body["system"] == system
    codes = [m["code"] for m in body["matches"]]
    assert expected in codes
    prefix = q.replace(".", "").upper()
    assert all(c.replace(".", "").startswith(prefix) for c in codes)
    assert codes == sorted(codes, key=lambda c: c.replace(".", ""))
    assert all(m["description"] for m in body["matches"])
    assert body["icd10cm_release"].startswith("simple_icd_10_cm==") and body["package_version"]


def test_when_a_category_is_found_then_it_is_marked_not_billable(api, coder):
    matches = {m["code"]: m for m in _found(api, coder, "E11.4")["matches"]}
    assert matches["E11.4"]["billable"] is False
    assert matches["E11.40"]["billable"] is True


# fmt: off
@pytest.mark.parametrize("q, system, expected", [
    ("type 2 diabetes neuropathy", "ICD-10-CM", "E11.40"),
    ("CHF", "ICD-10-CM", "I50.9"),
    ("resection appendix open", "ICD-10-PCS", "0DTJ0ZZ"),
])
# fmt: on
def test_when_query_is_words_then_codes_whose_title_matches(api, coder, q, system, expected):
    body = _found(api, coder, q, system=system, limit=20)
    assert body["match"] == "words"
    codes = [m["code"] for m in body["matches"]]
    assert expected in codes, codes
    assert len(codes) <= 20


def test_every_code_the_search_offers_passes_the_decision_check(api, coder):
    for q, system in (("heart failure", "ICD-10-CM"), ("E87", "ICD-10-CM"),
                      ("drainage pleural", "ICD-10-PCS")):
        for m in _found(api, coder, q, system=system, limit=50)["matches"]:
            assert conv.is_known_code(m["code"], system), m
            if m["billable"]:
                svc.check_decisions("N", [svc.CoderDecision(code=m["code"], system=system,
                                                            decision="add")])


def test_when_nothing_matches_then_an_empty_list(api, coder):
    body = _found(api, coder, "qqqzzzxxy")
    assert body["matches"] == [] and body["match"] == "words"


# fmt: off
@pytest.mark.parametrize("params, field", [
    ({"q": ""}, "q"),
    ({"q": "   "}, "q"),
    ({"q": "x" * (MAX_CODE_QUERY_CHARS + 1)}, "q"),
    ({"q": "E11", "system": "ICD-9-CM"}, "system"),
    ({"q": "E11", "limit": 0}, "limit"),
])
# fmt: on
def test_bad_search_is_422_naming_the_field(api, coder, params, field):
    r = api.client.get("/v1/coding/codes", params=params, headers=coder)
    assert r.status_code == 422, r.text
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in body["detail"]
    if field == "system":
        assert "ICD-10-CM" in r.text and "ICD-10-PCS" in r.text


def test_search_needs_the_code_scope(api):
    r = _search(api, api.p1_reader, "E11")
    assert r.status_code == 403 and "'code'" in r.json()["detail"]


def test_review_time_is_stored_with_the_decisions_and_gives_the_median(api, coder):
    before = _metrics(api, coder)
    assert before["median_review_seconds"] is None and before["reviewed_notes"] == 0
    assert _accept_top(api, coder, "P001-01", review_seconds=30).status_code == 200
    assert _accept_top(api, coder, "P001-02", review_seconds=90.04).status_code == 200
    after = _metrics(api, coder)
    assert after["reviewed_notes"] == 2
    assert after["median_review_seconds"] == pytest.approx(60.0)
    # A second sitting on a note adds to that note's time: (30 + 40, 90) -> 80.
    assert _accept_top(api, coder, "P001-01", review_seconds=40).status_code == 200
    again = _metrics(api, coder)
    assert again["reviewed_notes"] == 2
    assert again["median_review_seconds"] == pytest.approx(80.0)
    with api.services.sessions() as session:
        rows = session.query(CodingReviewRow).order_by(CodingReviewRow.id).all()
        text = session.get(NoteRow, "P001-01").text
        decisions = session.query(CodingDecisionRow).count()
    # Stored to a tenth of a second.
    assert [(r.note_id, r.seconds, r.decisions) for r in rows] == [
        ("P001-01", 30.0, 1), ("P001-02", 90.0, 1), ("P001-01", 40.0, 1)]
    assert all(r.patient_id == "P001" and r.key_id and r.at for r in rows)
    assert decisions == again["decisions"]
    # Ids and a duration only: nothing of the note.
    values = [str(getattr(r, c.name)) for r in rows for c in CodingReviewRow.__table__.columns]
    assert not any(len(v) > 20 and v in text for v in values)


def test_decisions_without_review_time_store_no_review(api, coder):
    before = _metrics(api, coder)
    assert _accept_top(api, coder, "P001-03").status_code == 200
    after = _metrics(api, coder)
    assert after["decisions"] == before["decisions"] + 1
    assert after["reviewed_notes"] == before["reviewed_notes"]


# fmt: off
@pytest.mark.parametrize("seconds", [-1, MAX_REVIEW_SECONDS + 1, "soon"])
# fmt: on
def test_review_time_out_of_bounds_is_422_and_stores_nothing(api, coder, seconds):
    with api.services.sessions() as session:
        before = (session.query(CodingDecisionRow).count(),
                  session.query(CodingReviewRow).count())
    r = _accept_top(api, coder, "P001-04", review_seconds=seconds)
    assert r.status_code == 422, r.text
    assert "review_seconds" in r.json()["detail"]
    with api.services.sessions() as session:
        assert (session.query(CodingDecisionRow).count(),
                session.query(CodingReviewRow).count()) == before


def test_metrics_give_precision_per_day(api, coder):
    body = _metrics(api, coder)
    assert body["per_day"]
    for day in body["per_day"]:
        assert set(day) >= {"date", "decisions", "accepted", "precision_at_1",
                            "precision_at_5"}
    if len(body["per_day"]) == 1:
        day = body["per_day"][0]
        assert day["precision_at_1"] == body["precision_at_1"]
        assert day["precision_at_5"] == body["precision_at_5"]


def test_median_of_per_note_times_in_the_metrics_function():
    made = svc.metrics([], 0, "ranker-v1:x", [10.0, 40.0, 20.0])
    assert made.median_review_seconds == 20.0 and made.reviewed_notes == 3
    assert svc.metrics([], 0, "ranker-v1:x").median_review_seconds is None


def test_erasing_the_patient_deletes_its_review_times(api, coder):
    """Last in the module: P001 is gone afterwards."""
    with api.services.sessions() as session:
        stored = session.query(CodingReviewRow).filter_by(patient_id="P001").count()
    assert stored > 0
    r = api.client.delete("/v1/patients/P001", headers=api.key(["delete"], ["P001"]))
    assert r.status_code == 200, r.text
    assert r.json()["other_rows"]["coding_reviews"] == stored
    with api.services.sessions() as session:
        assert session.query(CodingReviewRow).count() == 0
