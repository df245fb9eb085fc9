"""Reading summaries to verify (JSON, Markdown, text) and ``clinagent verify``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agent.errors import InputError
from agent.verify import read_summary, split_text

HUMAN_MD = """# Handoff

## Summary
74M admitted with heart failure and new-onset atrial fibrillation. He was diuresed with
furosemide 40 mg IV BID.

## Medications
- Furosemide 80 mg PO daily
- Continue aspirin 81 mg daily
- **Apixaban** 5 mg PO BID

Allergies: enalapril (cough)
"""


def test_when_markdown_summary_then_sections_and_external_statements(tmp_path):
    path = tmp_path / "handoff.md"
    path.write_text(HUMAN_MD, encoding="utf-8")
    summary = read_summary(path, patient_id="P001")
    got = [(s.section, s.text) for s in summary.statements]
    assert ("medications", "Furosemide 80 mg PO daily") in got
    assert ("medications", "Apixaban 5 mg PO BID") in got
    assert ("allergies", "enalapril (cough)") in got
    assert sum(sec == "patient_summary" for sec, _ in got) == 2
    assert all(s.origin == "external" and not s.citations for s in summary.statements)
    assert summary.mode == "external" and summary.patient_id == "P001"


def test_when_plain_text_without_headings_then_patient_summary_sentences():
    pieces = split_text("Stable overnight. Lasix 40 mg IV given. K 3.4 repleted.")
    assert pieces == [("patient_summary", "Stable overnight."),
                      ("patient_summary", "Lasix 40 mg IV given."),
                      ("patient_summary", "K 3.4 repleted.")]


def test_when_bad_json_then_input_error_says_what_to_pass(tmp_path):
    path = tmp_path / "s.json"
    path.write_text('{"patient_id": "P001", ', encoding="utf-8")
    with pytest.raises(InputError, match="malformed JSON.*clinagent handoff"):
        read_summary(path)
    path.write_text('{"patient_id": "P001"}', encoding="utf-8")
    with pytest.raises(InputError, match="not a clinagent handoff summary"):
        read_summary(path)
    empty = tmp_path / "e.md"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        read_summary(empty)


def test_when_handoff_json_then_read_back_unchanged(tmp_path, extractor):
    from agent.schemas.summary import Citation, HandoffSummary, Statement

    summary = HandoffSummary(
        patient_id="P001", generated_at="2026-03-18T12:00:00+00:00", mode="extractive",
        note_ids=["P001-06"], provenance=extractor.provenance, statements=[Statement(
            id="s1", section="medications", text="Furosemide 40 mg PO daily.",
            citations=[Citation(note_id="P001-06", start=10, end=20)])])
    path = tmp_path / "h.json"
    path.write_text(summary.model_dump_json(), encoding="utf-8")
    assert read_summary(path) == summary


def test_when_cli_verifies_human_summary_then_flags_and_exit_code(tmp_path, monkeypatch,
                                                                   extractor):
    import importlib

    from agent.cli import app

    # The module, not the `verify` command function that agent.cli re-exports.
    monkeypatch.setattr(importlib.import_module("agent.cli.verify"), "make_extractor",
                        lambda settings: extractor)
    path = tmp_path / "handoff.md"
    path.write_text(HUMAN_MD, encoding="utf-8")
    out = tmp_path / "verified.json"
    result = CliRunner().invoke(app, ["verify", str(path), "evals/data/synthetic/notes.jsonl",
                                      "--patient", "P001", "-o", str(out)])
    assert result.exit_code == 1, result.output  # something is CONTRADICTED
    data = json.loads(out.read_text(encoding="utf-8"))
    verdicts = {s["text"]: s["verification"] for s in data["statements"]}
    assert verdicts["Furosemide 80 mg PO daily"]["reasons"] == ["wrong_dose"]
    assert verdicts["Continue aspirin 81 mg daily"]["reasons"] == ["stopped_drug_as_current"]
    assert verdicts["Apixaban 5 mg PO BID"]["verdict"] == "SUPPORTED"
    assert verdicts["enalapril (cough)"]["verdict"] == "SUPPORTED"
    assert data["omissions"], "current drugs such as metoprolol are not mentioned"
    assert "CONTRADICTED" in result.output and "omissions" in result.output


def test_when_cli_patient_unknown_then_exit_2(tmp_path):
    from agent.cli import app

    path = tmp_path / "handoff.md"
    path.write_text(HUMAN_MD, encoding="utf-8")
    result = CliRunner().invoke(app, ["verify", str(path), "evals/data/synthetic/notes.jsonl",
                                      "--patient", "P999"])
    assert result.exit_code == 2
    assert "no notes of the requested patient" in result.output
    assert "--patient" in result.output and "P001" not in result.output
