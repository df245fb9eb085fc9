"""The store: migrations match the models, durability settings, idempotent notes, hashed
keys, interrupted jobs."""

from __future__ import annotations

import os

import pytest

from agent.errors import ConfigError
from agent.schemas.notes import Note
from agent.store import repository as repo
from agent.store.engine import make_engine, make_sessionmaker, upgrade
from agent.store.keys import create_key, verify_key

# A PostgreSQL database the tests may empty (.ci/run creates one); without it the
# PostgreSQL runs are skipped.
POSTGRES_URL = os.environ.get("CLINAGENT_TEST_POSTGRES_URL")


def _empty_postgres(url: str):
    from sqlalchemy import text

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path}/db/clinagent.db")
    elif POSTGRES_URL is None:
        pytest.skip("no PostgreSQL: set CLINAGENT_TEST_POSTGRES_URL (see .ci/run)")
    else:
        eng = _empty_postgres(POSTGRES_URL)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine):
    upgrade(engine)
    return make_sessionmaker(engine)


def test_migrations_match_models_and_are_idempotent(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from agent.store.engine import alembic_config
    from agent.store.models import Base

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert upgrade(engine) == head
    assert upgrade(engine) == head
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_sqlite_is_wal_with_full_sync_and_private_folder(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/data/c.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700


def test_bad_database_url_is_a_config_error():
    with pytest.raises(ConfigError, match="api.database_url"):
        make_engine("not a url")


def test_upsert_is_idempotent_by_note_id(sessions):
    note = Note(patient_id="P1", note_id="n1", date="2026-03-14", text="Aspirin 81 mg daily.")
    with sessions() as s:
        assert repo.upsert_notes(s, [note]) == ["created"]
        s.commit()
        assert repo.upsert_notes(s, [note]) == ["unchanged"]
        changed = note.model_copy(update={"text": "Aspirin stopped."})
        assert repo.upsert_notes(s, [changed]) == ["updated"]
        s.commit()
        assert [r.text for r in repo.patient_notes(s, "P1")] == ["Aspirin stopped."]
        assert repo.patients(s) == [("P1", 1, "2026-03-14", "2026-03-14")]


def test_keys_are_stored_hashed_and_scoped(sessions, engine, tmp_path):
    with sessions() as s:
        key, row = create_key(s, name="ward", operations=["read,chat"], patients=["P1"],
                              secret=b"server-secret")
        s.commit()
        assert row.hash_scheme == "hmac-sha256" and key not in row.key_hash
        who = verify_key(s, key, b"server-secret")
        assert who.may("chat") and not who.may("write")
        assert who.may_see("P1") and not who.may_see("P2")
        assert verify_key(s, key, None) is None  # the secret is needed
        assert verify_key(s, key[:-1] + "x", b"server-secret") is None
    if engine.dialect.name == "sqlite":
        assert key.encode() not in (tmp_path / "db" / "clinagent.db").read_bytes()


@pytest.mark.parametrize("ops, patients", [(["fly"], ["*"]), (["read"], []), ([], ["P1"])])
def test_bad_scopes_are_config_errors(sessions, ops, patients):
    with sessions() as s, pytest.raises(ConfigError):
        create_key(s, name="", operations=ops, patients=patients, secret=None)


def test_jobs_left_running_are_failed_at_restart(sessions):
    with sessions() as s:
        job = repo.create_job(s, "handoff", patient_id="P1", key_id=None, params={})
        s.commit()
        assert repo.fail_interrupted_jobs(s) == 1
        s.commit()
        assert repo.get_job(s, job.job_id).status == "failed"


def test_acknowledgement_once_per_key_and_erased_with_summary_and_patient(sessions):
    from agent.store import retention
    from agent.store.models import AcknowledgementRow

    with sessions() as session:
        sid = repo.save_summary(session, "P9", "extractive", {"x": 1})
        row = repo.get_summary(session, sid)
        first, is_new = repo.add_acknowledgement(session, row, key_id="k1", key_name="Dr A")
        again, is_again = repo.add_acknowledgement(session, row, key_id="k1", key_name="Dr A")
        repo.add_acknowledgement(session, row, key_id="k2", key_name="Dr B")
        session.commit()
        assert is_new and not is_again and again.id == first.id
        assert [a.key_id for a in repo.acknowledgements(session, [sid])[sid]] == ["k1", "k2"]
        deleted = retention.delete_patient(session, "P9")
        session.commit()
        assert deleted.summaries == 1 and deleted.other_rows["acknowledgements"] == 2
        assert session.query(AcknowledgementRow).count() == 0
