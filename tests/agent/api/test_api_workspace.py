"""Workspace routes: banner, timeline, labs and search of a stored patient."""

from __future__ import annotations


def test_banner_of_p001(api, demo):
    r = api.client.get("/v1/patients/P001/banner", headers=api.p1_reader)
    assert r.status_code == 200, r.text
    body = r.json()
    mrn = body["fields"]["mrn"]
    assert mrn["value"] == "00482913" and mrn["source"] == "header"
    text = {n["note_id"]: n["text"] for n in demo("P001")}[mrn["citation"]["note_id"]]
    assert text[mrn["citation"]["start"]:mrn["citation"]["end"]] == "00482913"
    assert body["fields"]["age"] == {"value": "74", "citation": None, "source": "derived",
                                     "note_id": body["fields"]["dob"]["note_id"]}
    assert body["conflicts"] == []


def test_timeline_and_labs_of_p001(api):
    timeline = api.client.get("/v1/patients/P001/timeline", headers=api.p1_reader).json()
    assert timeline["notes"][0]["title"] == "ED provider note"
    kinds = [e["kind"] for e in timeline["events"]]
    assert kinds[0] == "admission" and "discharge" in kinds and "medication" in kinds
    labs = api.client.get("/v1/patients/P001/labs", headers=api.p1_reader).json()
    cr = next(t for t in labs["tests"] if t["name"] == "creatinine")
    assert cr["trend"] == "up" and [v["value"] for v in cr["values"]][:3] == [1.3, 1.6, 1.9]


def test_search_of_p001(api):
    r = api.client.get("/v1/patients/P001/search", params={"q": "furosemide", "limit": 2},
                       headers=api.p1_reader)
    body = r.json()
    assert r.status_code == 200 and body["total"] > 2 and len(body["hits"]) == 2
    hit = body["hits"][0]
    start = hit["start"] - hit["snippet_start"]
    assert hit["snippet"][start:start + 10].lower() == "furosemide"


def test_search_query_errors_are_422_with_fix(api):
    for q in ("", "x" * 201):
        r = api.client.get("/v1/patients/P001/search", params={"q": q}, headers=api.p1_reader)
        assert r.status_code == 422 and "q" in r.json()["detail"]
    r = api.client.get("/v1/patients/P001/search", params={"q": "x", "limit": 501},
                       headers=api.p1_reader)
    assert r.status_code == 422


def test_other_patient_or_unknown_patient_refused(api):
    other = api.key(["read"], ["P002"])
    for path in ("banner", "timeline", "labs", "search?q=x"):
        assert api.client.get(f"/v1/patients/P001/{path}", headers=other).status_code in \
            (403, 404)
        assert api.client.get(f"/v1/patients/P404/{path}", headers=api.admin).status_code \
            == 404


def test_notes_listing_has_title_and_author(api):
    notes = api.client.get("/v1/patients/P001/notes", headers=api.p1_reader).json()["notes"]
    by_id = {n["note_id"]: n for n in notes}
    assert by_id["P001-01"]["title"] == "ED provider note"
    assert by_id["P001-06"]["author"] == "Anselm Grevitt, MD"
