"""Migrations: they build exactly the declared schema, on both databases, and rerun safely."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Index, MetaData, inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from storage.db import create_engine_for
from storage.migrate import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    head_revision,
    upgrade_database,
)
from storage.models import Visit
from tests.storage.test_db import NOW

REPO_ROOT = Path(__file__).resolve().parents[2]
TABLES = {
    "visits",
    "visit_approvers",
    "milestones",
    "reminders",
    "approvals",
    "audit_events",
    "letter_drafts",
    "mail_messages",
    "mailbox_state",
    "visit_conversations",
}


def _differences(engine: Engine, metadata: MetaData) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "target_metadata": metadata}
        )
        return list(compare_metadata(context, metadata))


def test_migrations_create_exactly_what_the_models_declare(engine: Engine) -> None:
    assert _differences(engine, SQLModel.metadata) == []
    assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}


def test_the_comparison_would_notice_a_missing_index(engine: Engine) -> None:
    """Guards the test above: compare_metadata must see a difference when there is one."""
    metadata = MetaData(naming_convention=SQLModel.metadata.naming_convention)
    for table in SQLModel.metadata.sorted_tables:
        table.to_metadata(metadata)
    Index("ix_milestones_kind", metadata.tables["milestones"].c.kind)

    differences = _differences(engine, metadata)

    assert [(diff[0], diff[1].name) for diff in differences] == [  # type: ignore[index]
        ("add_index", "ix_milestones_kind")
    ]


@pytest.mark.parametrize(
    ("table", "names"),
    [
        ("reminders", {"ix_reminders_milestone_id", "ix_reminders_status_due_at"}),
        ("visits", {"ix_visits_status", "ix_visits_team_id"}),
        ("milestones", {"ix_milestones_visit_id"}),
        ("audit_events", {"ix_audit_events_visit_id"}),
    ],
    ids=["reminders", "visits", "milestones", "audit_events"],
)
def test_indexes_have_the_same_names_on_both_databases(
    engine: Engine, table: str, names: set[str]
) -> None:
    indexes = inspect(engine).get_indexes(table)
    # PostgreSQL also lists the index behind each unique constraint; those are not ours.
    assert {i["name"] for i in indexes if not i.get("duplicates_constraint")} == names


@pytest.mark.parametrize(
    ("table", "name", "columns"),
    [
        ("reminders", "uq_reminders_milestone_id_kind_due_at", ["milestone_id", "kind", "due_at"]),
        ("audit_events", "uq_audit_events_idempotency_key", ["idempotency_key"]),
        ("visits", "uq_visits_reference", ["reference"]),
    ],
    ids=["reminder-once", "audit-key-once", "reference"],
)
def test_unique_constraints_are_named(
    engine: Engine, table: str, name: str, columns: list[str]
) -> None:
    constraints = inspect(engine).get_unique_constraints(table)

    assert {"name": name, "column_names": columns} in [
        {"name": c["name"], "column_names": c["column_names"]} for c in constraints
    ]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_timestamps_are_timestamp_with_time_zone_on_postgresql(engine: Engine) -> None:
    columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("reminders")}

    assert columns["due_at"].timezone is True  # type: ignore[attr-defined]


def test_upgrading_twice_is_harmless(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(Visit(reference="kept", visit_type="jtai", status="open", created_at=NOW))
        session.commit()

    upgrade_database(engine=engine)

    assert current_revision(engine=engine) == head_revision()
    assert _differences(engine, SQLModel.metadata) == []
    with Session(engine) as session:
        assert session.exec(select(Visit.reference)).all() == ["kept"]


def test_fresh_database_starts_without_revision_and_ends_at_head(fresh_database_url: str) -> None:
    engine = create_engine_for(fresh_database_url)
    try:
        assert current_revision(engine=engine) is None

        upgrade_database(engine=engine)

        assert current_revision(engine=engine) == head_revision() == "0012"
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_everything_and_upgrade_rebuilds(
    fresh_database_url: str,
) -> None:
    engine = create_engine_for(fresh_database_url)
    try:
        upgrade_database(engine=engine)
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection=connection), "base")

        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        assert current_revision(engine=engine) is None

        upgrade_database(engine=engine)

        assert _differences(engine, SQLModel.metadata) == []
    finally:
        engine.dispose()


_START_INSTANCE = """
import sys, time
from storage.db import create_engine_for
from storage.migrate import upgrade_database
url, start_at = sys.argv[1], float(sys.argv[2])
engine = create_engine_for(url)
time.sleep(max(0.0, start_at - time.time()))
upgrade_database(engine=engine)
engine.dispose()
"""


def test_instances_starting_together_migrate_once(fresh_database_url: str) -> None:
    """Several processes start at once: one migrates, the others find nothing to do."""
    start_at = time.time() + 1.5  # after every interpreter has imported storage
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    instances = [
        subprocess.Popen(
            [sys.executable, "-c", _START_INSTANCE, fresh_database_url, str(start_at)],
            cwd=REPO_ROOT,
            env=environment,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    errors = [instance.communicate(timeout=60)[1] for instance in instances]

    assert [instance.returncode for instance in instances] == [0, 0, 0], errors
    engine = create_engine_for(fresh_database_url)
    try:
        assert current_revision(engine=engine) == head_revision()
        assert _differences(engine, SQLModel.metadata) == []
    finally:
        engine.dispose()


def test_scripts_are_found_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    engine = create_engine_for("sqlite:///relative/bot.db")
    try:
        upgrade_database(engine=engine)

        assert current_revision(engine=engine) == head_revision()
        assert (tmp_path / "relative" / "bot.db").exists()
    finally:
        engine.dispose()


def test_one_head_and_descriptive_revision_files() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    files = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py"))

    assert len(script.get_heads()) == 1
    assert files, "no revisions shipped"
    for name in files:
        assert re.fullmatch(r"\d{4}_[a-z0-9]+(_[a-z0-9]+){2,}\.py", name), name
    assert files[0] == "0001_create_visits_milestones_reminders_audit.py"
