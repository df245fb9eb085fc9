"""The input contract: JSON Lines, .txt files and folders; bad lines reported, not fatal."""

from __future__ import annotations

import json

import pytest

from agent.errors import InputError
from agent.notes import iter_notes, read_notes

GOOD = {"patient_id": "p1", "note_id": "n1", "note_type": "progress", "date": "2026-03-14",
        "text": "Pt denies chest pain."}


def _jsonl(tmp_path, lines: list[bytes | str | dict]):
    p = tmp_path / "notes.jsonl"
    raw = b""
    for line in lines:
        if isinstance(line, dict):
            line = json.dumps(line)
        raw += (line.encode() if isinstance(line, str) else line) + b"\n"
    p.write_bytes(raw)
    return p


def test_when_jsonl_is_valid_then_all_fields_are_read_and_extras_kept(tmp_path):
    p = _jsonl(tmp_path, [{**GOOD, "author": "rn"}])
    batch = read_notes(p)
    assert not batch.errors
    note = batch.notes[0]
    assert (note.patient_id, note.note_id, note.note_type, note.date) == (
        "p1", "n1", "progress", "2026-03-14")
    assert note.extra == {"author": "rn"}


# fmt: off
@pytest.mark.parametrize("bad_line, field, words", [
    ('{"patient_id": "p1", "note_id": "n2", "text": "x"', None, "malformed JSON"),
    ({"patient_id": "p1", "text": "x"}, "note_id", "missing"),
    ({"patient_id": "p1", "note_id": "n2"}, "text", "missing"),
    ({"patient_id": "p1", "note_id": "n2", "text": "   "}, "text", "empty"),
    ({"patient_id": "p1", "note_id": "n2", "text": 5}, "text", "string"),
    ({"patient_id": "p1", "note_id": "n2", "text": "x", "date": "14/03/2026"}, "date", "ISO"),
    ('["a list"]', None, "JSON object"),
    ({**GOOD}, "note_id", "duplicate"),
])
# fmt: on
def test_when_one_line_is_bad_then_error_names_line_and_field_and_others_survive(
    tmp_path, bad_line, field, words
):
    p = _jsonl(tmp_path, [GOOD, bad_line, {**GOOD, "note_id": "n3"}])
    batch = read_notes(p)
    assert [n.note_id for n in batch.notes] == ["n1", "n3"]
    assert len(batch.errors) == 1
    err = batch.errors[0]
    assert err.line == 2
    assert err.field == field
    assert words in str(err)


def test_when_line_has_non_utf8_bytes_then_that_line_errors_and_text_is_not_quoted(tmp_path):
    secret = "Jonathan Q. Doe"
    bad = json.dumps({**GOOD, "note_id": "n2", "text": secret}).encode().replace(
        b"Doe", b"D\xf6e")
    p = _jsonl(tmp_path, [GOOD, bad])
    batch = read_notes(p)
    assert [n.note_id for n in batch.notes] == ["n1"]
    assert batch.errors[0].line == 2 and "UTF-8" in str(batch.errors[0])
    assert "Jonathan" not in str(batch.errors[0])


def test_when_file_is_empty_then_clear_error(tmp_path):
    p = tmp_path / "empty.jsonl"
    p.write_text("")
    with pytest.raises(InputError, match="no notes"):
        read_notes(p)


def test_when_path_is_missing_then_clear_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_notes(tmp_path / "nope.jsonl")


def test_when_note_exceeds_limit_then_error_not_truncation(tmp_path):
    p = _jsonl(tmp_path, [{**GOOD, "text": "x" * 101}])
    batch = read_notes(p, max_chars=100)
    assert not batch.notes and "never truncated" in str(batch.errors[0])


def test_when_folder_of_txt_then_note_id_is_file_stem(tmp_path):
    (tmp_path / "adm_note.txt").write_text("HPI: fever.", encoding="utf-8")
    (tmp_path / "dc_note.txt").write_bytes("Allergies: none\n".encode("utf-8-sig"))
    (tmp_path / "ignore.csv").write_text("x")
    batch = read_notes(tmp_path, patient_id="p9")
    assert [(n.note_id, n.patient_id) for n in batch.notes] == [
        ("adm_note", "p9"), ("dc_note", "p9")]
    assert batch.notes[1].text.startswith("Allergies")  # BOM removed


def test_when_txt_is_latin1_then_error_suggests_encoding_and_option_reads_it(tmp_path):
    p = tmp_path / "n.txt"
    p.write_bytes("Caf\xe9 au lait spots".encode("latin-1"))
    items = list(iter_notes(p))
    assert isinstance(items[0], InputError) and "--encoding" in str(items[0])
    note = list(iter_notes(p, encoding="latin-1"))[0]
    assert note.text == "Café au lait spots"


def test_when_ids_are_integers_then_they_become_strings(tmp_path):
    p = _jsonl(tmp_path, [{"patient_id": 12, "note_id": 34, "text": "x"}])
    note = read_notes(p).notes[0]
    assert (note.patient_id, note.note_id) == ("12", "34")
