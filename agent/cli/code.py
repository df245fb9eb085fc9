"""``clinagent code``: notes -> ranked ICD-10-CM / ICD-10-PCS suggestions (batch coding
without the service), and ``clinagent coding retrain``: coder decisions -> a ranker file."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.common import fail, finish_batch, load_settings
from agent.cli.helptext import examples
from agent.cli.progress import Bars, NoProgress, count_inputs, counted
from agent.coding.confidence import DEFAULT_REVIEW_THRESHOLD
from agent.coding.ranker import Ranker, read_decisions
from agent.coding.suggest import CodingPolicy, Suggester
from agent.errors import ClinicalAgentError, InputError
from agent.extract.batch import RunReport, atomic_text_file, make_extractor, write_jsonl
from agent.notes import iter_notes
from agent.rules import rules_for
from agent.schemas.coding import NoteCodes

CSV_COLUMNS = ("note_id", "patient_id", "rank", "code", "system", "description", "score",
               "confidence", "route", "match_type", "specificity", "evidence",
               "ranker_version")


class OutputFormat(StrEnum):
    """Output formats of ``clinagent code``."""

    json = "json"
    csv = "csv"


class GuidelineOption(StrEnum):
    """The uncertain-diagnosis guideline."""

    outpatient = "outpatient"
    inpatient = "inpatient"


def coded_notes(notes: Path, suggester: Suggester, extractor, *, patient_id: str,
                encoding: str, max_chars: int) -> Iterator[NoteCodes | InputError]:
    """Extract and code every readable note of an input (per-note errors yielded)."""
    for item in iter_notes(notes, patient_id=patient_id, encoding=encoding,
                           max_chars=max_chars):
        if isinstance(item, InputError):
            yield item
            continue
        yield suggester.suggest_note(extractor.extract_note(item), item.text)


def csv_rows(codes: NoteCodes) -> list[list[str]]:
    """One CSV row per suggestion (offsets only: no note text in the CSV)."""
    return [[codes.note_id, codes.patient_id or "", str(rank), s.code, s.system,
             s.description, f"{s.score:.4f}", f"{s.confidence:.4f}", s.route,
             s.rank_reasons.match_type, s.rank_reasons.specificity,
             ";".join(f"{c.start}-{c.end}" for c in s.evidence),
             codes.provenance.ranker_version]
            for rank, s in enumerate(codes.suggestions, start=1)]


def _write_csv(records, out: str) -> RunReport:
    report = RunReport()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for rec in records:
        if isinstance(rec, InputError):
            report.errors.append(rec)
            continue
        writer.writerows(csv_rows(rec))
        report.notes_ok += 1
        report.entities += len(rec.suggestions)
    if out == "-":
        sys.stdout.write(buf.getvalue())
    else:
        with atomic_text_file(out) as fh:
            fh.write(buf.getvalue())
    return report


@examples(
    "clinagent code notes.jsonl -o out/codes.jsonl",
    "clinagent code notes/ --format csv -o out/codes.csv",
    "clinagent code notes.jsonl --ranker site/ranker.json --guideline inpatient",
)
def code(
    notes: Annotated[Path, typer.Argument(help="JSON Lines file, .txt file or folder")],
    out: Annotated[str, typer.Option("--out", "-o", help="Output file ('-' = stdout)")] = "-",
    fmt: Annotated[OutputFormat, typer.Option(
        "--format", help="json: one NoteCodes record per line; csv: one row per code")]
    = OutputFormat.json,
    ranker: Annotated[Path | None, typer.Option(
        help="Ranker learned from coder decisions (clinagent coding retrain)")] = None,
    guideline: Annotated[GuidelineOption, typer.Option(
        help="Uncertain diagnoses: outpatient = not coded (their symptoms are); "
        "inpatient = coded as if established")] = GuidelineOption.outpatient,
    review_threshold: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Confidences below it go to the review queue")]
    = DEFAULT_REVIEW_THRESHOLD,
    patient_id: Annotated[str, typer.Option(help="patient_id for .txt inputs")] = "unknown",
    encoding: Annotated[str, typer.Option(help="Encoding of .txt inputs")] = "utf-8",
    no_progress: NoProgress = False,
) -> None:
    """Suggest ICD-10-CM and ICD-10-PCS codes for notes, ranked, with evidence.

    Problems and procedures that are present (not negated, ruled out, family or
    hypothetical) are coded to the most specific billable code the text supports, with
    combination codes and no Excludes1 pairs. Each suggestion carries its evidence
    offsets, a confidence and a route: "review" below the threshold, else "pre-accepted".
    Every record names the ranker version that ranked it.
    """
    try:
        settings = load_settings()
        learned = Ranker.load(ranker) if ranker is not None else Ranker()
        policy = CodingPolicy(guideline=guideline.value, review_threshold=review_threshold)
        suggester = Suggester(policy, learned, rules_for(settings))
        records = coded_notes(notes, suggester, make_extractor(settings),
                              patient_id=patient_id, encoding=encoding,
                              max_chars=settings.max_note_chars)
        with Bars(no_progress=no_progress, streams_stdout=out == "-") as bars:
            bars.stage("coding notes", count_inputs(notes))
            if fmt is OutputFormat.csv:
                report = _write_csv(counted(records, bars), out)
            else:
                report = write_jsonl(counted(records, bars), out, sys.stdout,
                                     source=str(notes))
    except ClinicalAgentError as e:
        fail(e)
    total = report.entities if fmt is OutputFormat.csv else None
    finish_batch(report, notes, f"coded {report.notes_ok} note(s)"
                 + (f", {total} suggestion(s)" if total is not None else ""), out,
                 f" (ranker {learned.version})")


@examples(
    "clinagent coding retrain decisions.jsonl -o site/ranker.json",
)
def retrain(
    decisions: Annotated[Path, typer.Argument(
        help="JSON Lines of coder decisions ({concept, code, decision, ...} per line)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Ranker file to write")],
) -> None:
    """Retrain the coding re-ranker from coders' decisions and write it as JSON.

    The file's version (a hash of what it learned) is printed and recorded in every
    suggestion ranked with it.
    """
    try:
        learned = Ranker.train(read_decisions(decisions))
        version = learned.save(out)
    except ClinicalAgentError as e:
        fail(e)
    typer.echo(f"trained on {learned.decisions} decision(s): {version} -> {out}", err=True)
