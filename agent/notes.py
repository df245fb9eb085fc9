"""Reading notes: the input contract shared by every command.

Accepted inputs:
- JSON Lines, one note per line: ``{"patient_id", "note_id", "note_type", "date", "text"}``
  plus optional fields (kept in ``Note.extra``);
- a plain ``.txt`` file (note_id = file stem);
- a folder of ``.txt`` files (and/or ``.jsonl`` files).

A bad line never stops the others: it becomes an :class:`InputError` naming the line and
field, returned beside the good notes so callers can process what is valid and report the
rest. Errors never quote note text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from pydantic import ValidationError

from agent.errors import InputError
from agent.schemas.notes import InputIssue, Note

CORE_FIELDS = ("patient_id", "note_id", "note_type", "date", "text")
DEFAULT_MAX_NOTE_CHARS = 5_000_000


@dataclass
class NoteBatch:
    """Notes read from one input, with the errors of the lines that could not be read."""

    notes: list[Note] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


def _check_date(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date string like 2026-03-14")
    try:
        if len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value)
    except ValueError as e:
        raise ValueError("must be an ISO 8601 date like 2026-03-14 or 2026-03-14T08:30") from e
    return value


def note_from_record(
    record: object, *, source: str, line: int | None, max_chars: int = DEFAULT_MAX_NOTE_CHARS
) -> Note:
    """Validate one JSON record into a :class:`Note`.

    Raises:
        InputError: naming the line and the first offending field (with the record's
            patient id in ``patient_id`` when it has a usable one).
    """
    if not isinstance(record, dict):
        raise InputError(source, f"expected a JSON object, got {type(record).__name__}",
                         line=line, fix="Write one JSON object per line (JSON Lines); a "
                         "JSON array file can be converted with: jq -c '.[]' FILE")
    try:
        return _note(record, source=source, line=line, max_chars=max_chars)
    except InputError as e:
        pid = record.get("patient_id")
        if isinstance(pid, int) and not isinstance(pid, bool):
            pid = str(pid)
        e.patient_id = pid if isinstance(pid, str) and pid else None
        raise


def _note(record: dict, *, source: str, line: int | None, max_chars: int) -> Note:
    for name in ("patient_id", "note_id", "text"):
        if name not in record:
            raise InputError(source, "required field is missing", line=line, field=name,
                             fix="Every note needs patient_id, note_id and text")
    text = record["text"]
    if not isinstance(text, str):
        raise InputError(source, f"must be a string, got {type(text).__name__}", line=line,
                         field="text")
    if not text.strip():
        raise InputError(source, "note text is empty", line=line, field="text",
                         fix="Remove the line or supply the note text")
    if len(text) > max_chars:
        raise InputError(
            source, f"note has {len(text):,} characters, above the limit of {max_chars:,}",
            line=line, field="text",
            fix="Split the note, or raise CLINAGENT_MAX_NOTE_CHARS; notes are never truncated",
        )
    try:
        note_date = _check_date(record.get("date"))
    except ValueError as e:
        raise InputError(source, str(e), line=line, field="date") from e
    extra = {k: v for k, v in record.items() if k not in CORE_FIELDS}
    payload = {k: record[k] for k in CORE_FIELDS if k in record and k != "date"}
    try:
        return Note(**payload, date=note_date, extra=extra)
    except ValidationError as e:
        first = e.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else None
        raise InputError(source, first["msg"], line=line, field=name) from e


def _iter_jsonl(path: Path, max_chars: int) -> Iterator[Note | InputError]:
    source = str(path)
    seen: dict[str, int] = {}
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                yield InputError(source, f"not valid UTF-8 (byte {e.start} of the line)",
                                 line=lineno, fix="Re-encode the file as UTF-8")
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                yield InputError(source, f"malformed JSON ({e.msg} at column {e.colno})",
                                 line=lineno, fix="Fix or remove the line")
                continue
            try:
                note = note_from_record(record, source=source, line=lineno, max_chars=max_chars)
            except InputError as e:
                yield e
                continue
            if note.note_id in seen:
                yield InputError(source, f"duplicate note_id (first seen on line "
                                 f"{seen[note.note_id]})", line=lineno, field="note_id",
                                 fix="Give every note a unique note_id",
                                 patient_id=note.patient_id)
                continue
            seen[note.note_id] = lineno
            yield note


def _read_txt(path: Path, *, patient_id: str, encoding: str, max_chars: int) -> Note:
    source = str(path)
    data = path.read_bytes()
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        raise InputError(source, f"not valid {encoding} (byte {e.start})",
                         fix="Re-encode the file as UTF-8 or pass --encoding latin-1") from e
    if text.startswith("\ufeff"):
        text = text[1:]
    return note_from_record(
        {"patient_id": patient_id, "note_id": path.stem, "note_type": "unknown", "text": text},
        source=source, line=None, max_chars=max_chars,
    )


def iter_notes(
    path: str | Path, *, patient_id: str = "unknown", encoding: str = "utf-8",
    max_chars: int = DEFAULT_MAX_NOTE_CHARS,
) -> Iterator[Note | InputError]:
    """Stream notes (or per-note errors) from a JSON Lines file, a .txt file or a folder.

    Args:
        path: the input.
        patient_id: patient id given to notes read from .txt files.
        encoding: encoding of .txt files (JSON Lines must be UTF-8).
        max_chars: notes longer than this are errors, never truncated.

    Yields:
        A :class:`Note` per readable note, an :class:`InputError` per unreadable one.

    Raises:
        InputError: the path does not exist or holds no readable input at all.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(str(p), "no such file or folder", fix="Check the path")
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() in (".txt", ".jsonl"))
        if not files:
            raise InputError(str(p), "folder holds no .txt or .jsonl files",
                             fix="Put one note per .txt file, or pass a .jsonl file")
        for f in files:
            yield from iter_notes(f, patient_id=patient_id, encoding=encoding,
                                  max_chars=max_chars)
        return
    if p.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        yield from _iter_jsonl(p, max_chars)
        return
    try:
        yield _read_txt(p, patient_id=patient_id, encoding=encoding, max_chars=max_chars)
    except InputError as e:
        yield e


def read_notes(path: str | Path, **kwargs: object) -> NoteBatch:
    """Read all notes of an input; see :func:`iter_notes` for the arguments.

    Raises:
        InputError: the input does not exist, or it holds no note and no error (empty file).
    """
    batch = NoteBatch()
    for item in iter_notes(path, **kwargs):  # type: ignore[arg-type]
        (batch.errors if isinstance(item, InputError) else batch.notes).append(item)
    if not batch.notes and not batch.errors:
        raise InputError(str(path), "the input holds no notes (empty file)",
                         fix="Pass a file with at least one note")
    return batch


def input_issue(err: InputError, *, with_patient: bool = True) -> InputIssue:
    """The :class:`InputIssue` of a skipped line, for the output built without it.

    Args:
        err: the line's error.
        with_patient: keep the patient id the line names (False for de-identified output).
    """
    return InputIssue(source=Path(err.source).name or err.source, line=err.line,
                      field=err.field, problem=err.problem,
                      patient_id=err.patient_id if with_patient else None)


def issues_of_patient(errors: list[InputError], patient_id: str) -> list[InputIssue]:
    """The skipped lines that may have held notes of ``patient_id``: those naming this
    patient and those too broken to name any."""
    return [input_issue(e) for e in errors if e.patient_id in (None, patient_id)]
