"""``clinagent patients list|delete`` and ``clinagent db purge``: what the service stores
about patients, erasing one patient, and purging expired rows (``retention.*``)."""

from __future__ import annotations

from typing import Annotated

import typer

from agent.cli.common import fail, load_settings
from agent.cli.helptext import examples
from agent.config import Settings
from agent.errors import ClinicalAgentError

patients_app = typer.Typer(no_args_is_help=True,
                           help="Patients in the service's store.\n\nList them, or erase "
                           "one patient's notes and everything derived from them.")


def _sessions(settings: Settings):
    # SQLAlchemy (the store) loads only for the commands that open it.
    from agent.store.engine import make_engine, make_sessionmaker, upgrade

    engine = make_engine(settings.api.resolved_database_url())
    if settings.api.auto_migrate:
        upgrade(engine)
    return make_sessionmaker(engine)


@patients_app.command("list")
@examples("clinagent patients list")
def patients_list() -> None:
    """List the stored patients with their note counts.

    One patient per line: patient id and note count, tab-separated.
    """
    # SQLAlchemy (the store) loads only for the commands that open it.
    from agent.store import repository as repo

    try:
        with _sessions(load_settings())() as session:
            rows = repo.patients(session)
    except ClinicalAgentError as e:
        fail(e)
    for patient_id, count, _first, _last in rows:
        typer.echo(f"{patient_id}\t{count}")
    typer.echo(f"{len(rows)} patient(s)", err=True)


@patients_app.command("delete")
@examples("clinagent patients delete P001", "clinagent patients delete P001 --yes")
def patients_delete(
    patient_id: Annotated[str, typer.Argument(help="The patient to erase")],
    yes: Annotated[bool, typer.Option("--yes", help="Delete (without it: show what would "
                                      "be deleted, delete nothing, exit 1)")] = False,
) -> None:
    """Erase everything stored about a patient.

    Notes, extractions, summaries, jobs and retrieval-index entries (vectors compacted
    away). Audited (counts, no note ids or text); audit events are kept.
    Safe beside a running service (it takes the index lock the workers take, and they
    reload the index before their next use); DELETE /v1/patients/{id} does the same."""
    # SQLAlchemy (the store) and faiss (the index) load only for this command.
    from agent.indexing import erase_patient
    from agent.store import retention
    from retrieval.index import MANIFEST, read_manifest

    try:
        settings = load_settings()
        sessions = _sessions(settings)
        index_dir = settings.api.resolved_index_dir()
        if not yes:
            with sessions() as session:
                counts = retention.patient_counts(session, patient_id)
            indexed = 0
            if (index_dir / MANIFEST).exists():
                indexed = sum(1 for e in read_manifest(index_dir).notes.values()
                              if e.patient_id == patient_id)
            typer.echo(f"would delete {counts.notes} notes, {counts.extractions} extractions, "
                       f"{counts.summaries} summaries, {counts.jobs} jobs, {indexed} indexed "
                       "notes; nothing was deleted: pass --yes to delete", err=True)
            raise typer.Exit(code=1)
        with sessions() as session:
            deleted = retention.delete_patient(session, patient_id)
            if deleted.total:
                retention.record_deletion(session, deleted, patient_id, key_id=None,
                                          route="cli: clinagent patients delete")
            session.commit()
        index_notes, index_chunks = erase_patient(index_dir, patient_id)
    except ClinicalAgentError as e:
        fail(e)
    if not deleted.total and not index_notes:
        typer.echo("error: nothing is stored about this patient; see clinagent patients list",
                   err=True)
        raise typer.Exit(code=2)
    other = sum(deleted.other_rows.values())
    typer.echo(f"deleted {deleted.notes} notes, {deleted.extractions} extractions, "
               f"{deleted.summaries} summaries, {deleted.jobs} jobs"
               + (f", {other} other rows" if other else "")
               + f"; index: {index_notes} notes, {index_chunks} chunks", err=True)


@examples("clinagent db purge", "CLINAGENT_RETENTION__JOBS_DAYS=30 clinagent db purge")
def db_purge() -> None:
    """Purge stored rows older than their retention.

    Deletes summaries, finished jobs and cached extractions older than their retention
    (CLINAGENT_RETENTION__SUMMARIES_DAYS, __JOBS_DAYS, __EXTRACTIONS_DAYS; and every stored
    summary when __STORE_SUMMARIES=false). The service also does this at startup.
    """
    # SQLAlchemy (the store) loads only for the commands that open it.
    from agent.store.retention import purge_on_startup

    try:
        settings = load_settings()
        report = purge_on_startup(_sessions(settings), settings.retention,
                                  idempotency_ttl_s=settings.api.idempotency_ttl_s)
    except ClinicalAgentError as e:
        fail(e)
    typer.echo(f"purged {report.summaries} summaries, {report.jobs} jobs, "
               f"{report.extractions} extractions, {report.idempotency_keys} idempotency "
               f"keys, {report.auth_failures} failed-authentication counts", err=True)
