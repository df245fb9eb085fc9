"""``clinagent deid`` as a user runs it (the command is registered on a local app here)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from agent.cli.deid import deid

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(deid)
    app.command("noop")(lambda: None)  # keep subcommand mode so "deid" is a command name
    return app


def _notes(tmp_path, rows):
    p = tmp_path / "notes.jsonl"
    p.write_text("\n".join(json.dumps(r) if isinstance(r, dict) else r for r in rows) + "\n")
    return p


def test_when_notes_are_redacted_then_output_and_audit_are_written(tmp_path):
    notes = _notes(tmp_path, [
        {"patient_id": "p1", "note_id": "a", "text": "Seen by Dr. Thornbury on 3/15/2026."},
        '{"patient_id": "p1", "note_id": "b", "text": ',
        {"patient_id": "p1", "note_id": "c", "text": "No fever. BP 120/80."},
    ])
    out, audit = tmp_path / "out.jsonl", tmp_path / "audit.jsonl"
    result = runner.invoke(_app(), ["deid", str(notes), "-o", str(out), "--audit", str(audit)])
    assert result.exit_code == 1 and "line 2" in result.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert rows.pop(1)["input_issue"]["line"] == 2  # the skipped line, in its place
    # The title goes with the name it identifies.
    assert rows[0]["text"] == "Seen by [NAME] on [DATE]."
    assert rows[0]["phi"][0] == {"start": 8, "end": 21, "type": "NAME", "replacement": "[NAME]",
                                 "new_start": 8, "new_end": 14}
    assert rows[1]["phi"] == []
    assert "Thornbury" not in audit.read_text() and len(audit.read_text().splitlines()) == 2


def test_when_surrogate_mode_has_no_secret_then_exit_2_and_nothing_written(tmp_path, monkeypatch):
    monkeypatch.delenv("CLINAGENT_DEID__SECRET", raising=False)
    monkeypatch.delenv("CLINAGENT_DEID__SECRET_FILE", raising=False)
    from agent.config import get_settings

    get_settings.cache_clear()
    notes = _notes(tmp_path, [{"patient_id": "p1", "note_id": "a", "text": "Dr. Smith"}])
    out = tmp_path / "out.jsonl"
    result = runner.invoke(_app(), ["deid", str(notes), "-o", str(out), "--mode", "surrogate"])
    assert result.exit_code == 2 and "secret" in result.output and not out.exists()


def test_when_file_is_empty_then_exit_2(tmp_path):
    notes = tmp_path / "empty.jsonl"
    notes.write_text("")
    result = runner.invoke(_app(), ["deid", str(notes), "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2


@pytest.mark.process
def test_when_run_is_stopped_by_sigterm_then_no_partial_file_is_left(tmp_path):
    # A scheduler's time limit sends SIGTERM; the temporary output must not stay behind.
    import signal
    import subprocess
    import sys
    import time

    notes = _notes(tmp_path, [{"note_id": f"n{i}", "patient_id": "p",
                               "text": "Seen at Halloran West Rehab. " * 4000} for i in range(8)])
    out = tmp_path / "out" / "deid.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "agent.cli", "deid", str(notes), "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not list(out.parent.glob(".*.tmp")):
        time.sleep(0.1)
    assert list(out.parent.glob(".*.tmp")), "the run never opened its temporary output"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    assert not out.exists() and not list(out.parent.glob(".*.tmp"))
