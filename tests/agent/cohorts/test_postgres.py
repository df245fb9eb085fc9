"""Cohort facts and queries on PostgreSQL (the deployment store). Skipped without
CLINAGENT_TEST_POSTGRES_URL (``.ci/run`` starts Debian's PostgreSQL and sets it)."""

from __future__ import annotations

import os

import pytest

POSTGRES_URL = os.environ.get("CLINAGENT_TEST_POSTGRES_URL")

pytestmark = pytest.mark.skipif(
    POSTGRES_URL is None, reason="no PostgreSQL: set CLINAGENT_TEST_POSTGRES_URL (see .ci/run)")


def test_demo_cohort_on_postgres_matches_sqlite(demo_extractions, vocab, run_text):
    from sqlalchemy import text

    from agent.cohorts.notes_db import load_notes
    from agent.cohorts.parse import query_from_text
    from agent.cohorts.results import run_query
    from agent.rules import Rules
    from agent.store.engine import make_engine, make_sessionmaker

    engine = make_engine(POSTGRES_URL)
    with engine.begin() as conn:  # a database the tests own: start empty
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    notes, extractions = demo_extractions
    load_notes(engine, notes, Rules.load(), extractions=extractions)
    load_notes(engine, notes, Rules.load(), extractions=extractions)  # idempotent
    query = ('include: concept:"type 2 diabetes" [id=dm]\n'
             "include: drug:metformin [status=current]\n"
             "include: lab:hba1c > 7 % [days=0, after=@dm]\n"
             "exclude: class:insulins [status=current]")
    with make_sessionmaker(engine)() as session:
        pg = run_query(session, query_from_text(query), vocab=vocab)
    lite = run_text(query)
    assert pg.model_dump(exclude={"provenance"}) == lite.model_dump(exclude={"provenance"})
    engine.dispose()
