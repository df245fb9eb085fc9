"""``clinagent cohort``: notes -> a temporary database -> the cohort, in each format; a bad
query fails before any note is read."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agent.cli import app

NOTES = "evals/data/synthetic/notes.jsonl"


def _extractions(tmp_path, demo_extractions) -> str:
    _, extractions = demo_extractions
    path = tmp_path / "ext.jsonl"
    path.write_text("".join(e.model_dump_json() + "\n" for e in extractions.values()),
                    encoding="utf-8")
    return str(path)


def test_when_notes_given_then_cohort_with_evidence_in_json_and_csv(tmp_path,
                                                                     demo_extractions):
    ext = _extractions(tmp_path, demo_extractions)
    query = tmp_path / "q.txt"
    query.write_text('include: concept:"type 2 diabetes"\n'
                     "exclude: class:insulins [status=current]\n", encoding="utf-8")
    out = tmp_path / "c.json"
    r = CliRunner().invoke(app, ["cohort", str(query), NOTES, "--extractions", ext,
                                 "-o", str(out)])
    assert r.exit_code == 0, r.output
    body = json.loads(out.read_text(encoding="utf-8"))
    assert [p["patient_id"] for p in body["patients"]] == ["P001", "P005", "P006"]
    assert body["excluded"][0]["patient_id"] == "P007"
    r = CliRunner().invoke(app, ["cohort", str(query), NOTES, "--extractions", ext,
                                 "--format", "csv"])
    assert r.exit_code == 0
    assert r.stdout.splitlines()[0].startswith("patient_id,status,criterion,note_id")


def test_when_query_names_unknown_drug_then_exit_2_naming_it(tmp_path):
    query = tmp_path / "q.txt"
    query.write_text("include: drug:metfromin\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["cohort", str(query), str(tmp_path / "missing.jsonl")])
    assert r.exit_code == 2
    assert "'metfromin'" in r.output and "'metformin'" in r.output
