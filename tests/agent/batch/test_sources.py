"""Reading a batch input: folders of JSON Lines, text and Parquet files; cross-file ids."""

from __future__ import annotations

import pytest

from agent.batch.sources import fingerprint, input_files, read_input
from agent.errors import InputError
from agent.schemas.notes import Note


def test_when_folder_mixes_jsonl_txt_and_parquet_then_every_note_read(
        tmp_path, demo_records, write_jsonl):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rows = demo_records(6)
    write_jsonl(tmp_path / "a.jsonl", rows[:3])
    pq.write_table(pa.Table.from_pylist(rows[3:5]), tmp_path / "b.parquet")
    (tmp_path / "c.txt").write_text(rows[5]["text"], encoding="utf-8")
    items = list(read_input(tmp_path, patient_id="P009", max_chars=100_000))
    assert all(isinstance(i, Note) for i in items)
    assert [n.note_id for n in items] == [r["note_id"] for r in rows[:5]] + ["c"]
    assert items[3].text == rows[3]["text"] and items[5].patient_id == "P009"


def test_when_note_id_repeats_across_files_then_second_is_an_input_error(
        tmp_path, demo_records, write_jsonl):
    rows = demo_records(2)
    write_jsonl(tmp_path / "a.jsonl", rows)
    write_jsonl(tmp_path / "b.jsonl", [rows[1]])
    items = list(read_input(tmp_path, max_chars=100_000))
    assert [type(i) for i in items] == [Note, Note, InputError]
    assert "duplicate note_id" in items[2].problem and "a.jsonl" in items[2].problem


def test_when_line_is_bad_utf8_or_too_long_then_errors_name_the_line_not_text(
        tmp_path, demo_records, write_jsonl):
    rows = demo_records(3)
    path = tmp_path / "a.jsonl"
    write_jsonl(path, rows)
    with path.open("ab") as fh:
        fh.write(b'{"patient_id": "P1", "note_id": "x", "text": "caf\xe9"}\n')
    items = list(read_input(path, max_chars=len(rows[0]["text"]) + 1))
    errors = [i for i in items if isinstance(i, InputError)]
    assert {e.line for e in errors} >= {4}
    assert all(r["text"][:30] not in str(e) for e in errors for r in rows)
    assert any("above the limit" in e.problem for e in errors)


def test_when_input_is_unchanged_then_fingerprint_is_too(
        tmp_path, demo_records, write_jsonl):
    path = write_jsonl(tmp_path / "a.jsonl", demo_records(2))
    first = fingerprint(input_files(path))
    assert fingerprint(input_files(path)) == first
    write_jsonl(path, demo_records(3))
    assert fingerprint(input_files(path)) != first
