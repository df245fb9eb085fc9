"""``GET /v1/patients/{id}/fhir``: a patient's stored notes as a validated FHIR Bundle."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("version", ["R5", "R4B"])
def test_patient_bundle_validates_and_points_at_stored_text(api, demo, version):
    r = api.client.get(f"/v1/patients/P001/fhir?version={version}", headers=api.p1_all)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    bundle = r.json()
    if version == "R5":
        from fhir.resources.bundle import Bundle
    else:
        from fhir.resources.R4B.bundle import Bundle
    Bundle.model_validate(bundle)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Condition", "MedicationStatement", "AllergyIntolerance"} <= kinds
    texts = {n["note_id"]: n["text"] for n in demo("P001")}
    spans = [x for e in bundle["entry"] for x in e["resource"].get("extension", [])
             if x["url"].endswith("source-span")]
    assert spans
    for span in spans:
        parts = {p["url"]: next(v for k, v in p.items() if k.startswith("value"))
                 for p in span["extension"]}
        assert parts["noteId"] in texts
        assert 0 <= parts["start"] < parts["end"] <= len(texts[parts["noteId"]])


def test_patient_bundle_needs_extract_scope_on_the_patient(api):
    assert api.client.get("/v1/patients/P001/fhir", headers=api.p1_reader).status_code == 403
    assert api.client.get("/v1/patients/P001/fhir").status_code == 401
    r = api.client.get("/v1/patients/P001/fhir?version=STU3", headers=api.p1_all)
    assert r.status_code == 422
