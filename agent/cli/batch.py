"""``clinagent batch``: a corpus through de-identification, extraction, indexing and the
LLM, locally or on Ray, resumable; a thin layer over ``agent.batch.run``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agent.batch.progress import RunProgress
from agent.batch.run import BatchOptions, run_batch
from agent.cli.common import fail, load_settings
from agent.cli.helptext import examples
from agent.cli.progress import Bars, NoProgress
from agent.errors import ClinicalAgentError


class _RunBars(Bars):
    """The run's notes done of the total, with its failures in the stage name; rate and
    ETA are the bar's own columns (counts only, never note text)."""

    def __call__(self, p: RunProgress) -> None:
        if not self.is_shown:
            return
        name = f"notes, {p.failures} failed" if p.failures else "notes"
        if not self._started:
            self.stage(name, p.total)
            self._started = True
        self.update(p.done, p.total, name=name)

    _started = False


@examples(
    "clinagent batch notes.jsonl -o out/",
    "clinagent batch archive/ -o out/ --engine ray --workers 8",
    "clinagent batch archive/ -o out/ --engine ray --address auto",
    "clinagent batch notes.jsonl -o out/ --stages extract --format jsonl",
    "clinagent batch notes.jsonl -o out/ --facts-db sqlite:///cohorts.db",
)
def batch(
    notes: Annotated[Path, typer.Argument(help="JSON Lines, .txt or Parquet file, or a "
                                          "folder of them")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder (created; "
                                          "an interrupted run resumes in it)")],
    stages: Annotated[str, typer.Option(help="Comma list of deid, extract, index, llm "
                                        "(run in that order)")] = "deid,extract,index",
    engine: Annotated[str | None, typer.Option(
        help="local (processes, no Ray needed) or ray (Ray Data) [default: "
        "CLINAGENT_BATCH__ENGINE, local]")] = None,
    address: Annotated[str | None, typer.Option(
        help="Existing Ray cluster: auto (after ray start --head) or ray://HOST:10001 "
        "[default: CLINAGENT_BATCH__RAY_ADDRESS, else a local cluster]")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Processes (local) or Ray actors, each loading the models once "
        "(~1 GB) [default: CLINAGENT_BATCH__WORKERS, 1]")] = None,
    output_format: Annotated[str | None, typer.Option(
        "--format", help="parquet or jsonl results [default: "
        "CLINAGENT_BATCH__OUTPUT_FORMAT, parquet]")] = None,
    shard_size: Annotated[int | None, typer.Option(
        min=1, help="Notes per output shard: the unit of commit [default: "
        "CLINAGENT_BATCH__SHARD_NOTES, 500]")] = None,
    units_per_task: Annotated[int | None, typer.Option(
        min=1, help="Patients per task handed to a worker [default: "
        "CLINAGENT_BATCH__UNITS_PER_TASK, 4]")] = None,
    max_chars: Annotated[int | None, typer.Option(
        min=1, help="Longer notes go to failures.jsonl (default: CLINAGENT_MAX_NOTE_CHARS)"
    )] = None,
    deid_mode: Annotated[str | None, typer.Option(
        help="redact, mask or surrogate (default: CLINAGENT_DEID__MODE)")] = None,
    retry_failures: Annotated[bool, typer.Option(
        "--retry-failures", help="Process again the notes that failed before")] = False,
    dashboard: Annotated[bool, typer.Option(
        "--dashboard", help="Start the local Ray cluster with its dashboard")] = False,
    facts_db: Annotated[str | None, typer.Option(
        help="After the run, write its notes and cohort facts into this database URL "
        "(clinagent cohort --db URL queries it; needs the extract stage)")] = None,
    patient_id: Annotated[str, typer.Option(help="patient_id for .txt inputs")] = "unknown",
    encoding: Annotated[str, typer.Option(help="Encoding of .txt inputs")] = "utf-8",
    no_progress: NoProgress = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar (as "
                                        "--no-progress)")] = False,
) -> None:
    """Run a corpus through de-identification, extraction, indexing and the LLM stage.

    Writes result shards, an index and manifest.json into OUT. Each note is written
    exactly once: run the same command again after a crash and it goes on where it
    stopped (a finished run does nothing). A note that cannot be processed goes to
    OUT/failures.jsonl with its reason, and the run goes on. A patient's notes are
    processed together wherever they stand in the input (one date shift, one set of
    surrogates).
    """
    try:
        settings = load_settings()
    except ClinicalAgentError as e:
        fail(e)
    # An option given on the command line wins over the settings (CLINAGENT_BATCH__*).
    defaults = settings.batch
    engine = engine or defaults.engine
    workers = workers or defaults.workers
    options = BatchOptions(
        notes=notes, out_dir=out_dir, stages=[s.strip() for s in stages.split(",") if s.strip()],
        engine=engine, address=address or defaults.ray_address, workers=workers,
        fmt=output_format or defaults.output_format,
        shard_notes=shard_size or defaults.shard_notes,
        units_per_task=units_per_task or defaults.units_per_task, max_chars=max_chars,
        deid_mode=deid_mode, retry_failures=retry_failures, dashboard=dashboard,
        patient_id=patient_id, encoding=encoding)
    with _RunBars(no_progress=no_progress or quiet) as bar:
        try:
            report = run_batch(options, settings, progress=bar)
        except ClinicalAgentError as e:
            bar.close()
            fail(e)
    if report.is_noop:
        typer.echo(f"nothing to do: all {report.already_done} note(s) of the input are "
                   f"already in {out_dir} (manifest.json is up to date)", err=True)
        if facts_db is not None:
            _write_facts(facts_db, notes, out_dir, settings, patient_id, encoding)
        return
    counts = report.manifest["counts"]
    typer.echo(
        f"processed {report.processed} note(s) in {report.seconds:.1f} s "
        f"({report.rate:.1f} notes/s, {engine}, {workers} worker(s)): {report.results} "
        f"written, {report.failed} failed, {report.read_failures} unreadable line(s)"
        + (f"; {report.already_done} already done" if report.already_done else "")
        + f"; {out_dir}: {counts['results']} results in {counts['shards']} shard(s), "
        f"status {report.manifest['status']}"
        + (f"; see {out_dir / 'failures.jsonl'}" if counts["failures"] else ""), err=True)
    if facts_db is not None:
        _write_facts(facts_db, notes, out_dir, settings, patient_id, encoding)
    if report.failed or report.read_failures:
        raise typer.Exit(code=1)


def _write_facts(url: str, notes: Path, out_dir: Path, settings, patient_id: str,
                 encoding: str) -> None:
    """The run's extractions as cohort facts in ``url`` (de-identified runs store the
    de-identified text the facts cite)."""
    # Deferred: SQLAlchemy and the cohort store load only when facts are written.
    from sqlalchemy.engine import make_url

    # Deferred (as above): the cohort store, its notes reader and the rule set.
    from agent.batch.sources import read_input
    from agent.cohorts.notes_db import load_batch_facts
    from agent.rules import rules_for
    from agent.schemas.notes import Note
    from agent.store.engine import make_engine

    try:
        read = [n for n in read_input(notes, patient_id=patient_id, encoding=encoding,
                                      max_chars=settings.max_note_chars)
                if isinstance(n, Note)]
        engine = make_engine(url)
        try:
            patients, rows = load_batch_facts(engine, read, out_dir, rules_for(settings))
        finally:
            engine.dispose()
    except ClinicalAgentError as e:
        fail(e)
    typer.echo(f"cohort facts: {patients} patient(s), {rows} fact row(s) -> "
               f"{make_url(url).render_as_string(hide_password=True)}", err=True)
