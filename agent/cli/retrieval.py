"""``clinagent index`` and ``clinagent search``: thin layers over ``agent.indexing``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.common import fail, load_settings
from agent.cli.helptext import examples
from agent.cli.progress import Bars, NoProgress
from agent.errors import ClinicalAgentError
from agent.indexing import index_notes, search_index
from agent.schemas.retrieval import SearchFilters


class _StageProgress:
    """``agent.indexing``'s ``progress(stage, done, total)`` drawn as one bar per stage."""

    def __init__(self, bars: Bars) -> None:
        self._bars = bars
        self._stage: str | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._stage:
            self._stage = stage
            self._bars.stage(stage, total)
        self._bars.update(done, total)


@examples(
    "clinagent index notes.jsonl --index out/index",
    "clinagent index --index out/index --delete P001-03",
    "clinagent index notes.jsonl --index out/index --rebuild",
)
def index(
    notes: Annotated[Path | None, typer.Argument(help="JSON Lines file, .txt file or folder")]
    = None,
    index_dir: Annotated[Path, typer.Option("--index", help="Index directory (created if "
                                            "missing)")] = Path("index"),
    patient_id: Annotated[str, typer.Option(help="patient_id for .txt inputs")] = "unknown",
    encoding: Annotated[str, typer.Option(help="Encoding of .txt inputs")] = "utf-8",
    delete: Annotated[list[str] | None, typer.Option("--delete", help="Remove this note_id "
                                                     "(repeatable)")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Discard the index and build it "
                                          "again")] = False,
    no_progress: NoProgress = False,
) -> None:
    """Chunk, embed and index notes for search.

    New notes are added, changed ones replaced, unchanged ones kept; --delete removes
    notes by id. The index folder holds a FAISS index and a manifest; an index built with
    another embedding model or chunker is refused rather than silently mixed.
    """
    if notes is None and not delete:
        typer.echo("error: pass NOTES to index, or --delete NOTE_ID", err=True)
        raise typer.Exit(code=2)
    try:
        with Bars(no_progress=no_progress) as bars:
            report = index_notes(notes, index_dir, load_settings(), patient_id=patient_id,
                                 encoding=encoding, delete_note_ids=delete, rebuild=rebuild,
                                 progress=_StageProgress(bars))
    except ClinicalAgentError as e:
        fail(e)
    for err in report.errors:
        typer.echo(f"skipped: {err}", err=True)
    rate = (f" ({report.chunks_embedded / report.seconds_embedding:.0f} chunks/s)"
            if report.seconds_embedding else "")
    typer.echo(
        f"indexed {report.notes_added} new, {report.notes_replaced} replaced, "
        f"{report.notes_unchanged} unchanged, {report.notes_deleted} deleted note(s); "
        f"embedded {report.chunks_embedded} chunks{rate}; index {index_dir}: "
        f"{report.note_count} notes, {report.chunk_count} chunks, {report.index_type}"
        + (f"; {len(report.errors)} note(s) skipped, see above" if report.errors else ""),
        err=True)
    if report.errors:
        raise typer.Exit(code=1)


@examples(
    'clinagent search --index out/index --patient P001 -k 5 "metoprolol dose"',
    'clinagent search --index out/index --patient P001 --format json "Cr"',
)
def search(
    query: Annotated[str, typer.Argument(help="Free-text query")],
    index_dir: Annotated[Path, typer.Option("--index", help="Index directory")]
    = Path("index"),
    patient: Annotated[str, typer.Option("--patient", help="Only this patient's notes "
                                         "(required)")] = ...,
    k: Annotated[int, typer.Option("-k", min=1, max=1000, help="Number of results")] = 5,
    mode: Annotated[str, typer.Option(help="hybrid | dense | lexical")] = "hybrid",
    note_type: Annotated[list[str] | None, typer.Option("--note-type", help="Only these "
                                                        "note types (repeatable)")] = None,
    section: Annotated[list[str] | None, typer.Option("--section", help="Only these "
                                                      "sections, e.g. MEDICATIONS")] = None,
    date_from: Annotated[str | None, typer.Option(help="Notes dated on/after (ISO)")] = None,
    date_to: Annotated[str | None, typer.Option(help="Notes dated on/before (ISO)")] = None,
    output_format: Annotated[str, typer.Option("--format", help="text | json (one object "
                                               "per line)")] = "text",
) -> None:
    """Search one patient's indexed notes.

    Prints the ranked passages with note id, offsets, section, note type, date and the
    fused, dense and lexical scores. Hybrid search fuses dense (embedding) and lexical
    (BM25) rankings.
    """
    if mode not in ("hybrid", "dense", "lexical") or output_format not in ("text", "json"):
        typer.echo("error: --mode is hybrid, dense or lexical; --format is text or json",
                   err=True)
        raise typer.Exit(code=2)
    filters = None
    if note_type or section or date_from or date_to:
        filters = SearchFilters(note_types=note_type or None, sections=section or None,
                                date_from=date_from, date_to=date_to)
    try:
        hits = search_index(index_dir, query, patient_id=patient, settings=load_settings(),
                            k=k, mode=mode, filters=filters)
    except ClinicalAgentError as e:
        fail(e)
    for hit in hits:
        if output_format == "json":
            typer.echo(json.dumps(hit.model_dump(mode="json"), ensure_ascii=False))
            continue
        typer.echo(f"{hit.rank}. {hit.note_id} [{hit.start}:{hit.end}] "
                   f"{hit.section or '-'} {hit.note_type} {hit.date or ''} "
                   f"score={hit.score:.4f} dense={_fmt(hit.dense_score)} "
                   f"lexical={_fmt(hit.lexical_score)}")
        typer.echo("   " + hit.text.replace("\n", "\n   "))
    if not hits:
        typer.echo("no results for this patient", err=True)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
