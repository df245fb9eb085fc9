"""Use cases shared by the CLI and (later) the API: each reads notes, runs a component and
writes results, reporting unreadable input instead of stopping on it."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from pydantic import BaseModel

from agent.config import Settings
from agent.errors import InputError
from agent.extract.llm import LLMExtractor
from agent.llm.factory import make_backend
from agent.notes import input_issue, iter_notes
from agent.schemas.deid import AuditRecord, DeidResult
from agent.schemas.extraction import NoteExtraction
from agent.schemas.notes import Note

# Notes per task sent to a worker: large enough to amortise inter-process transfer.
_BATCH = 16
# Patients de-identified together by deidentify() (one spaCy batch may span them).
_DEID_CHUNK_PATIENTS = 16

logger = logging.getLogger(__name__)


@dataclass
class RunReport:
    """Counts of a batch run and the per-line input errors (ids and positions only)."""

    notes_ok: int = 0
    entities: int = 0
    errors: list[InputError] = field(default_factory=list)


def make_extractor(settings: Settings):
    """The deterministic extractor configured by ``settings`` (cached per configuration)."""
    # agent.nlp.entities loads the spaCy/medspaCy pipeline at import time.
    from agent.nlp.entities import default_extractor

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


def extract_notes_llm(notes_path: str | Path, settings: Settings, *,
                      patient_id: str = "unknown", encoding: str = "utf-8", backend=None,
                      ) -> Iterator[BaseModel | InputError]:
    """LLM extraction merged with the rules (``clinagent extract --llm``), note by note.

    A note that cannot be chunked to fit the model context is reported as an input error
    (never truncated); a chunk whose replies stay invalid is listed in ``failed_chunks``.

    Args:
        notes_path: JSON Lines file, .txt file or folder.
        settings: settings (``settings.llm`` picks and tunes the backend).
        patient_id: patient id for .txt inputs.
        encoding: encoding of .txt inputs.
        backend: a ready :class:`agent.llm.base.ChatBackend` (default: from settings).

    Raises:
        BackendUnavailable: the server is down (and no fallback) or no local model.
        InputError: the input path does not exist or holds nothing at all.
    """
    llm = settings.llm
    extractor = LLMExtractor(
        backend if backend is not None else make_backend(llm), make_extractor(settings),
        chunk_chars=llm.chunk_chars(), max_retries=llm.max_retries,
        max_tokens=llm.max_tokens, concurrency=llm.concurrency)
    for item in iter_notes(notes_path, patient_id=patient_id, encoding=encoding,
                           max_chars=settings.max_note_chars):
        if isinstance(item, InputError):
            yield item
            continue
        try:
            yield extractor.extract_note(item)
        except InputError as e:
            yield e


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


@contextmanager
def atomic_text_file(out: str | Path, *, keep: Callable[[], bool] = lambda: True,
                     ) -> Iterator[TextIO]:
    """Open ``out`` for writing through a temporary file renamed into place on success.

    An interrupted run never leaves a truncated file that looks complete. ``keep()`` is
    asked after the body: False (or an exception) discards the temporary file.
    """
    out_path = Path(out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yield fh
        if keep():
            # mkstemp creates 0600 files; give the output the user's normal permissions.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, out_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _count(rec: BaseModel) -> int:
    items = getattr(rec, "entities", None)
    return len(items if items is not None else getattr(rec, "phi", []))


def write_jsonl(records: Iterable[BaseModel | tuple[BaseModel, BaseModel] | InputError],
                out: str | Path | None, stdout: TextIO, *, source: str = "input",
                side_out: str | Path | None = None,
                issue_patient_ids: bool = True) -> RunReport:
    """Write result records as JSON Lines; collect input errors in the report.

    A record may be a pair ``(result, side)``: the side record (e.g. a de-identification
    audit) goes to ``side_out`` when given. Files are written atomically (see
    :func:`atomic_text_file`); ``report.entities`` counts each result's entities or PHI.

    An unreadable input line is written in its place as ``{"input_issue": {...}}`` (an
    :class:`~agent.schemas.notes.InputIssue`: file name, line, field, reason; never note
    text), so the output itself shows it holds fewer notes than the input. A run with no
    skipped line writes result records only.

    Args:
        issue_patient_ids: keep the patient id an unreadable line names in its record
            (False for de-identified output, which carries no patient ids).

    Raises:
        InputError: the input held no notes at all (empty file).
    """
    report = RunReport()

    def _line(model: BaseModel) -> str:
        return json.dumps(model.model_dump(mode="json", exclude_none=False),
                          ensure_ascii=False) + "\n"

    def _write(fh: TextIO, side: TextIO | None) -> None:
        for rec in records:
            if isinstance(rec, InputError):
                report.errors.append(rec)
                issue = input_issue(rec, with_patient=issue_patient_ids)
                fh.write(json.dumps({"input_issue": issue.model_dump(mode="json")},
                                    ensure_ascii=False) + "\n")
                continue
            main, extra = rec if isinstance(rec, tuple) else (rec, None)
            fh.write(_line(main))
            if side is not None and extra is not None:
                side.write(_line(extra))
            report.notes_ok += 1
            report.entities += _count(main)

    def _nonempty() -> bool:
        if report.notes_ok == 0 and not report.errors:
            raise InputError(source, f"the input holds no notes (empty file); nothing "
                             f"was written to {out}", fix="Pass a file with at least one note")
        return True

    with ExitStack() as stack:
        side = (stack.enter_context(atomic_text_file(side_out, keep=_nonempty))
                if side_out is not None else None)
        if out is None or str(out) == "-":
            _write(stdout, side)
        else:
            _write(stack.enter_context(atomic_text_file(out, keep=_nonempty)), side)
    return report


def deid_notes(notes_path: str | Path, settings: Settings, *, mode: str | None = None,
               patient_id: str = "unknown", encoding: str = "utf-8",
               on_done: Callable[[int], None] | None = None,
               ) -> Iterator[tuple[DeidResult, AuditRecord] | InputError]:
    """De-identify every readable note of an input, yielding (result, audit) pairs.

    All notes of one patient are processed together, wherever they stand in the input, so
    that identifiers found in one note are found in the others, the spans do not depend on
    the input order, and surrogates and date shifts stay consistent.

    Args:
        notes_path: JSON Lines file, .txt file or folder.
        settings: settings (``settings.deid``: mode, secret, threshold, pack file).
        mode: ``redact``, ``mask`` or ``surrogate`` (default ``settings.deid.mode``).
        patient_id: patient id for .txt inputs.
        encoding: encoding of .txt inputs.
        on_done: called with a count of input items done (a patient's notes, after the
            patient; unreadable lines, at once): progress, since nothing is yielded until
            every patient is done.

    Raises:
        ConfigError: surrogate mode without a secret.
        InputError: the input path does not exist or holds nothing at all.
    """
    # Deferred: Presidio (and through it transformers/torch, ~4 s), only when de-identifying.
    from agent.deid.batch import PatientDeidentifier

    deid = PatientDeidentifier.from_settings(settings.deid, mode=mode,
                                              privacy=settings.privacy)
    items = list(iter_notes(notes_path, patient_id=patient_id, encoding=encoding,
                            max_chars=settings.max_note_chars))
    # Every note of a patient is read with all the others, wherever it stands in the input
    # (an identifier found in one note is looked for in all): the same spans whatever the
    # order. Output keeps the input order, unreadable lines in their place.
    by_patient: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        if not isinstance(item, InputError):
            by_patient.setdefault(item.patient_id, []).append(i)
    done: dict[int, tuple[DeidResult, AuditRecord]] = {}
    if on_done is not None:
        on_done(len(items) - sum(map(len, by_patient.values())))
    # Patients go through in chunks so that spaCy parses their notes in batches across
    # patients (one-note patients gain most); results are the same as patient by patient.
    groups = list(by_patient.values())
    for start in range(0, len(groups), _DEID_CHUNK_PATIENTS):
        chunk = groups[start:start + _DEID_CHUNK_PATIENTS]
        pairs = deid.run_patients([[items[i] for i in ix] for ix in chunk])  # type: ignore[misc]
        for i, pair in zip((i for ix in chunk for i in ix), pairs, strict=True):
            done[i] = pair
        if on_done is not None:
            on_done(sum(map(len, chunk)))
    for i, item in enumerate(items):
        yield item if isinstance(item, InputError) else done[i]
