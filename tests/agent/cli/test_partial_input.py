"""Partial input travels with the output: ``clinagent handoff``, ``extract``, ``deid`` and
``fhir`` on a file with a bad line say so inside what they write, not only on stderr."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agent.cli import app

runner = CliRunner()

# Synthetic notes; the distinctive words let the tests check no note text leaks into issues.
GOOD_1 = {"patient_id": "p1", "note_id": "a", "note_type": "progress", "date": "2026-03-01",
          "text": "Assessment: Hypertension. Plan: continue lisinopril 10 mg daily. "
                  "Allergies: penicillin (rash)."}
GOOD_2 = {"patient_id": "p1", "note_id": "c", "note_type": "progress", "date": "2026-03-02",
          "text": "Assessment: Hypertension, stable. Plan: continue lisinopril 10 mg daily."}
BAD_JSON = '{"patient_id": "p1", "note_id": "b", "text": "Zephyrine blood pressure'
EMPTY_OTHER = {"patient_id": "p2", "note_id": "d", "text": "   "}


@pytest.fixture
def notes(tmp_path):
    """Line 2 is malformed JSON (patient unknown); line 4 is an empty note of p2."""
    p = tmp_path / "notes.jsonl"
    p.write_text("\n".join([json.dumps(GOOD_1), BAD_JSON, json.dumps(GOOD_2),
                            json.dumps(EMPTY_OTHER)]) + "\n", encoding="utf-8")
    return p


def _handoff(notes, tmp_path, fmt: str) -> tuple[int, str, str]:
    out = tmp_path / f"handoff.{fmt}"
    result = runner.invoke(app, ["handoff", str(notes), "--patient", "p1", "--format", fmt,
                                 "-o", str(out)])
    return result.exit_code, result.output, out.read_text(encoding="utf-8")


def test_when_a_line_is_bad_then_handoff_markdown_opens_with_a_partial_input_banner(
        notes, tmp_path):
    code, stderr, md = _handoff(notes, tmp_path, "md")
    assert code == 1 and "skipped:" in stderr and "line 2" in stderr  # unchanged behaviour
    head = md.split("## ", 1)[0]  # the banner comes before any section
    assert "PARTIAL INPUT" in head
    assert "built from 2 note(s); 1 input line(s)" in head
    assert "> - notes.jsonl line 2: malformed JSON" in head
    # The empty note names patient p2: it is not a gap in p1's handoff.
    assert "line 4" not in md
    assert "Zephyrine" not in md


def test_when_a_line_is_bad_then_handoff_json_lists_the_line_and_reason(notes, tmp_path):
    code, _, text = _handoff(notes, tmp_path, "json")
    data = json.loads(text)
    assert code == 1
    assert data["note_ids"] == ["a", "c"]
    assert len(data["input_issues"]) == 1
    issue = data["input_issues"][0]
    assert issue["source"] == "notes.jsonl" and issue["line"] == 2
    assert issue["problem"].startswith("malformed JSON") and issue["field"] is None
    assert str(tmp_path) not in text  # the file name only, not the folder


def test_when_a_line_is_bad_then_handoff_fhir_has_a_partial_input_section(notes, tmp_path):
    from agent.fhir import EXT_INPUT_ISSUE

    code, _, text = _handoff(notes, tmp_path, "fhir")
    composition = json.loads(text)["entry"][0]["resource"]
    assert code == 1 and composition["resourceType"] == "Composition"
    assert "PARTIAL INPUT" in composition["text"]["div"]
    first = composition["section"][0]
    assert first["code"]["coding"][0]["code"] == "input_issues"
    ext = first["extension"][0]
    assert ext["url"] == EXT_INPUT_ISSUE
    parts = {e["url"]: next(v for k, v in e.items() if k.startswith("value"))
             for e in ext["extension"]}
    assert parts["source"] == "notes.jsonl" and parts["line"] == 2
    assert parts["problem"].startswith("malformed JSON")


def test_when_input_is_whole_then_handoff_has_no_banner_and_exit_0(tmp_path):
    p = tmp_path / "whole.jsonl"
    p.write_text(json.dumps(GOOD_1) + "\n" + json.dumps(GOOD_2) + "\n", encoding="utf-8")
    md_out, json_out = tmp_path / "h.md", tmp_path / "h.json"
    r1 = runner.invoke(app, ["handoff", str(p), "--patient", "p1", "-o", str(md_out)])
    r2 = runner.invoke(app, ["handoff", str(p), "--patient", "p1", "--format", "json",
                             "-o", str(json_out)])
    assert r1.exit_code == r2.exit_code == 0
    assert "PARTIAL INPUT" not in md_out.read_text()
    assert json.loads(json_out.read_text())["input_issues"] == []


def test_when_a_line_is_bad_then_extract_output_holds_an_input_issue_record_in_its_place(
        notes, tmp_path):
    out = tmp_path / "ents.jsonl"
    result = runner.invoke(app, ["extract", str(notes), "-o", str(out)])
    assert result.exit_code == 1 and "line 2" in result.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r.get("note_id") or "issue" for r in rows] == ["a", "issue", "c", "issue"]
    bad, empty = rows[1]["input_issue"], rows[3]["input_issue"]
    assert bad == {"source": "notes.jsonl", "line": 2, "field": None,
                   "problem": bad["problem"], "patient_id": None}
    assert bad["problem"].startswith("malformed JSON")
    assert empty["line"] == 4 and empty["field"] == "text" and empty["patient_id"] == "p2"
    assert "Zephyrine" not in out.read_text()


def test_when_a_line_is_bad_then_deid_output_holds_an_input_issue_without_patient_id(
        notes, tmp_path):
    out = tmp_path / "deid.jsonl"
    result = runner.invoke(app, ["deid", str(notes), "-o", str(out)])
    assert result.exit_code == 1 and "line 2" in result.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    issues = [r["input_issue"] for r in rows if "input_issue" in r]
    assert [r["note_id"] for r in rows if "note_id" in r] == ["a", "c"]
    assert [(i["line"], i["field"]) for i in issues] == [(2, None), (4, "text")]
    # De-identified output carries no patient ids, the issue records neither.
    assert all(i["patient_id"] is None for i in issues)
    assert "p2" not in out.read_text()


def test_when_extract_output_holds_input_issues_then_fhir_bundle_says_it_is_partial(
        notes, tmp_path):
    ents, bundle_file = tmp_path / "ents.jsonl", tmp_path / "bundle.json"
    assert runner.invoke(app, ["extract", str(notes), "-o", str(ents)]).exit_code == 1
    result = runner.invoke(app, ["fhir", str(ents), "--patient", "p1", "-o", str(bundle_file)])
    assert result.exit_code == 0, result.output
    assert "partial input" in result.output
    bundle = json.loads(bundle_file.read_text())
    outcome = next(e["resource"] for e in bundle["entry"]
                   if e["resource"]["resourceType"] == "OperationOutcome")
    partial = [i for i in outcome["issue"] if i["code"] == "incomplete"]
    # Line 2 may be p1's; line 4 names p2 and is left out of p1's bundle.
    assert len(partial) == 1 and "notes.jsonl line 2" in partial[0]["diagnostics"]
