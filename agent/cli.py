"""``clinagent`` command line: a thin layer over ``agent.pipeline`` and ``evals.run``."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from agent.cli_deid import deid
from agent.cli_fhir import fhir
from agent.cli_handoff import handoff
from agent.cli_retrieval import eval_retrieval, index, search
from agent.cli_serve import db_app, keys_app, serve
from agent.cli_verify import eval_faithfulness, verify
from agent.config import LLMSettings, Settings, get_settings
from agent.errors import ClinicalAgentError, ConfigError, InputError

app = typer.Typer(
    name="clinagent", no_args_is_help=True, add_completion=False,
    help="On-premises clinical notes agent: extraction, de-identification, retrieval, "
    "evaluation.",
)
eval_app = typer.Typer(no_args_is_help=True, help="Evaluation runs (print a table, write JSON).")
app.add_typer(eval_app, name="eval")
app.command("deid")(deid)
app.command("index")(index)
app.command("search")(search)
app.command("serve")(serve)
app.add_typer(keys_app, name="keys")
app.add_typer(db_app, name="db")
app.command("fhir")(fhir)
app.command("handoff")(handoff)
app.command("verify")(verify)
eval_app.command("retrieval")(eval_retrieval)
eval_app.command("faithfulness")(eval_faithfulness)


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as e:
        first = e.errors()[0]
        raise ConfigError(".".join(map(str, first["loc"])), first["msg"],
                          "Fix the CLINAGENT_* variable or clinagent.env") from e


def _llm_settings(settings: Settings, base_url: str | None, model: str | None) -> Settings:
    """Apply --llm-base-url / --llm-model over ``settings.llm`` (validated again)."""
    if base_url is None and model is None:
        return settings
    if base_url is None or model is None:
        raise ConfigError("llm", "--llm-base-url and --llm-model go together",
                          "Pass both (the model is the server's served model name)")
    data = settings.llm.model_dump()
    data.update(backend="openai_compat", base_url=base_url, model=model)
    try:
        llm = LLMSettings.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        raise ConfigError("llm", first["msg"], "Fix the --llm-* options") from e
    return settings.model_copy(update={"llm": llm})


def _fail(err: ClinicalAgentError) -> None:
    typer.echo(f"error: {err}", err=True)
    raise typer.Exit(code=2)


def patient_notes(batch, patient: str | None, source: Path) -> list:
    """The notes of ``patient`` in a read batch.

    Raises:
        InputError: the input holds no note of that patient (patient ids are not printed:
            they may be MRNs).
    """
    mine = [n for n in batch.notes if n.patient_id == patient]
    if not mine:
        count = len({n.patient_id for n in batch.notes})
        raise InputError(str(source), f"no notes of the requested patient; the input holds "
                         f"{count} other patient(s)",
                         fix="Pass --patient with a patient_id that occurs in the input")
    return mine


def write_text_output(text: str, out: str, batch) -> None:
    """Report the batch's skipped lines on stderr and write ``text`` to ``out`` ('-' =
    stdout; a file is written atomically)."""
    from agent.pipeline import atomic_text_file

    for err in batch.errors:
        typer.echo(f"skipped: {err}", err=True)
    if out == "-":
        typer.echo(text, nl=False)
    else:
        with atomic_text_file(out) as fh:
            fh.write(text)


def finish_batch(report, notes: Path, summary: str, out: str, extra: str = "") -> None:
    """Report a batch run on stderr: skipped lines, the summary; exit 1 if lines were
    skipped, 2 if the input held no notes at all."""
    for err in report.errors:
        typer.echo(f"skipped: {err}", err=True)
    if report.notes_ok == 0 and not report.errors:  # empty input written to stdout
        typer.echo(f"error: {notes}: the input holds no notes (empty file). "
                   "Pass a file with at least one note", err=True)
        raise typer.Exit(code=2)
    typer.echo(summary
               + (f"; {len(report.errors)} note(s) skipped, see above" if report.errors else "")
               + ("" if out == "-" else f" -> {out}") + extra, err=True)
    if report.errors:
        raise typer.Exit(code=1)


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


@app.command()
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
    llm_base_url: Annotated[str | None, typer.Option(
        help="OpenAI-compatible server (vLLM, llama.cpp), e.g. http://127.0.0.1:8000/v1; "
        "implies --llm")] = None,
    llm_model: Annotated[str | None, typer.Option(
        help="Served model name at --llm-base-url")] = None,
) -> None:
    """Extract problems, medications, tests, procedures and allergies with assertions,
    sections, medication attributes and codes (deterministic, offline). With --llm, LLM
    entities grounded to exact spans are merged in, each with its provenance."""
    from agent.pipeline import extract_notes, extract_notes_llm, write_jsonl

    try:
        settings = _settings()
        if llm or llm_base_url or llm_model:
            if workers > 1:
                # Each process would load its own copy of the local model (or open its
                # own pool of server connections on top of llm.concurrency).
                raise ConfigError(
                    "workers", "--workers cannot be combined with --llm: every worker "
                    "process would load its own LLM",
                    "Drop --workers; against a server, chunks already run in parallel "
                    "(raise CLINAGENT_LLM__CONCURRENCY, default 4)")
            settings = _llm_settings(settings, llm_base_url, llm_model)
            records = extract_notes_llm(notes, settings, patient_id=patient_id,
                                        encoding=encoding)
        else:
            records = extract_notes(notes, settings, patient_id=patient_id, encoding=encoding,
                                    workers=workers)
        report = write_jsonl(records, out, sys.stdout, source=str(notes))
    except ClinicalAgentError as e:
        _fail(e)
        return
    finish_batch(report, notes, f"extracted {report.entities} entities from "
                 f"{report.notes_ok} note(s)", out)


@eval_app.command("extract")
def eval_extract(
    out: Annotated[Path, typer.Option("--out", "-o", help="JSON report path")]
    = Path("evals/reports/extract.json"),
    limit: Annotated[int | None, typer.Option(help="Use only the first N items per set")]
    = None,
    data_dir: Annotated[Path, typer.Option(help="Folder with the public dev sets")]
    = Path("../shared/data"),
) -> None:
    """Score the extractor on the demo gold, NegEx, PHEE and CodiESP."""
    from evals.run import run_extract

    try:
        run_extract(out=out, limit=limit, data_dir=data_dir, settings=_settings())
    except ClinicalAgentError as e:
        _fail(e)


@eval_app.command("deid")
def eval_deid(
    out: Annotated[Path, typer.Option("--out", "-o", help="JSON report path")]
    = Path("evals/reports/deid.json"),
    data_dir: Annotated[Path, typer.Option(help="Folder with the public dev sets")]
    = Path("../shared/data"),
    systems: Annotated[list[str] | None, typer.Option(
        "--system", help="clinagent, presidio, philter (repeatable; default: all)")] = None,
) -> None:
    """De-identification recall/precision/F2 per type, side by side with Presidio and
    philter-lite (needs the eval extra for philter-lite)."""
    from evals.deid import run_deid

    try:
        run_deid(out=out, data_dir=data_dir,
                 systems=systems or ["clinagent", "presidio", "philter"])
    except ClinicalAgentError as e:
        _fail(e)
