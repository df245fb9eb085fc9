"""``clinagent deid``: notes -> de-identified notes, a thin layer over
``agent.extract.batch.deid_notes``."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.common import fail, finish_batch, load_settings
from agent.errors import ClinicalAgentError
from agent.extract.batch import deid_notes, write_jsonl


class Mode(StrEnum):
    redact = "redact"
    mask = "mask"
    surrogate = "surrogate"


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
) -> None:
    """De-identify notes: find the HIPAA Safe Harbor identifiers and redact them or replace
    them with consistent surrogates (dates shifted per patient). An unreadable input line
    is written in its place as an {"input_issue": ...} record (and exit 1)."""
    try:
        settings = load_settings()
        report = write_jsonl(
            deid_notes(notes, settings, mode=mode.value if mode else None,
                       patient_id=patient_id, encoding=encoding),
            out, sys.stdout, source=str(notes), side_out=audit, issue_patient_ids=False,
        )
    except ClinicalAgentError as e:
        fail(e)
    finish_batch(report, notes, f"de-identified {report.entities} PHI span(s) in "
                 f"{report.notes_ok} note(s)", out, f"; audit -> {audit}" if audit else "")
