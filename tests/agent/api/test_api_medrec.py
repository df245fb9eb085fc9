"""``GET /v1/patients/{id}/medrec`` on demo patient P001."""

from __future__ import annotations


def _rows(api) -> dict[str, dict]:
    r = api.client.get("/v1/patients/P001/medrec", headers=api.p1_reader)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["patient_id"] == "P001" and body["has_home_list"] and body["has_discharge"]
    return {row["drug"]: row for row in body["rows"]}


def test_medrec_rows_of_p001(api):
    rows = _rows(api)
    assert rows["furosemide"]["change"] == "changed"
    assert "20 mg" in rows["furosemide"]["change_text"]
    assert "40 mg" in rows["furosemide"]["change_text"]
    assert rows["aspirin"]["change"] == "stopped"
    # The notes give two reasons; either is a cited phrase of theirs.
    assert rows["aspirin"]["reason"]["text"] in (
        "now on apixaban", "given remote PCI (>12 months) to lower bleeding risk")
    assert rows["metformin"]["change"] == "held"
    assert rows["apixaban"]["change"] == "new" and rows["apixaban"]["home"] is None
    assert rows["atorvastatin"]["change"] == "continued"
    assert "enalapril" not in rows  # an allergen, not a medication


def test_every_cell_and_reason_cites_the_notes_text(api, demo):
    texts = {n["note_id"]: n["text"] for n in demo("P001")}
    rows = _rows(api)
    for row in rows.values():
        for name in ("home", "inpatient", "discharge"):
            cell = row[name]
            if cell is None:
                continue
            assert cell["citations"]
            c = cell["citations"][-1]
            cited = texts[c["note_id"]][c["start"]:c["end"]].lower()
            assert cell["text"].split()[0].lower() in cited
        if row["reason"]:
            c = row["reason"]["citation"]
            assert texts[c["note_id"]][c["start"]:c["end"]] == row["reason"]["text"]


def test_conditional_plans_are_cited(api, demo):
    texts = {n["note_id"]: n["text"] for n in demo("P001")}
    body = api.client.get("/v1/patients/P001/medrec", headers=api.p1_reader).json()
    plans = {p["drug"]: p for p in body["conditional_plans"]}
    metformin = plans["metformin"]
    c = metformin["citation"]
    assert "resume 3/20 if" in texts[c["note_id"]][c["start"]:c["end"]]


def test_medrec_scopes_and_unknown_patient(api):
    other = api.key(["read"], ["P002"])
    assert api.client.get("/v1/patients/P001/medrec", headers=other).status_code == 403
    r = api.client.get("/v1/patients/NOPE/medrec", headers=api.admin)
    assert r.status_code == 404
