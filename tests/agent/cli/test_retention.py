"""``clinagent patients list|delete`` and ``clinagent db purge`` on a service's data folder."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.config import get_settings

MARK = "Quillfeather"
NOTES = [
    {"patient_id": "C1", "note_id": "C1-n1", "date": "2026-04-01",
     "text": f"Patient {MARK} seen. Hypertension. Continue lisinopril 10 mg daily."},
    {"patient_id": "C1", "note_id": "C1-n2", "date": "2026-04-02",
     "text": f"{MARK} stable. Continue lisinopril."},
    {"patient_id": "C2", "note_id": "C2-n1", "date": "2026-04-01",
     "text": "Asthma. Albuterol as needed."},
]


@pytest.fixture
def data_dir(tmp_path, monkeypatch, extractor, fake_embedder):
    """A data folder (``.path``) with C1 and C2 stored and indexed (and a summary of C1) by
    services left open (``.services``), as a running service holds them; the CLI reads the
    folder through CLINAGENT_API__DATA_DIR."""
    from agent.api.services import Services
    from agent.config import Settings
    from agent.schemas.notes import Note
    from agent.store import repository as repo

    settings = Settings(api={"data_dir": tmp_path})
    services = Services(settings, extractor=extractor, embedder=fake_embedder)
    services.start()
    notes = [Note(**n) for n in NOTES]
    with services.sessions() as session:
        repo.upsert_notes(session, notes)
        repo.save_summary(session, "C1", "extractive", {"text": MARK})
        session.commit()
    services.index_notes(notes)
    monkeypatch.setenv("CLINAGENT_API__DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    # The services stay open, as a running service's would be.
    yield SimpleNamespace(path=tmp_path, services=services)
    services.close()
    get_settings.cache_clear()


def _run(args):
    return CliRunner().invoke(app, args)


def test_when_patients_are_listed_then_ids_and_note_counts_only(data_dir):
    result = _run(["patients", "list"])
    assert result.exit_code == 0, result.output
    assert "C1\t2" in result.output and "C2\t1" in result.output
    assert MARK not in result.output and "C1-n1" not in result.output


def test_when_delete_has_no_yes_then_counts_are_shown_and_nothing_is_deleted(data_dir):
    result = _run(["patients", "delete", "C1"])
    assert result.exit_code == 1
    assert "would delete 2 notes" in result.output and "2 indexed notes" in result.output
    assert "C1\t2" in _run(["patients", "list"]).output


def test_when_delete_has_yes_then_store_and_index_hold_nothing_of_the_patient(data_dir):
    import sqlite3

    result = _run(["patients", "delete", "C1", "--yes"])
    assert result.exit_code == 0, result.output
    assert "deleted 2 notes" in result.output and "1 summaries" in result.output
    assert "index: 2 notes" in result.output
    db = sqlite3.connect(data_dir.path / "clinagent.db")
    tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
    for table in tables:
        text = json.dumps([[str(v) for v in row]
                           for row in db.execute(f"select * from {table}")])  # noqa: S608
        assert MARK not in text and "C1-n" not in text, table
        if table != "audit_events":
            assert '"C1"' not in text, table
    audit = db.execute("select key_id, operation, reason from audit_events").fetchall()
    assert audit == [(None, "delete", "patient erased: 2 notes, 0 extractions, 1 summaries, "
                      "0 jobs, 0 other rows")]
    index = data_dir.path / "index"
    manifest = json.loads((index / "manifest.json").read_text())
    chunks = (index / "chunks.jsonl").read_text()
    assert set(manifest["notes"]) == {"C2-n1"} and manifest["deleted_rows"] == 0
    assert MARK not in chunks and "C1" not in chunks
    assert "C2\t1" in _run(["patients", "list"]).output
    again = _run(["patients", "delete", "C1", "--yes"])
    assert again.exit_code == 2 and "nothing is stored" in again.output


def test_when_db_purge_runs_then_expired_rows_go(data_dir, monkeypatch):
    monkeypatch.setenv("CLINAGENT_RETENTION__SUMMARIES_DAYS", "0")
    get_settings.cache_clear()
    result = _run(["db", "purge"])
    assert result.exit_code == 0, result.output
    assert "purged 1 summaries, 0 jobs, 0 extractions" in result.output


def test_when_the_service_runs_beside_the_cli_delete_then_it_reloads_the_erased_index(
        data_dir):
    services = data_dir.services
    assert services.index.note_entry("C1-n1") is not None
    assert _run(["patients", "delete", "C1", "--yes"]).exit_code == 0
    with services.index_lock:  # a worker's next index access
        assert services.index.note_entry("C1-n1") is None
        assert len(services.index.patient_rows("C1")) == 0
        assert services.index.note_entry("C2-n1") is not None
