"""Alembic environment: runs migrations on the connection or URL given by ``signals.core.store``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from signals.core.schema import Base

config = context.config
target_metadata = Base.metadata


def _ours(name, type_, parent_names) -> bool:  # type: ignore[no-untyped-def]
    """APScheduler creates and owns its job table in the same database, and the full-text index of the
    documents (migration 0003, SQLite) is no ORM table: autogenerate leaves them alone."""
    return not (type_ == "table" and (name == "apscheduler_jobs" or name.startswith("documents_fts")))


def _configure(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: batch mode copies the table
        compare_type=True,
        include_name=_ours,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _configure(conn)


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
