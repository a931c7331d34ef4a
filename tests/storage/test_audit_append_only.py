"""The audit log is append-only in the database: plain SQL cannot rewrite or remove it.

Raw SQL on purpose: these statements never pass through our code or the ORM hook, as a
database console, a script or a compromised process would send them.
"""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from storage.db import create_engine_for
from storage.migrate import alembic_config, upgrade_database

INSERT_EVENT = (
    "INSERT INTO audit_events (visit_id, actor_user_id, action, outcome, note, at) "
    "VALUES (1, 'U1', 'visit_created', 'ok', 'as it happened', '2026-12-03 09:00:00+00:00')"
)
INSERT_VISIT = (
    "INSERT INTO visits (id, reference, visit_type, inspectors, status, created_at) "
    "VALUES (1, 'fernleigh-2612', 'jtai', '[]', 'open', '2026-12-03 09:00:00+00:00')"
)
CHANGES = {
    "update": "UPDATE audit_events SET note = 'rewritten history'",
    "update-one-column": "UPDATE audit_events SET actor_user_id = 'U_SOMEONE_ELSE' WHERE id = 1",
    "delete": "DELETE FROM audit_events",
    "delete-one": "DELETE FROM audit_events WHERE id = 1",
}


def _record_one_event(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql(INSERT_VISIT)
        connection.exec_driver_sql(INSERT_EVENT)


def _stored(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT id, actor_user_id, note FROM audit_events ORDER BY id"
        )
        return [tuple(row) for row in rows]


@pytest.mark.parametrize("statement", CHANGES.values(), ids=CHANGES.keys())
def test_plain_sql_cannot_change_or_remove_an_audit_event(engine: Engine, statement: str) -> None:
    _record_one_event(engine)
    before = _stored(engine)

    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql(statement)

    assert _stored(engine) == before == [(1, "U1", "as it happened")]


def test_events_can_still_be_appended(engine: Engine) -> None:
    _record_one_event(engine)

    with engine.begin() as connection:
        connection.exec_driver_sql(INSERT_EVENT.replace("as it happened", "and then this"))

    assert [note for _, _, note in _stored(engine)] == ["as it happened", "and then this"]


def test_other_tables_are_not_affected(engine: Engine) -> None:
    _record_one_event(engine)

    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE visits SET channel_id = 'C123' WHERE id = 1")

    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT channel_id FROM visits").scalar_one() == "C123"


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_truncate_cannot_empty_the_audit_log_on_postgresql(engine: Engine) -> None:
    _record_one_event(engine)

    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE TABLE audit_events CASCADE")
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE TABLE visits CASCADE")  # reaching it by the cascade

    assert len(_stored(engine)) == 1


def test_downgrade_drops_the_triggers_and_upgrade_restores_them(fresh_database_url: str) -> None:
    engine = create_engine_for(fresh_database_url)
    try:
        upgrade_database(engine=engine)
        _record_one_event(engine)
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection=connection), "0004")

        with engine.begin() as connection:
            connection.exec_driver_sql(CHANGES["update-one-column"])
        assert _stored(engine) == [(1, "U_SOMEONE_ELSE", "as it happened")]

        upgrade_database(engine=engine)
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.exec_driver_sql(CHANGES["delete"])
        assert len(_stored(engine)) == 1
    finally:
        engine.dispose()
