"""``clinagent cohort QUERY [NOTES] [--db URL]``: the patients meeting an eligibility list,
with the evidence of each criterion, the exclusions and the attrition table."""

from __future__ import annotations

import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.common import fail, load_settings
from agent.cli.helptext import examples
from agent.errors import ClinicalAgentError, InputError
from agent.extract.batch import atomic_text_file, make_extractor
from agent.notes import read_notes
from agent.rules import rules_for
from agent.schemas.extraction import NoteExtraction
from agent.schemas.notes import Note


class CohortFormat(StrEnum):
    """Output formats of ``clinagent cohort``."""

    json = "json"
    csv = "csv"
    md = "md"
    html = "html"


def read_extractions(path: Path) -> dict[str, NoteExtraction]:
    """Extractions of a ``clinagent extract`` output, by note id.

    Raises:
        InputError: the file is missing or a line is not an extraction record.
    """
    out: dict[str, NoteExtraction] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise InputError(str(path), f"cannot read the extractions ({e.strerror})",
                         fix="Pass the output of clinagent extract") from e
    for i, line in enumerate(lines, 1):
        if not line.strip() or '"input_issue"' in line[:20]:
            continue
        try:
            ext = NoteExtraction.model_validate_json(line)
        except ValueError as e:
            raise InputError(str(path), "not an extraction record", line=i,
                             fix="Pass the output of clinagent extract") from e
        out[ext.note_id] = ext
    return out


@examples(
    "clinagent cohort trial.yaml evals/data/synthetic/notes.jsonl --format md",
    "clinagent cohort trial.txt notes.jsonl --extractions out/extract.jsonl -o cohort.json",
    "clinagent cohort trial.yaml --db postgresql+psycopg://clinagent@db/clinagent "
    "--format csv -o cohort.csv",
)
def cohort(
    query: Annotated[Path, typer.Argument(help="Query file: .yaml/.yml/.json criteria, "
                                          "or the compact text form (any other name)")],
    notes: Annotated[Path | None, typer.Argument(
        help="Notes (JSON Lines, .txt or folder), extracted into a temporary SQLite "
        "database; omit to query --db")] = None,
    db: Annotated[str | None, typer.Option(
        help="Database URL of a store (default: the service's, api.database_url); stale "
        "facts are rebuilt first")] = None,
    extractions: Annotated[Path | None, typer.Option(
        help="Reuse clinagent extract output for NOTES instead of extracting again")] = None,
    out: Annotated[str, typer.Option("--out", "-o", help="Output file ('-' = stdout)")]
    = "-",
    fmt: Annotated[CohortFormat, typer.Option("--format", help="json, csv (one row per "
                                              "evidence span), md or html (with the "
                                              "attrition plot)")] = CohortFormat.json,
    evidence: Annotated[int, typer.Option(min=0, help="Evidence spans per criterion and "
                                          "patient")] = 3,
) -> None:
    """Find the patients meeting inclusion criteria and no exclusion criterion.

    Conditions by concept or ICD-10-CM code (E11 matches E11.40), medications by
    ingredient or class with their timeline status, lab values with units; mentions count
    only when present, the patient's own and not only historical unless the query says
    otherwise. Each matched patient comes with the notes and spans that satisfied each
    criterion; each excluded one with the criterion that excluded it.
    """
    # Deferred: the cohort package and the store import SQLAlchemy, which the other
    # commands (and clinagent --help) must start without.
    from agent.cohorts.compile import resolve
    from agent.cohorts.fact_store import refresh_facts
    from agent.cohorts.notes_db import load_notes
    from agent.cohorts.parse import load_query
    from agent.cohorts.report import render
    from agent.cohorts.results import run_query
    from agent.cohorts.vocabulary import CohortVocabulary
    from agent.store import repository as repo
    from agent.store.engine import make_engine, make_sessionmaker, upgrade
    from agent.store.models import NoteRow

    try:
        settings = load_settings()
        parsed = load_query(query)
        rules = rules_for(settings)
        vocab = CohortVocabulary()
        # Every name of the query is checked before any note is read or extracted.
        resolve(parsed, vocab)
        extractor = None

        def extract(note: Note) -> NoteExtraction:
            nonlocal extractor
            if extractor is None:
                extractor = make_extractor(settings)
            return extractor.extract_note(note)

        with tempfile.TemporaryDirectory(prefix="clinagent-cohort-") as tmp:
            if notes is not None:
                if db is not None:
                    raise InputError("--db", "give either NOTES or --db, not both",
                                     fix="Drop --db to query the notes, or NOTES to query "
                                     "the database")
                batch = read_notes(notes, max_chars=settings.max_note_chars)
                for err in batch.errors:
                    typer.echo(f"skipped: {err}", err=True)
                engine = make_engine(f"sqlite:///{Path(tmp) / 'cohort.db'}")
                given = read_extractions(extractions) if extractions is not None else None
                load_notes(engine, batch.notes, rules, extract=extract, extractions=given)
            else:
                engine = make_engine(db or settings.api.resolved_database_url())
                upgrade(engine)
                sessions = make_sessionmaker(engine)

                def cached(note: Note) -> NoteExtraction:
                    with sessions() as session:
                        row = session.get(NoteRow, note.note_id)
                        hit = repo.cached_extractions(session, [row]).get(note.note_id) \
                            if row is not None else None
                    return hit or extract(note)

                refresh_facts(sessions, cached, rules)
            with make_sessionmaker(engine)() as session:
                result = run_query(session, parsed, vocab=vocab,
                                   evidence_per_criterion=evidence)
            engine.dispose()
        text = render(result, fmt.value)
        if out == "-":
            typer.echo(text, nl=False)
        else:
            with atomic_text_file(out) as fh:
                fh.write(text)
    except ClinicalAgentError as e:
        fail(e)
    typer.echo(f"{len(result.patients)} of {result.population} patient(s) match; "
               f"{len(result.excluded)} excluded" + ("" if out == "-" else f" -> {out}"),
               err=True)


@examples("clinagent eval cohort", "clinagent eval cohort --out /tmp/cohort-eval")
def eval_cohort(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for cohort.json and "
                                      "cohort.html")] = Path("evals/reports"),
) -> None:
    """Cohort precision / recall next to keyword search and ICD-code-only matching.

    The labelled cohorts of the demo corpus and of the generated trial corpus (T2DM with
    neuropathy or retinopathy, with negated, family, ruled-out, resolved and historical
    traps), per criterion and per cohort, same queries and gold for the three systems;
    and the frozen blind corpus (evals/data/frozen/cohorts), never tuned on, of which only
    the aggregate numbers are printed.
    """
    # Deferred: the eval harness (evals/) is a development tree, not needed by the command.
    from evals.cohort import run, table, write_reports

    try:
        report = run(load_settings())
    except ClinicalAgentError as e:
        fail(e)
    json_path, html_path = write_reports(report, out)
    typer.echo(table(report), nl=False)
    typer.echo(f"-> {json_path}, {html_path}", err=True)
