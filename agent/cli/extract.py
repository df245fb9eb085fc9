"""``clinagent extract``: notes -> entities as JSON Lines, a thin layer over
``agent.extract.batch``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.common import LLMBaseUrl, LLMModel, fail, finish_batch, llm_settings, load_settings
from agent.cli.helptext import examples
from agent.cli.progress import Bars, NoProgress, count_inputs, counted
from agent.errors import ClinicalAgentError, ConfigError
from agent.extract.batch import extract_notes, extract_notes_llm, write_jsonl


@examples(
    "clinagent extract notes.jsonl -o out/extract.jsonl",
    "clinagent extract notes/ --workers 2 -o out/extract.jsonl",
    "clinagent extract discharge.txt --patient-id P001",
    "clinagent extract notes.jsonl --llm -o out/extract_llm.jsonl",
)
def extract(
    notes: Annotated[Path, typer.Argument(help="JSON Lines file, .txt file or folder")],
    out: Annotated[str, typer.Option("--out", "-o", help="Output JSON Lines ('-' = stdout)")]
    = "-",
    patient_id: Annotated[str, typer.Option(help="patient_id for .txt inputs")] = "unknown",
    encoding: Annotated[str, typer.Option(help="Encoding of .txt inputs")] = "utf-8",
    workers: Annotated[int, typer.Option(
        min=1, help="Processes (each ~0.6 GB RAM; not with --llm)")] = 1,
    llm: Annotated[bool, typer.Option(
        "--llm", help="Also ask an LLM per chunk and merge (default: local SmolLM2)")] = False,
    llm_base_url: LLMBaseUrl = None,
    llm_model: LLMModel = None,
    no_progress: NoProgress = False,
) -> None:
    """Extract clinical entities from notes, one JSON record per note.

    Problems, medications, tests, procedures and allergies with their assertions
    (negated, historical, family...), sections, medication attributes and codes;
    deterministic and offline. With --llm, entities an LLM finds are grounded to exact
    spans and merged in, each with its provenance. An unreadable input line is written in
    its place as an {"input_issue": ...} record, and the exit code is then 1.
    """
    try:
        settings = load_settings()
        if llm or llm_base_url or llm_model:
            if workers > 1:
                # Each process would load its own copy of the local model (or open its
                # own pool of server connections on top of llm.concurrency).
                raise ConfigError(
                    "workers", "--workers cannot be combined with --llm: every worker "
                    "process would load its own LLM",
                    "Drop --workers; against a server, chunks already run in parallel "
                    "(raise CLINAGENT_LLM__CONCURRENCY, default 4)")
            settings = llm_settings(settings, llm_base_url, llm_model)
            records = extract_notes_llm(notes, settings, patient_id=patient_id,
                                        encoding=encoding)
        else:
            records = extract_notes(notes, settings, patient_id=patient_id, encoding=encoding,
                                    workers=workers)
        with Bars(no_progress=no_progress, streams_stdout=out == "-") as bars:
            bars.stage("extracting notes", count_inputs(notes))
            report = write_jsonl(counted(records, bars), out, sys.stdout, source=str(notes))
    except ClinicalAgentError as e:
        fail(e)
    finish_batch(report, notes, f"extracted {report.entities} entities from "
                 f"{report.notes_ok} note(s)", out)
