"""Cohort fixtures: the demo corpus's facts in a temporary SQLite store (built once from
the session's demo extractions) and the query vocabulary."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def vocab():
    """The cohort vocabulary (tables load on first use)."""
    from agent.cohorts.vocabulary import CohortVocabulary

    return CohortVocabulary()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory, demo_extractions):
    """``(engine, sessions, notes by id)``: a migrated store with the demo notes and their
    facts."""
    from agent.cohorts.notes_db import load_notes
    from agent.rules import Rules
    from agent.store.engine import make_engine, make_sessionmaker

    notes, extractions = demo_extractions
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('cohort') / 'facts.db'}")
    load_notes(engine, notes, Rules.load(), extractions=extractions)
    yield engine, make_sessionmaker(engine), {n.note_id: n for n in notes}
    engine.dispose()


@pytest.fixture(scope="session")
def run_text(demo_db, vocab):
    """``run_text(query_text, patients=None)``: a query's result on the demo facts."""
    from agent.cohorts.parse import query_from_text
    from agent.cohorts.results import run_query

    _, sessions, _ = demo_db

    def run(text: str, patients=None):
        with sessions() as session:
            return run_query(session, query_from_text(text), vocab=vocab, patients=patients)

    return run
