"""``clinagent code`` and ``clinagent coding retrain`` registered in a small Typer app
(the integrator registers them in the real one)."""

from __future__ import annotations

import csv
import io
import json

import pytest
import typer
from typer.testing import CliRunner

from agent.cli.code import CSV_COLUMNS, code, retrain
from agent.schemas.coding import CoderDecision, NoteCodes

NOTE = ("ASSESSMENT:\n1. Type 2 diabetes.\n2. Peripheral neuropathy.\n3. No pneumonia.\n"
        "4. Possible sepsis.\n")


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    app.command("code")(code)
    app.command("retrain")(retrain)
    return app


@pytest.fixture()
def notes(tmp_path):
    path = tmp_path / "notes.jsonl"
    path.write_text(json.dumps({"note_id": "n1", "patient_id": "P900", "text": NOTE}) + "\n",
                    encoding="utf-8")
    return path


def test_code_writes_one_json_record_per_note(app, notes, tmp_path):
    out = tmp_path / "codes.jsonl"
    result = CliRunner().invoke(app, ["code", str(notes), "-o", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    records = [NoteCodes.model_validate_json(x) for x in out.read_text().splitlines()]
    assert [r.note_id for r in records] == ["n1"]
    codes = [s.code for s in records[0].suggestions]
    assert codes[0].startswith("E11.4")
    assert not any(c.startswith(("J18", "A41")) for c in codes)
    ev = records[0].suggestions[0].evidence[0]
    assert NOTE[ev.start:ev.end] == "Type 2 diabetes"


def test_code_inpatient_guideline_codes_uncertain_sepsis(app, notes, tmp_path):
    out = tmp_path / "codes.csv"
    result = CliRunner().invoke(app, ["code", str(notes), "-o", str(out), "--format", "csv",
                                      "--guideline", "inpatient", "--no-progress"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert "A41.9" in [r["code"] for r in rows]
    assert all(r["route"] in ("review", "pre-accepted") for r in rows)


def test_retrain_then_code_records_the_ranker_version(app, notes, tmp_path):
    decisions = tmp_path / "decisions.jsonl"
    decisions.write_text("".join(
        CoderDecision(note_id=f"x{i}", concept="diabetes mellitus, type 2", code="E11.40",
                      decision="replace", replacement="E11.42").model_dump_json() + "\n"
        for i in range(3)), encoding="utf-8")
    ranker = tmp_path / "ranker.json"
    result = CliRunner().invoke(app, ["retrain", str(decisions), "-o", str(ranker)])
    assert result.exit_code == 0, result.output
    version = json.loads(ranker.read_text())["ranker_version"]
    out = tmp_path / "codes.jsonl"
    result = CliRunner().invoke(app, ["code", str(notes), "-o", str(out), "--ranker",
                                      str(ranker), "--no-progress"])
    assert result.exit_code == 0, result.output
    record = NoteCodes.model_validate_json(out.read_text().splitlines()[0])
    assert record.provenance.ranker_version == version


def test_missing_ranker_file_exits_2_with_the_fix(app, notes, tmp_path):
    result = CliRunner().invoke(app, ["code", str(notes), "--ranker",
                                      str(tmp_path / "none.json"), "--no-progress"])
    assert result.exit_code == 2
    assert "retrain" in result.output
