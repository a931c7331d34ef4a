"""Engines and sessions: URL rewriting, SQLite pragmas, integrity enforced on both databases."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from storage.db import (
    SQLITE_BUSY_TIMEOUT_MS,
    create_engine_for,
    normalize_database_url,
    session_scope,
)
from storage.migrate import upgrade_database
from storage.models import Milestone, Visit

NOW = datetime(2021, 6, 22, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "postgres://u:p@db.example:5432/ofsted",
            "postgresql+psycopg://u:p@db.example:5432/ofsted",
        ),
        ("postgresql://u@db.example/ofsted", "postgresql+psycopg://u@db.example/ofsted"),
        ("postgresql+psycopg://u@db.example/ofsted", "postgresql+psycopg://u@db.example/ofsted"),
        ("sqlite:///ofsted-bot.db", "sqlite:///ofsted-bot.db"),
        ("sqlite:////var/lib/ofsted/bot.db", "sqlite:////var/lib/ofsted/bot.db"),
    ],
    ids=[
        "postgres-scheme",
        "postgresql-scheme",
        "already-psycopg",
        "sqlite-relative",
        "sqlite-absolute",
    ],
)
def test_normalize_database_url(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected


@pytest.mark.parametrize(
    "url",
    ["postgres://u:p@db.example:5432/ofsted", "postgresql://u:p@db.example:5432/ofsted"],
    ids=["postgres-scheme", "postgresql-scheme"],
)
def test_hosting_platform_urls_get_psycopg_3(url: str) -> None:
    engine = create_engine_for(url)  # no connection is made until first use

    assert engine.dialect.name == "postgresql"
    assert engine.dialect.driver == "psycopg"
    assert engine.url.host == "db.example"
    assert engine.url.password == "p"
    assert engine.pool._pre_ping  # type: ignore[attr-defined]
    engine.dispose()


def test_sqlite_parent_directory_is_made(tmp_path: Path) -> None:
    path = tmp_path / "not" / "there" / "yet" / "bot.db"
    engine = create_engine_for(f"sqlite:///{path}")
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    engine.dispose()

    assert path.exists()


def test_every_sqlite_connection_gets_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'bot.db'}")
    first, second = engine.raw_connection(), engine.raw_connection()
    try:
        assert first.dbapi_connection is not second.dbapi_connection
        for connection in (first, second):
            cursor = connection.cursor()
            pragmas = {
                name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
            cursor.close()
            assert pragmas == {
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
            }
    finally:
        first.close()
        second.close()
        engine.dispose()


def test_migrated_sqlite_file_is_in_wal_mode_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    engine = create_engine_for(f"sqlite:///{path}")
    upgrade_database(engine=engine)
    engine.dispose()

    # WAL is persistent: a plain connection without our hooks still sees it.
    with closing(sqlite3.connect(path)) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_sqlite_writers_queue_rather_than_fail(tmp_path: Path) -> None:
    """Two read-then-write transactions: the second waits for the first, then succeeds."""
    engine = create_engine_for(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE counter (n INTEGER)")
        connection.exec_driver_sql("INSERT INTO counter VALUES (0)")
    first_in = threading.Event()
    errors: list[OperationalError] = []

    def increment(hold: float) -> None:
        try:
            with engine.begin() as connection:
                n = connection.exec_driver_sql("SELECT n FROM counter").scalar_one()
                first_in.set()
                time.sleep(hold)
                connection.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except OperationalError as error:  # "database is locked"; asserted below
            errors.append(error)

    holder = threading.Thread(target=increment, args=(0.3,))
    holder.start()
    assert first_in.wait(5)
    increment(0)
    holder.join()
    with engine.connect() as connection:
        total = connection.exec_driver_sql("SELECT n FROM counter").scalar_one()
    engine.dispose()

    assert errors == []
    assert total == 2  # no lost update


def test_session_scope_commits_on_success(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(_visit("committed"))

    with Session(engine) as other:
        assert other.exec(select(Visit.reference)).all() == ["committed"]


def test_session_scope_rolls_back_on_error(engine: Engine) -> None:
    with pytest.raises(RuntimeError, match="boom"), session_scope(engine) as session:
        session.add(_visit("rolled-back"))
        session.flush()
        raise RuntimeError("boom")

    with Session(engine) as other:
        assert other.exec(select(Visit.reference)).all() == []


def test_session_scope_objects_readable_after_the_block(engine: Engine) -> None:
    with session_scope(engine) as session:
        visit = _visit("readable")
        session.add(visit)

    assert visit.reference == "readable"
    assert visit.id is not None


def test_foreign_keys_are_enforced(session: Session) -> None:
    session.add(
        Milestone(
            visit_id=999,
            kind="embargo_lift",
            label="Report published",
            due_date=date(2021, 7, 2),
            source="letter",
            created_at=NOW,
            updated_at=NOW,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "archived"), ("visit_type", "inspection")],
    ids=["status", "visit_type"],
)
def test_check_constraints_keep_visit_columns_to_known_values(
    session: Session, field: str, value: str
) -> None:
    visit = _visit("checked")
    setattr(visit, field, value)
    session.add(visit)

    with pytest.raises(IntegrityError):
        session.flush()


def test_unique_reference(session: Session) -> None:
    session.add(_visit("twice"))
    session.flush()
    session.add(_visit("twice"))

    with pytest.raises(IntegrityError):
        session.flush()


def _visit(reference: str) -> Visit:
    return Visit(reference=reference, visit_type="focused_visit", status="open", created_at=NOW)


def test_a_read_on_sqlite_does_not_wait_for_a_writer(tmp_path):
    """A unit of work that only reads must not queue behind the write lock (WAL lets it read)."""
    import time

    from sqlalchemy import text

    from storage.db import SQLITE_BUSY_TIMEOUT_MS, create_engine_for, read_scope, session_scope
    from storage.migrate import upgrade_database

    engine = create_engine_for(f"sqlite:///{tmp_path / 'locks.db'}")
    upgrade_database(engine=engine)
    with session_scope(engine) as writer:
        writer.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: this session now holds the write lock
        started = time.monotonic()
        with read_scope(engine) as reader:
            assert reader.execute(text("SELECT count(*) FROM visits")).scalar() == 0
        # Waiting for the writer would last the busy timeout (and fail): a bound well short of
        # it, not a speed (a loaded machine takes its time).
        assert time.monotonic() - started < SQLITE_BUSY_TIMEOUT_MS / 1000 / 2
    engine.dispose()
