"""The inputs of a batch run: JSON Lines, ``.txt`` files, Parquet, or a folder of them.

Notes are read with the shared input contract (:mod:`agent.notes`); Parquet rows go through
the same record validation. A note id seen twice anywhere in the input is an input error
(results are keyed by note id). Every unreadable note is an :class:`InputError` naming the
file and line (or row), never quoting its text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from agent.errors import InputError
from agent.notes import iter_notes, note_from_record
from agent.schemas.notes import Note

NOTE_SUFFIXES = (".jsonl", ".json", ".ndjson", ".txt")
PARQUET_SUFFIXES = (".parquet",)
# Rows per Parquet read: bounds memory on wide files.
_PARQUET_BATCH = 1024


def text_sha256(text: str) -> str:
    """sha256 of a note text (hex): with the note id, the key of a result."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def input_files(path: str | Path) -> list[Path]:
    """The files a batch run reads, in a stable order.

    Raises:
        InputError: the path does not exist, or a folder holds no readable file.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(str(p), "no such file or folder", fix="Check the path")
    if p.is_file():
        return [p]
    files = sorted(f for f in p.iterdir()
                   if f.is_file() and f.suffix.lower() in NOTE_SUFFIXES + PARQUET_SUFFIXES)
    if not files:
        raise InputError(str(p), "folder holds no .jsonl, .txt or .parquet files",
                         fix="Put notes in JSON Lines, one .txt file per note, or Parquet")
    return files


def fingerprint(files: list[Path]) -> str:
    """sha256 over the files' names and contents: the same input gives the same value."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode("utf-8") + b"\0")
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def read_input(path: str | Path, *, patient_id: str = "unknown", encoding: str = "utf-8",
               max_chars: int, files: list[Path] | None = None,
               ) -> Iterator[Note | InputError]:
    """Every note of the input, or an error per unreadable one, in file order.

    Args:
        path: a file or a folder.
        patient_id: patient id of notes read from ``.txt`` files.
        encoding: encoding of ``.txt`` files.
        max_chars: longer notes are errors (never truncated).
        files: the files of :func:`input_files` when already listed.

    Raises:
        InputError: the path does not exist or holds no readable file.
    """
    seen: dict[str, str] = {}
    for f in files if files is not None else input_files(path):
        items = (_iter_parquet(f, max_chars) if f.suffix.lower() in PARQUET_SUFFIXES
                 else iter_notes(f, patient_id=patient_id, encoding=encoding,
                                 max_chars=max_chars))
        for item in items:
            if isinstance(item, Note):
                first = seen.get(item.note_id)
                if first is not None:
                    # Within one JSON Lines file iter_notes already reports these.
                    yield InputError(str(f), f"duplicate note_id (first seen in {first})",
                                     field="note_id", fix="Give every note a unique note_id",
                                     patient_id=item.patient_id)
                    continue
                seen[item.note_id] = f.name
            yield item


def _iter_parquet(path: Path, max_chars: int) -> Iterator[Note | InputError]:
    try:
        # Deferred: pyarrow: optional (the batch extra), only for Parquet input.
        import pyarrow.parquet as pq
    except ImportError as e:
        raise InputError(str(path), "reading Parquet needs pyarrow, which is not installed",
                         fix="pip install 'clinagent[batch]', or convert the file to "
                         "JSON Lines") from e

    source = str(path)
    row = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=_PARQUET_BATCH):
        for record in batch.to_pylist():
            row += 1
            # A Parquet date column reads as date/datetime objects: the contract is ISO text.
            if hasattr(record.get("date"), "isoformat"):
                record["date"] = record["date"].isoformat()
            try:
                yield note_from_record(record, source=source, line=row, max_chars=max_chars)
            except InputError as e:
                yield e
