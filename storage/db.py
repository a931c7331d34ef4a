"""Engines and sessions: the only place that knows how each database is set up."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 5000

_POSTGRES_PREFIXES = ("postgres://", "postgresql://")


def normalize_database_url(url: str) -> str:
    """Point bare PostgreSQL URLs at psycopg 3.

    Hosting platforms hand out `postgres://` and `postgresql://`; SQLAlchemy reads the
    first as unknown and the second as psycopg2, which is not installed.
    """
    for prefix in _POSTGRES_PREFIXES:
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


POSTGRES_CONNECT_DEFAULTS: dict[str, int] = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}


def create_engine_for(url: str) -> Engine:
    """Make an engine configured for the database the URL names.

    SQLite gets WAL (readers never wait for the writer), enforced foreign keys, a
    busy timeout, and transactions that begin IMMEDIATE: a transaction that reads
    then writes takes the write lock up front, so two of them queue for up to the
    busy timeout instead of one failing with "database is locked".
    PostgreSQL gets pre-ping so a connection dropped by the server is replaced.
    Every engine hides bound parameters from its errors and logs: they hold letter text,
    notes and reasons, which must never reach a log (a failed statement's traceback would
    otherwise print them).
    """
    sa_url = make_url(normalize_database_url(url))
    backend = sa_url.get_backend_name()
    if backend == "sqlite":
        return _create_sqlite_engine(sa_url)
    if backend == "postgresql":
        # A database that stops answering (dropped packets, not refused connections) must
        # fail a connection attempt and a dead connection within seconds, not hang a pass.
        # The URL's own settings win over these.
        connect_args = {
            name: value
            for name, value in POSTGRES_CONNECT_DEFAULTS.items()
            if name not in sa_url.query
        }
        return create_engine(
            sa_url, pool_pre_ping=True, connect_args=connect_args, hide_parameters=True
        )
    return create_engine(sa_url, hide_parameters=True)


def _create_sqlite_engine(sa_url: URL) -> Engine:
    database = sa_url.database or ""
    in_memory = database in ("", ":memory:") or sa_url.query.get("mode") == "memory"
    if not in_memory and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(sa_url, hide_parameters=True)
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_immediate)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, connection_record: Any) -> None:
    # Hand transaction control to SQLAlchemy (see _begin_sqlite_immediate): the
    # sqlite3 module's own control skips BEGIN before SELECT, DDL and SAVEPOINT.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _enable_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _enable_wal(cursor: Any) -> None:
    """Switch to WAL, retrying while another process does the same.

    Changing the journal mode of a new file needs an exclusive lock, and SQLite
    reports "database is locked" at once rather than waiting for it, so
    processes starting together against a new file would otherwise fail.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


READ_ONLY = "ofsted_read_only"
"""Execution option marking a unit of work that only reads (see `read_scope`)."""


def _begin_sqlite_immediate(connection: Connection) -> None:
    # Writers take the write lock up front; a unit of work that only reads needs no lock at
    # all in WAL mode, so it must not queue behind the writers for one.
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit if the block succeeds, roll back if it raises.

    Objects stay readable after the block (no expiry on commit), so a caller can
    build its reply from what it just stored without another query.
    """
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work that only reads: on SQLite it does not wait for the write lock.

    (On SQLite a write inside it would have to upgrade its lock and may fail as busy: use
    `session_scope` for anything that writes.)
    """
    with session_scope(engine.execution_options(**{READ_ONLY: True})) as session:
        yield session
