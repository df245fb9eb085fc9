"""``clinagent extract`` as a user runs it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agent.cli import app

runner = CliRunner()


def _write(tmp_path, lines):
    p = tmp_path / "notes.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_when_file_has_a_bad_line_then_good_notes_are_written_and_exit_code_is_1(tmp_path):
    notes = _write(tmp_path, [
        json.dumps({"patient_id": "p1", "note_id": "a", "text": "Pt has HTN, on lisinopril."}),
        '{"patient_id": "p1", "note_id": "b", "text": ',
        json.dumps({"patient_id": "p1", "note_id": "c", "text": "No fever."}),
    ])
    out = tmp_path / "out" / "ents.jsonl"
    result = runner.invoke(app, ["extract", str(notes), "-o", str(out)])
    assert result.exit_code == 1
    assert "line 2" in result.output and "malformed JSON" in result.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    # The skipped line is recorded in its place (tests/agent/cli/test_partial_input.py).
    assert rows[1]["input_issue"]["line"] == 2
    rows = [r for r in rows if "input_issue" not in r]
    assert [r["note_id"] for r in rows] == ["a", "c"]
    assert out.stat().st_mode & 0o044  # readable like any file the user creates
    assert {e["text"] for e in rows[0]["entities"]} >= {"HTN", "lisinopril"}
    assert rows[0]["provenance"]["producer"]


def test_when_file_is_empty_then_exit_code_2_and_no_output(tmp_path):
    notes = tmp_path / "empty.jsonl"
    notes.write_text("")
    out = tmp_path / "ents.jsonl"
    result = runner.invoke(app, ["extract", str(notes), "-o", str(out)])
    assert result.exit_code == 2 and "no notes" in result.output
    assert not out.exists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_when_path_is_missing_then_exit_code_2(tmp_path):
    result = runner.invoke(app, ["extract", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 2 and "no such file" in result.output


def test_when_txt_file_then_output_goes_to_stdout(tmp_path):
    p = tmp_path / "dc_summary.txt"
    p.write_text("Discharge Medications:\nAspirin 81 mg PO daily\n", encoding="utf-8")
    result = runner.invoke(app, ["extract", str(p), "--patient-id", "p7"])
    assert result.exit_code == 0
    row = json.loads(result.stdout.splitlines()[0])
    assert row["note_id"] == "dc_summary" and row["patient_id"] == "p7"
    med = row["entities"][0]
    assert med["section"] == "DISCHARGE_MEDICATIONS"
    assert med["attributes"]["strength"]["text"] == "81 mg"


def test_when_workers_is_2_then_output_equals_single_process_in_input_order(tmp_path):
    lines = [json.dumps({"patient_id": "p", "note_id": f"n{i}",
                         "text": f"Pt {i}: HTN, on lisinopril {i + 1} mg daily. Denies CP."})
             for i in range(40)]
    lines.insert(7, '{"broken": ')
    notes = _write(tmp_path, lines)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    r1 = runner.invoke(app, ["extract", str(notes), "-o", str(one)])
    r2 = runner.invoke(app, ["extract", str(notes), "-o", str(two), "--workers", "2"])
    assert r1.exit_code == r2.exit_code == 1  # the broken line is reported by both
    assert "line 8" in r2.output
    assert one.read_text() == two.read_text()
    rows = [json.loads(x) for x in two.read_text().splitlines()]
    assert [r.get("note_id") or r["input_issue"]["line"] for r in rows] == [
        *(f"n{i}" for i in range(7)), 8, *(f"n{i}" for i in range(7, 40))]


def test_when_verbose_then_logs_never_contain_note_text(tmp_path, caplog):
    secret = "Zebediah Quuxworth MRN 99887766"
    notes = _write(tmp_path, [
        json.dumps({"patient_id": "p1", "note_id": "a",
                    "text": f"Pt {secret} has HTN, on lisinopril 10 mg daily."}),
        json.dumps({"patient_id": "p1", "note_id": "b", "text": secret, "date": "bad"}),
    ])
    caplog.set_level("DEBUG")
    result = runner.invoke(app, ["-v", "extract", str(notes), "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 1
    for text in (result.output, caplog.text):
        assert "Zebediah" not in text and "99887766" not in text
