"""Use cases shared by the CLI and (later) the API: each reads notes, runs a component and
writes results, reporting unreadable input instead of stopping on it."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from agent.config import Settings
from agent.errors import InputError
from agent.notes import iter_notes
from agent.schemas.extraction import NoteExtraction

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
                  encoding: str = "utf-8") -> Iterable[NoteExtraction | InputError]:
    """Extract every readable note of an input, yielding results and per-note errors.

    Raises:
        InputError: the input path does not exist or holds nothing at all.
    """
    extractor = make_extractor(settings)
    for item in iter_notes(notes_path, patient_id=patient_id, encoding=encoding,
                           max_chars=settings.max_note_chars):
        if isinstance(item, InputError):
            yield item
        else:
            yield extractor.extract_note(item)


def write_jsonl(records: Iterable[NoteExtraction | InputError], out: str | Path | None,
                stdout: TextIO) -> RunReport:
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
            os.replace(tmp, out_path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return report
