"""Extraction and de-identification of posted text."""

from __future__ import annotations

TEXT = ("MEDICATIONS:\nMetoprolol tartrate 25 mg PO BID.\nAssessment: no chest pain. "
        "Seen by Dr. Wendell Pursglove on 3/14/2026, MRN 00482913.")


def test_extract_returns_grounded_entities(api):
    r = api.client.post("/v1/extract", json={"text": TEXT, "note_id": "n1"},
                        headers=api.admin)
    assert r.status_code == 200
    body = r.json()
    assert body["note_id"] == "n1" and body["provenance"]["producer"]
    for ent in body["entities"]:
        assert TEXT[ent["start"]:ent["end"]] == ent["text"]
    med = next(e for e in body["entities"] if e["type"] == "MEDICATION")
    assert med["text"].lower().startswith("metoprolol")
    assert med["attributes"]["frequency"]["value"] == "BID"
    pain = next(e for e in body["entities"] if "chest pain" in e["text"])
    assert pain["assertion"] == "absent"


def test_extract_checks_patient_scope(api):
    r = api.client.post("/v1/extract", json={"text": TEXT, "patient_id": "P002"},
                        headers=api.p1_all)
    assert r.status_code == 403


def test_deid_redacts_and_audits_without_values(api):
    r = api.client.post("/v1/deid", json={"text": TEXT, "mode": "redact"}, headers=api.admin)
    assert r.status_code == 200
    body = r.json()
    for value in ("Pursglove", "00482913", "3/14/2026"):
        assert value not in body["text"]
        assert value not in str(body["audit"])
    assert "[NAME]" in body["text"]
    assert {p["type"] for p in body["phi"]} >= {"NAME", "DATE", "MRN"}


def test_deid_surrogate_without_secret_is_a_clear_error(api):
    r = api.client.post("/v1/deid", json={"text": TEXT, "mode": "surrogate"},
                        headers=api.admin)
    assert r.status_code == 500 and "secret" in r.json()["detail"]


def test_deid_reads_the_posted_note_with_the_patients_stored_notes(api):
    # The same result as the CLI, which reads a patient's notes together: a surname found
    # behind a label in a stored note is found alone in the posted text.
    header = {"patient_id": "P001", "note_id": "ctx-header", "date": "2026-03-01",
              "text": "Patient: Oswin Ravensholt  MRN 4471-2290\nSeen for follow-up."}
    assert api.client.post("/v1/notes", json={"notes": [header]},
                           headers=api.admin).status_code == 200
    text = "Ravensholt tolerated diet and walked the hall."
    alone = api.client.post("/v1/deid", json={"text": text, "mode": "redact"},
                            headers=api.admin).json()
    with_patient = api.client.post("/v1/deid", json={"text": text, "mode": "redact",
                                                     "patient_id": "P001"},
                                   headers=api.admin).json()
    assert "Ravensholt" in alone["text"]
    assert "Ravensholt" not in with_patient["text"] and with_patient["note_id"] == "adhoc"
