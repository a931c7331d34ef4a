"""Bring a database's schema up to date with Alembic, from code rather than the CLI.

The bot migrates at start-up. Several instances may start at once against one
PostgreSQL database, so the upgrade runs under an advisory lock: the first
instance migrates, the others wait and then find nothing left to do.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
"""Found beside this file, not from the working directory, so an installed wheel works."""

_ALEMBIC_IN_USE = threading.Lock()

MIGRATION_LOCK_KEY = 0x0F57ED_0001
"""The pg_advisory_lock key that serialises upgrades; any fixed 64-bit number will do."""


def alembic_config(*, connection: Connection | None = None) -> Config:
    """An Alembic config for our scripts, optionally bound to an open connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest revision shipped with this code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@contextmanager
def _migration_lock(connection: Connection) -> Iterator[None]:
    """Hold the PostgreSQL advisory lock for the block (a no-op elsewhere).

    The lock belongs to the database session, not the transaction, so it is
    taken and released in transactions of its own. SQLite needs no lock: its
    transactions begin IMMEDIATE, which already lets one writer in at a time.
    """
    if connection.dialect.name != "postgresql":
        yield
        return
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    connection.commit()
    try:
        yield
    finally:
        try:
            if connection.in_transaction():
                connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()
        except Exception:
            # A pooled connection must never go back to the pool still holding the lock.
            connection.invalidate()
            raise


def upgrade_database(*, engine: Engine) -> None:
    """Run `alembic upgrade head` on the engine's database; safe to call on every start."""
    # Alembic keeps its running context in module globals, so threads of one
    # process take turns too.
    with (
        _ALEMBIC_IN_USE,
        engine.connect() as connection,
        _migration_lock(connection),
        connection.begin(),
    ):
        command.upgrade(alembic_config(connection=connection), "head")


def current_revision(*, engine: Engine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
