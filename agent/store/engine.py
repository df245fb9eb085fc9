"""Engine and session setup, durability settings, and schema migrations (Alembic).

SQLite is the embedded default. It runs in WAL mode with ``synchronous=FULL``: a commit
returns only after the WAL is fsynced, so a note acknowledged to a client survives a killed
process or a power loss. PostgreSQL (``postgresql+psycopg://...``) is durable by default.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from agent.errors import ConfigError

logger = logging.getLogger(__name__)

# Alembic finds the migrations as package data (no alembic.ini needed at run time).
SCRIPT_LOCATION = "agent.store:migrations"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get their folder (0700) and durability pragmas.

    Raises:
        ConfigError: the URL cannot be parsed or its driver is not installed.
    """
    try:
        parsed = make_url(url)
    except Exception as e:  # sqlalchemy raises ArgumentError and ValueError variants
        raise ConfigError("api.database_url", "is not a valid SQLAlchemy URL",
                          "Use e.g. sqlite:///data/clinagent.db or "
                          "postgresql+psycopg://user@host/db") from e
    kwargs: dict = {"future": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).parent
            folder.mkdir(parents=True, exist_ok=True)
            os.chmod(folder, 0o700)
        # The service runs handlers in a thread pool; each thread gets pooled connections.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(url, **kwargs)
    except ModuleNotFoundError as e:
        raise ConfigError("api.database_url", f"the driver for {parsed.drivername!r} is not "
                          "installed", "Install it (e.g. pip install psycopg[binary])") from e
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine | None = None):
    """An Alembic ``Config`` pointing at the packaged migrations."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    if engine is not None:
        # Alembic's config is a ConfigParser: a "%" (URL-encoded socket paths, passwords)
        # would be read as interpolation.
        cfg.set_main_option("sqlalchemy.url",
                            engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Migrate the database to ``revision`` (idempotent).

    Returns:
        The revision the database is at afterwards.
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    logger.info("database schema at revision %s", current)
    return current


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def ping(engine: Engine) -> None:
    """Run ``SELECT 1`` (raises the driver's error when the database is unreachable)."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
