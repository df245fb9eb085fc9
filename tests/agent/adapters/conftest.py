"""Fixtures of the adapter tests: the demo notes, an index of them (fake embedder: no
model), and a toolkit over them sharing the session's extractor."""

from __future__ import annotations

import pytest

from agent.config import Settings


@pytest.fixture(scope="session")
def demo_notes():
    """All demo notes (patients P001-P007)."""
    from evals.synthetic import load_notes

    return load_notes()


@pytest.fixture(scope="session")
def adapter_settings():
    """Default settings, independent of the developer's environment file."""
    return Settings()


@pytest.fixture(scope="session")
def demo_index(tmp_path_factory, demo_notes, fake_embedder, extractor, adapter_settings):
    """The demo notes of P001 and P002 indexed with the hashing embedder (folder path)."""
    from agent.indexing import build_index

    path = tmp_path_factory.mktemp("adapters") / "index"
    notes = [n for n in demo_notes if n.patient_id in ("P001", "P002")]
    build_index(notes, path, adapter_settings.retrieval, fake_embedder,
                pipeline=extractor.pipeline)
    return path
