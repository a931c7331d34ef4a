"""Shared fixtures: a real database, on SQLite and on PostgreSQL, for anything that stores.

A test that asks for `engine` or `session` runs twice, once per database (ids
`sqlite` and `postgresql`). The PostgreSQL run is marked `postgres`; it is skipped
when the server cannot be reached, unless OFSTED_REQUIRE_POSTGRES=1 (as in CI),
when it fails instead. The server is TEST_DATABASE_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/test); the suite makes its own
database there and drops it at the end.

SQLite transactions begin IMMEDIATE (see storage.db): end the `session`
fixture's transaction (commit or rollback) before code under test writes
through another session, or that write waits out the busy timeout.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel

from storage import (
    mail,  # noqa: F401  (and the mailbox tables)
    models,  # noqa: F401  (registers the tables on SQLModel.metadata)
    teams,  # noqa: F401  (and the Teams table)
)
from storage.db import create_engine_for, normalize_database_url
from storage.migrate import upgrade_database
from storage.models import Visit
from storage.repo import NewMilestone, create_visit

DEFAULT_TEST_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# Hypothesis times each example (200 ms) and how fast it finds data: on a loaded machine
# (CI, or two cores shared with other runs) a slow example fails a property that holds. Speed
# is measured in benchmarks/, never in tests.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")

DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def _server_url() -> str:
    return normalize_database_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_TEST_DATABASE_URL)


def _postgres_unavailable(reason: str) -> None:
    if os.environ.get("OFSTED_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason} (OFSTED_REQUIRE_POSTGRES=1)", pytrace=False)
    pytest.skip(f"{reason}; set TEST_DATABASE_URL, or OFSTED_REQUIRE_POSTGRES=1 to fail instead")


@pytest.fixture(scope="session")
def postgres_admin_engine() -> Iterator[Engine]:
    """An autocommit engine on the PostgreSQL server, for creating and dropping databases."""
    url = _server_url()
    engine = create_engine(
        url,
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"connect_timeout": 5},
    )
    try:
        with engine.connect():
            pass
    except OperationalError as error:
        engine.dispose()
        shown = make_url(url).render_as_string(hide_password=True)
        detail = (str(error.orig) or type(error.orig).__name__).strip().splitlines()[0]
        _postgres_unavailable(f"PostgreSQL not reachable at {shown}: {detail}")
    yield engine
    engine.dispose()


def _create_postgres_database(admin: Engine) -> tuple[str, str]:
    name = f"ofsted_test_{secrets.token_hex(6)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(_server_url()).set(database=name)
    return name, url.render_as_string(hide_password=False)


def _drop_postgres_database(admin: Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_database_url(postgres_admin_engine: Engine) -> Iterator[str]:
    """A database made for this test session, dropped at its end."""
    name, url = _create_postgres_database(postgres_admin_engine)
    yield url
    _drop_postgres_database(postgres_admin_engine, name)


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of the database under test.

    SQLite: a new file in tmp_path, not yet migrated. PostgreSQL: the session's
    database, shared between tests; use `engine` for a clean, migrated schema.
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ofsted-bot.db'}"
    url: str = request.getfixturevalue("postgres_database_url")
    return url


@pytest.fixture(params=DATABASES)
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database on each run, for tests of migrating from nothing."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh' / 'ofsted-bot.db'}"
        return
    admin: Engine = request.getfixturevalue("postgres_admin_engine")
    name, url = _create_postgres_database(admin)
    yield url
    _drop_postgres_database(admin, name)


def _empty_all_tables(engine: Engine) -> None:
    """Empty every table between tests on the shared PostgreSQL database.

    The audit log refuses UPDATE, DELETE and TRUNCATE (migration 0005), so its triggers are
    switched off for this one transaction: ALTER TABLE is transactional in PostgreSQL, and the
    triggers are on again when it commits (or rolls back). Only the tests do this; SQLite tests
    get a new file each instead.
    """
    quote = engine.dialect.identifier_preparer.quote
    tables = ", ".join(quote(table.name) for table in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
        connection.exec_driver_sql(f"TRUNCATE TABLE {tables} RESTART IDENTITY CASCADE")
        connection.exec_driver_sql("ALTER TABLE audit_events ENABLE TRIGGER USER")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine from create_engine_for on a migrated database with empty tables."""
    engine = create_engine_for(database_url)
    upgrade_database(engine=engine)
    if engine.dialect.name == "postgresql":
        # One migration per session; emptying the tables is what keeps tests apart.
        _empty_all_tables(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine(postgres_database_url: str) -> Iterator[Engine]:
    """`engine` on PostgreSQL alone, for what only happens there (lock waits, a server behind a
    proxy). Mark the test `postgres`."""
    engine = create_engine_for(postgres_database_url)
    upgrade_database(engine=engine)
    _empty_all_tables(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on `engine`, configured as storage.db.session_scope configures its own."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


FACTORY_NOW = datetime(2021, 6, 22, 8, 0, tzinfo=UTC)
FACTORY_TEAM = "T_COUNCIL"
"""The workspace the factory's visits belong to."""


@pytest.fixture
def make_visit(session: Session) -> Callable[..., Visit]:
    """Create and commit a visit through storage.repo.create_visit; keywords override.

    Defaults: St Helens, standard inspection, letter 2021-06-22, two letter
    milestones (complaint deadline 2021-06-29, embargo lift 2021-07-02), created
    by U_CREATOR at 2021-06-22 08:00 UTC, in workspace FACTORY_TEAM.
    """

    def make(**overrides: Any) -> Visit:
        fields: dict[str, Any] = {
            "local_authority": "St Helens",
            "visit_type": "standard_inspection",
            "letter_date": date(2021, 6, 22),
            "visit_dates": [date(2021, 6, 7), date(2021, 6, 18)],
            "inspectors": ["Jo Inspector", "Sam Inspector"],
            "milestones": [
                NewMilestone(
                    kind="complaint_deadline",
                    label="Complaint window closes",
                    due_date=date(2021, 6, 29),
                    source="rule",
                    rule="5 working days from the letter date",
                ),
                NewMilestone(
                    kind="embargo_lift",
                    label="Report published",
                    due_date=date(2021, 7, 2),
                    source="letter",
                    evidence="under embargo until 02 July 2021",
                ),
            ],
            "created_by": "U_CREATOR",
            "now": FACTORY_NOW,
            "team_id": FACTORY_TEAM,
        }
        fields.update(overrides)
        visit = create_visit(session=session, **fields)
        session.commit()
        return visit

    return make
