"""``clinagent serve``, ``clinagent keys create|list|revoke`` and ``clinagent db upgrade``."""

from __future__ import annotations

import json
import logging
from typing import Annotated

import typer

from agent.cli.common import fail, load_settings
from agent.cli.helptext import examples
from agent.errors import ClinicalAgentError

keys_app = typer.Typer(no_args_is_help=True, help="API keys of the HTTP service.\n\n"
                       "Keys are stored hashed; each names its operations and patients.")
db_app = typer.Typer(no_args_is_help=True, help="The service's database.\n\n"
                     "SQLite in api.data_dir by default, or CLINAGENT_API__DATABASE_URL.")


@examples(
    "clinagent keys create --scope '*' --patient '*' --name ward-app",
    "clinagent serve --port 8080",
    "clinagent serve --workers 2",
)
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default: api.host, "
                                             "127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: api.port, 8080)")] = None,
    workers: Annotated[int, typer.Option(
        min=1, max=64, help="Worker processes; each loads the models (~1 GB, ~15 s). Jobs, "
        "rate limits and idempotency keys are in the database, the index is shared under "
        "a file lock")] = 1,
) -> None:
    """Run the HTTP service.

    OpenAPI docs are at /docs and a clinician page at /. Every /v1 endpoint needs an API
    key (clinagent keys create). The database schema is migrated at startup.
    """
    import uvicorn

    # The service stack (FastAPI, SQLAlchemy, every route; ~0.6 s) loads only for `serve`.
    from agent.api.main import create_app

    try:
        settings = load_settings()
        if workers > 1:
            _migrate_once(settings)
        app = create_app(settings) if workers == 1 else None
    except ClinicalAgentError as e:
        fail(e)
    _service_logging()
    uvicorn.run(app if app is not None else "agent.cli.serve:worker_app",
                factory=app is None, host=host or settings.api.host,
                port=port or settings.api.port, workers=workers, access_log=False,
                log_config=None, timeout_graceful_shutdown=10)


def _service_logging() -> None:
    # The service's own access log names route templates; uvicorn's would log raw paths,
    # whose patient ids may be MRNs.
    for name in ("agent", "uvicorn"):
        logging.getLogger(name).setLevel(logging.INFO)


def _migrate_once(settings) -> None:
    """Migrate before the workers start, so they do not race to create the same tables
    (each worker's own upgrade then finds the schema current)."""
    # SQLAlchemy (the store) loads only for the commands that open it.
    from agent.store.engine import make_engine, upgrade

    if settings.api.auto_migrate:
        engine = make_engine(settings.api.resolved_database_url())
        upgrade(engine)
        engine.dispose()


def worker_app():
    """The app of one worker process of ``clinagent serve --workers N`` (uvicorn imports
    this factory in each worker; settings come from the same environment)."""
    # The service stack (FastAPI, SQLAlchemy, every route) loads only in a worker.
    from agent.api.main import create_app

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _service_logging()
    return create_app(load_settings())


def _store():
    # SQLAlchemy (the store) loads only for the commands that open it.
    from agent.store.engine import make_engine, make_sessionmaker, upgrade

    settings = load_settings()
    engine = make_engine(settings.api.resolved_database_url())
    if settings.api.auto_migrate:
        upgrade(engine)
    secret = settings.api.key_secret
    return make_sessionmaker(engine), (secret.get_secret_value().encode("utf-8")
                                       if secret is not None else None)


@keys_app.command("create")
@examples(
    "clinagent keys create --scope '*' --patient '*' --name ward-app",
    "clinagent keys create --scope read,handoff --patient P001 --format json",
)
def keys_create(
    scope: Annotated[list[str], typer.Option(
        "--scope", help="Operations: read, write, extract, deid, verify, handoff, chat, admin "
        "or * (all but admin); repeatable or comma-separated")],
    patient: Annotated[list[str], typer.Option(
        "--patient", help="Patient ids the key may access, or '*' for all; repeatable")],
    name: Annotated[str, typer.Option(help="A label for the key (who or what uses it)")] = "",
    output_format: Annotated[str, typer.Option("--format", help="text | json")] = "text",
) -> None:
    """Mint an API key.

    The key is printed once on stdout; only its hash is stored, so it cannot be shown
    again.
    """
    # SQLAlchemy (the store) loads only for the commands that open it.
    from agent.store.keys import create_key

    try:
        sessions, secret = _store()
        with sessions() as session:
            key, row = create_key(session, name=name, operations=scope, patients=patient,
                                  secret=secret)
            session.commit()
    except ClinicalAgentError as e:
        fail(e)
    if output_format == "json":
        typer.echo(json.dumps({"key": key, "key_id": row.key_id, "operations": row.operations,
                               "patients": row.patients}))
        return
    typer.echo(key)
    typer.echo(f"key id {row.key_id}: operations {', '.join(row.operations)}; patients "
               f"{', '.join(row.patients)}. Store the key now: it cannot be shown again.",
               err=True)


@keys_app.command("list")
@examples("clinagent keys list")
def keys_list() -> None:
    """List the API keys: id, name, scopes, created, revoked; never the keys.

    One key per line, tab-separated.
    """
    # SQLAlchemy (the store) loads only for the commands that open it.
    from agent.store.keys import list_keys

    try:
        sessions, _ = _store()
        with sessions() as session:
            rows = list_keys(session)
    except ClinicalAgentError as e:
        fail(e)
    for r in rows:
        typer.echo(f"{r.key_id}\t{r.name or '-'}\t{','.join(r.operations)}\t"
                   f"{','.join(r.patients)}\t{r.created_at}\t"
                   f"{'revoked ' + r.revoked_at if r.revoked_at else 'active'}")


@keys_app.command("revoke")
@examples("clinagent keys list", "clinagent keys revoke KEY_ID")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key id (ck_<id>_...)")]) -> None:
    """Revoke an API key.

    Requests with it get 401 from now on. The key id is shown by clinagent keys list.
    """
    # SQLAlchemy (the store) loads only for the commands that open it.
    from agent.store.keys import revoke_key

    try:
        sessions, _ = _store()
        with sessions() as session:
            found = revoke_key(session, key_id)
            session.commit()
    except ClinicalAgentError as e:
        fail(e)
    if not found:
        typer.echo(f"error: no key {key_id}; see clinagent keys list", err=True)
        raise typer.Exit(code=2)
    typer.echo(f"revoked {key_id}", err=True)


@db_app.command("upgrade")
@examples("clinagent db upgrade", "clinagent db upgrade 0003")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
               ) -> None:
    """Migrate the database schema.

    The service also does this at startup (unless CLINAGENT_API__AUTO_MIGRATE=false).
    """
    # SQLAlchemy (the store) loads only for the commands that open it.
    from agent.store.engine import make_engine, upgrade

    try:
        engine = make_engine(load_settings().api.resolved_database_url())
        current = upgrade(engine, revision)
    except ClinicalAgentError as e:
        fail(e)
    typer.echo(f"database at revision {current}", err=True)
