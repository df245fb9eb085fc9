"""``clinagent deid``: notes -> de-identified notes, a thin layer over
``agent.extract.batch.deid_notes``."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.common import fail, finish_batch, load_settings
from agent.cli.helptext import examples
from agent.cli.progress import Bars, NoProgress, count_inputs
from agent.errors import ClinicalAgentError
from agent.extract.batch import deid_notes, write_jsonl


class Mode(StrEnum):
    redact = "redact"
    mask = "mask"
    surrogate = "surrogate"


@examples(
    "clinagent deid notes.jsonl -o out/deid.jsonl --audit out/audit.jsonl",
    "clinagent deid notes.jsonl --mode surrogate -o out/deid.jsonl",
)
def deid(
    notes: Annotated[Path, typer.Argument(help="JSON Lines file, .txt file or folder")],
    out: Annotated[str, typer.Option("--out", "-o", help="Output JSON Lines ('-' = stdout)")]
    = "-",
    mode: Annotated[Mode | None, typer.Option(
        help="redact ([NAME]), mask (***) or surrogate (fake values, needs a secret); "
        "default: CLINAGENT_DEID__MODE or redact")] = None,
    audit: Annotated[Path | None, typer.Option(
        help="Write one audit record per note here (JSON Lines, no PHI)")] = None,
    patient_id: Annotated[str, typer.Option(help="patient_id for .txt inputs")] = "unknown",
    encoding: Annotated[str, typer.Option(help="Encoding of .txt inputs")] = "utf-8",
    no_progress: NoProgress = False,
) -> None:
    """De-identify notes: redact PHI or replace it with surrogates.

    Finds the HIPAA Safe Harbor identifiers and redacts them, masks them or replaces them
    with consistent surrogates (dates shifted per patient). All notes of a patient are
    read together, so a name found in one note is found in the others. An unreadable input
    line is written in its place as an {"input_issue": ...} record, and the exit code is
    then 1.
    """
    try:
        settings = load_settings()
        with Bars(no_progress=no_progress, streams_stdout=out == "-") as bars:
            # Counted per patient: all of a patient's notes are de-identified together
            # before the first of them is written.
            bars.stage("de-identifying notes", count_inputs(notes))
            report = write_jsonl(
                deid_notes(notes, settings, mode=mode.value if mode else None,
                           patient_id=patient_id, encoding=encoding, on_done=bars.advance),
                out, sys.stdout, source=str(notes), side_out=audit, issue_patient_ids=False,
            )
    except ClinicalAgentError as e:
        fail(e)
    finish_batch(report, notes, f"de-identified {report.entities} PHI span(s) in "
                 f"{report.notes_ok} note(s)", out, f"; audit -> {audit}" if audit else "")
