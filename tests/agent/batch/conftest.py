"""Demo notes for the batch tests, split and written the way a corpus arrives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[3] / "evals" / "data" / "synthetic" / "notes.jsonl"


def _demo_records(n: int | None = None) -> list[dict]:
    rows = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines()]
    return rows if n is None else rows[:n]


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def demo_records():
    """``demo_records(n)``: the first ``n`` demo notes (synthetic) as JSON records."""
    return _demo_records


@pytest.fixture(scope="session")
def write_jsonl():
    """``write_jsonl(path, rows)``: rows as a JSON Lines file; returns the path."""
    return _write_jsonl


@pytest.fixture
def demo20(tmp_path) -> Path:
    """The first 20 demo notes (patients P001-P004) in one JSON Lines file."""
    return _write_jsonl(tmp_path / "notes.jsonl", _demo_records(20))
