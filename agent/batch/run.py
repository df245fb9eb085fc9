"""``run_batch``: read the input, skip what the output folder already holds, run the stages
on the chosen engine, commit shards exactly once, merge the index, write the manifest."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from agent.batch.index_merge import merge_index
from agent.batch.ledger import Ledger, write_atomic
from agent.batch.local_engine import run_local
from agent.batch.manifest import build_manifest, write_manifest
from agent.batch.progress import RunProgress
from agent.batch.sinks import ShardWriter, check_format, read_failure_key
from agent.batch.sources import fingerprint, input_files, read_input
from agent.batch.stages import STAGE_ORDER
from agent.batch.units import group_units
from agent.config import Settings
from agent.errors import InputError
from agent.rules import rules_for
from agent.schemas.notes import Note

logger = logging.getLogger(__name__)

ENGINES = ("local", "ray")
FAILURES_FILE = "failures.jsonl"


@dataclass
class BatchOptions:
    """What ``clinagent batch`` was asked to do.

    Attributes:
        notes: input file or folder.
        out_dir: output folder (created; resumed when it holds a ledger).
        stages: stage names (run in :data:`STAGE_ORDER`).
        engine: ``local`` or ``ray``.
        address: Ray cluster address (``auto``, ``ray://host:10001``); None = a local one.
        workers: processes (local) or actors (Ray).
        fmt: ``parquet`` or ``jsonl`` results.
        shard_notes: notes per shard (the unit of commit: a kill loses at most one shard).
        units_per_task: patient units per task handed to a worker.
        max_chars: longer notes are failures (default: ``settings.max_note_chars``).
        deid_mode: de-identification operator (default: the configured one).
        retry_failures: process again the notes that failed in earlier runs.
        dashboard: start the local Ray cluster with its dashboard.
        patient_id: patient id of ``.txt`` inputs.
        encoding: encoding of ``.txt`` inputs.
    """

    notes: Path
    out_dir: Path
    stages: list[str] = field(default_factory=lambda: ["deid", "extract", "index"])
    engine: str = "local"
    address: str | None = None
    workers: int = 1
    fmt: str = "parquet"
    shard_notes: int = 500
    units_per_task: int = 4
    max_chars: int | None = None
    deid_mode: str | None = None
    retry_failures: bool = False
    dashboard: bool = False
    patient_id: str = "unknown"
    encoding: str = "utf-8"


@dataclass
class BatchReport:
    """What a run did (counts only)."""

    notes_in_input: int = 0
    already_done: int = 0
    processed: int = 0
    results: int = 0
    failed: int = 0
    read_failures: int = 0
    shards: int = 0
    seconds: float = 0.0
    rolled_back: int = 0
    rolled_forward: int = 0
    manifest: dict = field(default_factory=dict)

    @property
    def is_noop(self) -> bool:
        """Nothing was left to do: every note was already in the output."""
        return self.processed == 0 and self.read_failures == 0

    @property
    def rate(self) -> float:
        """Notes per second of this run."""
        return self.processed / self.seconds if self.seconds else 0.0


def check_options(options: BatchOptions) -> list[str]:
    """Validate the options; returns the stages in run order.

    Raises:
        InputError: unknown stage, engine or format, or sizes below 1.
    """
    unknown = [s for s in options.stages if s not in STAGE_ORDER]
    if unknown or not options.stages:
        raise InputError("--stages", f"unknown or no stage: {','.join(unknown) or '(none)'}",
                         fix=f"Pass a comma list of {','.join(STAGE_ORDER)}")
    if options.engine not in ENGINES:
        raise InputError("--engine", f"unknown engine {options.engine!r}",
                         fix="Use local or ray")
    if options.address and options.engine != "ray":
        raise InputError("--address", "a Ray address needs --engine ray",
                         fix="Add --engine ray, or drop --address")
    if min(options.workers, options.shard_notes, options.units_per_task) < 1:
        raise InputError("--workers", "workers, shard size and units per task must be >= 1",
                         fix="Pass positive numbers")
    check_format(options.fmt)
    return [s for s in STAGE_ORDER if s in options.stages]


def run_batch(options: BatchOptions, settings: Settings,
              progress: Callable[[RunProgress], None] | None = None) -> BatchReport:
    """Run a batch (see the module docstring); safe to run again after a crash.

    Args:
        options: the run's options.
        settings: all settings.
        progress: called with the counts after each patient unit.

    Returns:
        The run's report (``report.manifest`` is the written manifest).

    Raises:
        InputError: bad options or input path, or another run holds the output folder.
        ConfigError: the Ray engine cannot start or connect.
    """
    stages = check_options(options)
    files = input_files(options.notes)
    max_chars = options.max_chars or settings.max_note_chars
    report = BatchReport()
    with Ledger(options.out_dir) as ledger:
        report.rolled_back, report.rolled_forward = ledger.rolled_back, ledger.rolled_forward
        notes: list[tuple[int, Note]] = []
        errors: list[InputError] = []
        for item in read_input(options.notes, patient_id=options.patient_id,
                               encoding=options.encoding, max_chars=max_chars, files=files):
            if isinstance(item, InputError):
                errors.append(item)
            else:
                notes.append((len(notes), item))
        if not notes and not errors:
            # As `clinagent extract` says it: an empty input is a mistake, not a finished run.
            raise InputError(str(options.notes), "the input holds no notes (empty file)",
                             fix="Pass a file or folder with at least one note")
        work = group_units(notes, ledger.done_keys(retry_failures=options.retry_failures))
        del notes
        report.notes_in_input, report.already_done = work.notes_total, work.notes_done
        tracker = RunProgress(total=work.notes_pending)
        reported = ledger.done_read_failures()
        new_errors = [e for e in errors if read_failure_key(e) not in reported]
        if new_errors:
            writer = ShardWriter(ledger.out_dir, ledger.next_shard(), options.fmt)
            for err in new_errors:
                writer.add_read_failure(err)
            ledger.commit(writer.marker(writer.write()))
            report.read_failures, report.shards = len(new_errors), 1
        if work.units:
            for writer in _shards(_engine(options, settings, stages, work.units), ledger,
                                  options, tracker, progress):
                report.results += len(writer.keys)
                report.failed += len(writer.failed_keys)
                report.shards += 1
        report.processed = tracker.done
        report.seconds = tracker.seconds
        index = (merge_index(ledger.out_dir, ledger.markers, settings.retrieval)
                 if "index" in stages and (report.shards or not
                                           (ledger.out_dir / "index").exists()) else None)
        _write_failures(ledger.out_dir, ledger.markers)
        previous = (ledger.out_dir / "manifest.json")
        if index is None and previous.exists():
            index = json.loads(previous.read_text(encoding="utf-8")).get("index")
        report.manifest = build_manifest(
            out_dir=ledger.out_dir, markers=ledger.markers,
            input_info={"path": str(options.notes), "fingerprint": fingerprint(files),
                        "files": [{"name": f.name, "bytes": f.stat().st_size} for f in files]},
            stages=stages, fmt=options.fmt, notes_in_input=work.notes_total,
            rules_sha256=rules_for(settings).provenance(), index=index,
            run={"engine": options.engine, "workers": options.workers,
                 "address": "local" if not options.address else "cluster",
                 "notes": report.processed, "results": report.results,
                 "failed": report.failed, "read_failures": report.read_failures,
                 "seconds": round(report.seconds, 3), "notes_per_s": round(report.rate, 3),
                 "skipped_done": report.already_done,
                 "rolled_back_files": report.rolled_back})
        write_manifest(ledger.out_dir, report.manifest)
    return report


def _engine(options: BatchOptions, settings: Settings, stages: list[str],
            units: list[str]) -> Iterator[dict]:
    kwargs = {"deid_mode": options.deid_mode, "workers": options.workers,
              "units_per_task": options.units_per_task}
    if options.engine == "local":
        yield from run_local(units, settings, stages, **kwargs)
        return
    # Deferred: ray: optional (the batch extra), only for --engine ray.
    from agent.batch.ray_engine import connect, run_ray

    started = connect(options.address, workers=options.workers, dashboard=options.dashboard)
    try:
        yield from run_ray(units, settings, stages, **kwargs)
    finally:
        if started:
            import ray  # Deferred: ray: optional, imported by connect() above.

            ray.shutdown()


def _shards(units: Iterator[dict], ledger: Ledger, options: BatchOptions,
            tracker: RunProgress, progress: Callable[[RunProgress], None] | None,
            ) -> Iterator[ShardWriter]:
    """Group processed units into shards, commit each as it fills; yields the committed."""
    writer = ShardWriter(ledger.out_dir, ledger.next_shard(), options.fmt)
    for unit in units:
        before = (len(writer.keys), len(writer.failed_keys))
        writer.add_unit(unit)
        tracker.add(len(writer.keys) - before[0] + len(writer.failed_keys) - before[1],
                    len(writer.failed_keys) - before[1])
        if progress is not None:
            progress(tracker)
        if writer.notes >= options.shard_notes:
            ledger.commit(writer.marker(writer.write()))
            yield writer
            writer = ShardWriter(ledger.out_dir, ledger.next_shard(), options.fmt)
    if writer.notes:
        ledger.commit(writer.marker(writer.write()))
        yield writer


def _write_failures(out_dir: Path, markers: list[dict]) -> None:
    """``failures.jsonl``: every shard's failures, a note failed earlier and written since
    (``--retry-failures``) left out."""
    done = {k[0] for m in markers for k in m["keys"]}
    latest: dict[str, dict] = {}
    for m in markers:
        path = out_dir / "failures" / f"part-{m['shard']:05d}.jsonl"
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            key = rec["note_id"] or f"{rec['source']}:{rec['line']}"
            latest[key] = rec
    rows = [r for k, r in latest.items() if r["note_id"] is None or k not in done]
    write_atomic(out_dir / FAILURES_FILE,
                 "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode())
