"""What every ``clinagent`` command shares: settings, the error exit, the patient's notes and
the output file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError

from agent.config import LLMSettings, Settings, get_settings
from agent.errors import ClinicalAgentError, ConfigError, InputError
from agent.extract.batch import RunReport, atomic_text_file
from agent.notes import NoteBatch
from agent.schemas.notes import Note

# The LLM server options every LLM-capable command takes (one spelling, one help text).
LLMBaseUrl = Annotated[str | None, typer.Option(
    help="OpenAI-compatible server (vLLM, llama.cpp), e.g. http://127.0.0.1:8000/v1; "
    "implies the LLM mode of the command")]
LLMModel = Annotated[str | None, typer.Option(help="Served model name at --llm-base-url")]


def load_settings() -> Settings:
    """The settings from CLINAGENT_* variables and clinagent.env.

    Raises:
        ConfigError: a setting is invalid (names the first invalid key).
    """
    try:
        return get_settings()
    except ValidationError as e:
        first = e.errors()[0]
        raise ConfigError(".".join(map(str, first["loc"])), first["msg"],
                          "Fix the CLINAGENT_* variable or clinagent.env") from e


def llm_settings(settings: Settings, base_url: str | None, model: str | None) -> Settings:
    """Apply --llm-base-url / --llm-model over ``settings.llm`` (validated again).

    Raises:
        ConfigError: only one of the two options was given, or the result is invalid.
    """
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


def fail(err: ClinicalAgentError) -> NoReturn:
    """Print ``err`` on stderr and exit with code 2."""
    typer.echo(f"error: {err}", err=True)
    raise typer.Exit(code=2)


def patient_notes(batch: NoteBatch, patient: str | None, source: Path) -> list[Note]:
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


def write_text_output(text: str, out: str, batch: NoteBatch) -> None:
    """Report the batch's skipped lines on stderr and write ``text`` to ``out`` ('-' =
    stdout; a file is written atomically)."""
    for err in batch.errors:
        typer.echo(f"skipped: {err}", err=True)
    if out == "-":
        typer.echo(text, nl=False)
    else:
        with atomic_text_file(out) as fh:
            fh.write(text)


def finish_batch(report: RunReport, notes: Path, summary: str, out: str, extra: str = "") -> None:
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
