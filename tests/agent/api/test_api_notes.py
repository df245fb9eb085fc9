"""Ingest is idempotent by note id, reports bad items, accepts JSON Lines bodies."""

from __future__ import annotations

import json


def test_when_same_notes_posted_again_then_unchanged(api, demo):
    r = api.client.post("/v1/notes", json={"notes": demo("P001")}, headers=api.admin)
    body = r.json()
    assert r.status_code == 200
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 0, 6)
    assert body["indexed_chunks"] == 0


def test_when_note_changed_then_updated_and_reindexed(api):
    note = {"patient_id": "P001", "note_id": "P001-99", "note_type": "Progress",
            "date": "2026-03-19", "text": "Furosemide 40 mg PO daily continued."}
    assert api.client.post("/v1/notes", json={"notes": [note]},
                           headers=api.p1_all).json()["created"] == 1
    note["text"] = "Furosemide increased to 80 mg PO daily."
    body = api.client.post("/v1/notes", json={"notes": [note]}, headers=api.p1_all).json()
    assert body["updated"] == 1 and body["indexed_chunks"] >= 1
    stored = api.client.get("/v1/patients/P001/notes", headers=api.p1_reader).json()["notes"]
    assert [n["text"] for n in stored if n["note_id"] == "P001-99"] == [note["text"]]
    assert api.services.index.note_entry("P001-99").text_sha256 == \
        [n["text_sha256"] for n in stored if n["note_id"] == "P001-99"][0]


def test_when_some_items_invalid_then_rest_stored_and_rejects_listed(api):
    items = [{"patient_id": "P001", "note_id": "P001-98", "text": "Walked 100 ft."},
             {"patient_id": "P001", "note_id": "bad-date", "date": "14/03/2026", "text": "x"},
             {"patient_id": "P001", "text": "no id"}]
    body = api.client.post("/v1/notes", json={"notes": items}, headers=api.p1_all).json()
    assert body["accepted"] == 1
    assert [(x["index"], x["field"]) for x in body["rejected"]] == [(1, "date"),
                                                                    (2, "note_id")]


def test_when_no_item_valid_then_422(api):
    r = api.client.post("/v1/notes", json={"notes": [{"patient_id": "P001", "note_id": "e",
                                                      "text": "  "}]}, headers=api.admin)
    assert r.status_code == 422 and "field text" in r.json()["detail"]


def test_json_lines_body_is_accepted(api):
    lines = "\n".join(json.dumps({"patient_id": "P001", "note_id": f"P001-nd{i}",
                                  "text": f"Daily weight {70 + i} kg."}) for i in range(3))
    r = api.client.post("/v1/notes", content=lines.encode(), headers={
        **api.p1_all, "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200 and r.json()["created"] == 3


def test_notes_come_back_in_date_order_with_extra_fields(api, demo):
    notes = api.client.get("/v1/patients/P001/notes", headers=api.p1_reader).json()["notes"]
    dated = [n["date"] for n in notes if n["date"]]
    assert dated == sorted(dated)
    source = {n["note_id"]: n for n in demo("P001")}
    for n in notes:
        if n["note_id"] in source:
            assert n["text"] == source[n["note_id"]]["text"]
