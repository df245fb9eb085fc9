"""``clinagent batch`` as a user runs it: the registered command, settings as defaults."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agent.cli import app


def test_batch_command_uses_batch_settings_and_resumes(tmp_path, demo_records, write_jsonl,
                                                       monkeypatch):
    notes = write_jsonl(tmp_path / "notes.jsonl", demo_records(12))
    out = tmp_path / "out"
    # Settings give the defaults the options leave open: JSON Lines, small shards (a
    # patient's notes are never split, so a shard closes at the first patient past 2).
    monkeypatch.setenv("CLINAGENT_BATCH__OUTPUT_FORMAT", "jsonl")
    monkeypatch.setenv("CLINAGENT_BATCH__SHARD_NOTES", "2")
    runner = CliRunner()
    first = runner.invoke(app, ["batch", str(notes), "-o", str(out), "--stages", "extract",
                                "--no-progress"])
    assert first.exit_code == 0, first.output
    shards = sorted((out / "results").glob("*.jsonl"))
    assert len(shards) >= 2
    ids = [json.loads(line)["note_id"] for s in shards
           for line in s.read_text(encoding="utf-8").splitlines()]
    assert sorted(ids) == sorted(r["note_id"] for r in demo_records(12))
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["stages"] == [
        "extract"]
    again = runner.invoke(app, ["batch", str(notes), "-o", str(out), "--stages", "extract",
                                "--no-progress"])
    assert again.exit_code == 0 and "nothing to do" in again.output


def test_batch_facts_db_fills_a_cohort_database_the_cohort_command_queries(
        tmp_path, demo_records, write_jsonl):
    """--facts-db: the run's extractions become cohort facts (ingest for researchers),
    idempotently: a second (no-op) run rewrites the same rows, never duplicates."""
    from sqlalchemy import func, select

    from agent.store.engine import make_engine, make_sessionmaker
    from agent.store.models import CohortFactRow

    notes = write_jsonl(tmp_path / "notes.jsonl", demo_records(6))
    url = f"sqlite:///{tmp_path / 'facts.db'}"
    args = ["batch", str(notes), "-o", str(tmp_path / "out"), "--stages", "extract",
            "--format", "jsonl", "--no-progress", "--facts-db", url]
    runner = CliRunner()
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "cohort facts:" in first.output

    def rows() -> int:
        engine = make_engine(url)
        with make_sessionmaker(engine)() as session:
            n = session.scalar(select(func.count()).select_from(CohortFactRow))
        engine.dispose()
        return n

    written = rows()
    assert written > 0
    assert runner.invoke(app, args).exit_code == 0
    assert rows() == written
    query = tmp_path / "q.txt"
    query.write_text("include: concept:\"atrial fibrillation\"\n", encoding="utf-8")
    found = runner.invoke(app, ["cohort", str(query), "--db", url, "--format", "json"])
    assert found.exit_code == 0, found.output
