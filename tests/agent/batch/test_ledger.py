"""The ledger's commit protocol: rolled back before the marker, forward after it."""

from __future__ import annotations

import pytest

from agent.batch.ledger import Ledger, tmp_path
from agent.batch.units import NoteKey
from agent.errors import InputError


def _marker(number: int, files: list[str], keys: list[list[str]]) -> dict:
    return {"shard": number, "files": files, "keys": keys, "failed_keys": [],
            "read_failures": [], "counts": {}, "seconds": {}, "models": {}, "llm": {}}


def test_when_shard_committed_then_files_renamed_and_keys_done(tmp_path):
    with Ledger(tmp_path) as ledger:
        final = tmp_path / "results" / "part-00000.jsonl"
        final.parent.mkdir()
        tmp_path_ = tmp_path_of(final)
        tmp_path_.write_text("{}\n")
        ledger.commit(_marker(0, ["results/part-00000.jsonl"], [["n1", "s1"]]))
        assert final.exists() and not tmp_path_.exists()
        assert ledger.done_keys() == {NoteKey("n1", "s1")} and ledger.next_shard() == 1


def tmp_path_of(final):
    return tmp_path(final)


def test_when_killed_before_marker_then_temp_files_rolled_back(tmp_path):
    stray = tmp_path / "results" / ".part-00000.parquet.tmp"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"partial")
    with Ledger(tmp_path) as ledger:
        assert not stray.exists() and ledger.rolled_back == 1
        assert ledger.done_keys() == set() and ledger.next_shard() == 0


def test_when_killed_after_marker_then_files_rolled_forward(tmp_path):
    with Ledger(tmp_path) as ledger:
        final = tmp_path / "results" / "part-00000.jsonl"
        final.parent.mkdir()
        tmp_path_of(final).write_text("{}\n")
        ledger.commit(_marker(0, ["results/part-00000.jsonl"], [["n1", "s1"]]))
    # Simulate a kill between the marker and the rename.
    final.rename(tmp_path_of(final))
    with Ledger(tmp_path) as ledger:
        assert final.exists() and ledger.rolled_forward == 1


def test_when_folder_is_held_by_another_run_then_input_error(tmp_path):
    with Ledger(tmp_path), pytest.raises(InputError, match="another clinagent batch run"):
        Ledger(tmp_path).open()
