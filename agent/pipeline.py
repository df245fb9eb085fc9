"""Use cases shared by the CLI and (later) the API: each reads notes, runs a component and
writes results, reporting unreadable input instead of stopping on it."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from agent.config import Settings
from agent.errors import InputError
from agent.notes import iter_notes
from agent.schemas.extraction import NoteExtraction
from agent.schemas.notes import Note

# Notes per task sent to a worker: large enough to amortise inter-process transfer.
_BATCH = 16

logger = logging.getLogger(__name__)


@dataclass
class RunReport:
    """Counts of a batch run and the per-line input errors (ids and positions only)."""

    notes_ok: int = 0
    entities: int = 0
    errors: list[InputError] = field(default_factory=list)


def make_extractor(settings: Settings):
    """The deterministic extractor configured by ``settings`` (cached per configuration)."""
    from verifiers.entities import default_extractor

    ex = settings.extraction
    return default_extractor(
        rules_dir=str(ex.rules_dir) if ex.rules_dir else None,
        include_anatomy=ex.include_anatomy, max_codes=ex.max_codes,
        rxnorm_path=str(ex.rxnorm_path) if ex.rxnorm_path else None,
    )


def extract_notes(notes_path: str | Path, settings: Settings, *, patient_id: str = "unknown",
                  encoding: str = "utf-8", workers: int = 1,
                  ) -> Iterator[NoteExtraction | InputError]:
    """Extract every readable note of an input, yielding results and per-note errors.

    Args:
        notes_path: JSON Lines file, .txt file or folder.
        settings: extractor settings.
        patient_id: patient id for .txt inputs.
        encoding: encoding of .txt inputs.
        workers: processes to use; each loads its own extractor (~0.6 GB), output order
            is the input order.

    Raises:
        InputError: the input path does not exist or holds nothing at all.
    """
    items = iter_notes(notes_path, patient_id=patient_id, encoding=encoding,
                       max_chars=settings.max_note_chars)
    if workers <= 1:
        extractor = make_extractor(settings)
        for item in items:
            yield item if isinstance(item, InputError) else extractor.extract_note(item)
        return
    yield from _extract_parallel(items, settings, workers)


_WORKER_EXTRACTOR = None


def _init_worker(settings_json: str) -> None:
    global _WORKER_EXTRACTOR
    _WORKER_EXTRACTOR = make_extractor(Settings.model_validate_json(settings_json))


def _extract_batch(notes: list[Note]) -> list[NoteExtraction]:
    return [_WORKER_EXTRACTOR.extract_note(n) for n in notes]


def _batches(items: Iterable[Note | InputError], size: int) -> Iterator[list[Note | InputError]]:
    batch: list[Note | InputError] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _extract_parallel(items: Iterable[Note | InputError], settings: Settings, workers: int,
                      ) -> Iterator[NoteExtraction | InputError]:
    """Process pool with a bounded window of batches in flight, results in input order."""
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    window: deque = deque()
    with ProcessPoolExecutor(workers, initializer=_init_worker,
                             initargs=(settings.model_dump_json(),)) as pool:
        for batch in _batches(items, _BATCH):
            notes = [x for x in batch if not isinstance(x, InputError)]
            window.append((batch, pool.submit(_extract_batch, notes)))
            if len(window) >= 2 * workers:
                yield from _merge(*window.popleft())
        while window:
            yield from _merge(*window.popleft())


def _merge(batch: list[Note | InputError], future) -> Iterator[NoteExtraction | InputError]:
    results = iter(future.result())
    for item in batch:
        yield item if isinstance(item, InputError) else next(results)


def write_jsonl(records: Iterable[NoteExtraction | InputError], out: str | Path | None,
                stdout: TextIO, *, source: str = "input") -> RunReport:
    """Write extraction records as JSON Lines; collect input errors in the report.

    Output goes to a temporary file renamed into place at the end, so an interrupted run
    never leaves a truncated file that looks complete.

    Raises:
        InputError: the input held no notes at all (empty file).
    """
    report = RunReport()

    def _write(fh: TextIO) -> None:
        for rec in records:
            if isinstance(rec, InputError):
                report.errors.append(rec)
                continue
            fh.write(json.dumps(rec.model_dump(mode="json", exclude_none=False),
                                ensure_ascii=False) + "\n")
            report.notes_ok += 1
            report.entities += len(rec.entities)

    if out is None or str(out) == "-":
        _write(stdout)
    else:
        out_path = Path(out)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                _write(fh)
            if report.notes_ok == 0 and not report.errors:
                raise InputError(source, f"the input holds no notes (empty file); nothing "
                                 f"was written to {out_path}",
                                 fix="Pass a file with at least one note")
            # mkstemp creates 0600 files; give the output the user's normal permissions.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, out_path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return report
