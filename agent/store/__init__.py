"""The service's store: SQLAlchemy models, engine/session setup, Alembic migrations and the
repository functions the API calls (SQLite by default, PostgreSQL for deployments)."""
