"""A bulk loader for benchmarks: many visits, their milestones and reminder rows, fast.

SQLAlchemy Core `insert()` with executemany (and `RETURNING` ids in parameter order, through
SQLAlchemy's "insertmanyvalues" batching, on SQLite and PostgreSQL alike); the ORM's `add_all`
is kept only as the slower baseline (`load_orm`). Rows look like the bot's own: the milestone
kinds a letter gives, due dates a number of working days after the letter, reminder rows at
09:00 London on the offsets' working days plus the next overdue one; what has passed is done
or sent, what is to come is pending.

    from benchmarks.dataset import benchmark_database, load_core
    with benchmark_database("postgresql") as url:
        engine = migrated_engine(url)
        report = load_core(engine, visits=10_000, now=datetime.now(UTC))

`benchmark_database` gives a fresh SQLite file or a fresh PostgreSQL database (dropped at the end).
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Table, create_engine, insert
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from scheduler.calendar import ENGLAND_AND_WALES, london_time
from storage.db import create_engine_for
from storage.migrate import upgrade_database
from storage.models import Milestone, Reminder, Visit

POSTGRES_SERVER = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

# (kind, label, working days after the letter, needs sign-off): the shape of a final-report letter.
MILESTONE_PLAN: tuple[tuple[str, str, int, bool], ...] = (
    ("complaint_deadline", "Complaint window closes", 5, True),
    ("factual_accuracy_due", "Factual-accuracy comments due", 7, False),
    ("embargo_lift", "Embargo lifts (publication)", 8, False),
    ("survey_deadline", "Post-inspection survey due", 20, False),
    ("action_plan_draft_due", "Draft action plan due", 20, True),
    ("action_plan_final_due", "Final action plan due", 70, True),
)
OFFSETS = (5, 2, 1, 0)
REMINDER_TIME = wall_time(9, 0)
VISIT_TYPES = (
    "focused_visit",
    "monitoring_visit",
    "standard_inspection",
    "short_inspection",
    "jtai",
)


@dataclass
class LoadReport:
    visits: int = 0
    milestones: int = 0
    reminders: int = 0
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return self.visits + self.milestones + self.reminders


# --- databases ----------------------------------------------------------------------------------


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a table model (SQLModel does not declare `__table__`)."""
    return model.metadata.tables[str(model.__tablename__)]


@contextmanager
def benchmark_database(kind: str) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file in a temporary folder, or a new PostgreSQL
    database on BENCH_POSTGRES_URL's server; removed afterwards."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="ofsted-bench-")
        try:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    if kind != "postgresql":
        raise ValueError(f"unknown database {kind!r}: sqlite or postgresql")
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"ofsted_bench_{secrets.token_hex(5)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def migrated_engine(url: str) -> Engine:
    engine = create_engine_for(url)
    upgrade_database(engine=engine)
    return engine


def analyze(engine: Engine) -> None:
    """Refresh the planner's statistics after a bulk load, as a real database would have them."""
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


# --- rows -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    visit: dict[str, Any]
    milestones: list[dict[str, Any]]
    reminders: list[list[dict[str, Any]]]  # per milestone, without milestone_id


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def plan_visit(
    n: int, *, now: datetime, rng: random.Random, channels: int, letter_spread: tuple[int, int]
) -> _Plan:
    """One visit's rows. Letters fall `letter_spread` days around today (most in the past), so
    some milestones are done, a few are overdue, most are still to come."""
    calendar = ENGLAND_AND_WALES
    today = now.date()
    letter = today + timedelta(days=rng.randint(*letter_spread))
    created = _utc(london_time(letter, wall_time(10, 0)))
    visit = {
        "reference": f"bench-{n:05d}",
        "local_authority": f"Borough {n:05d}",
        "visit_type": VISIT_TYPES[n % len(VISIT_TYPES)],
        "letter_date": letter,
        "visit_start": letter - timedelta(days=14),
        "visit_end": letter - timedelta(days=10),
        "inspectors": ["Jo Inspector", "Sam Inspector"],
        "channel_id": f"C{n % channels:04d}",
        "status": "open",
        "created_by": "U_BENCH",
        "created_at": created,
    }
    milestones: list[dict[str, Any]] = []
    reminders: list[list[dict[str, Any]]] = []
    for kind, label, days, sign_off in MILESTONE_PLAN:
        due = calendar.add_working_days(letter, days)
        if due < today:
            status = "done" if rng.random() < 0.9 else "open"
        else:
            status = "acknowledged" if rng.random() < 0.2 else "open"
        milestones.append(
            {
                "visit_id": None,
                "kind": kind,
                "label": label,
                "due_date": due,
                "owner_user_id": f"U{rng.randint(0, 49):03d}" if rng.random() < 0.5 else None,
                "status": status,
                "source": "letter" if days in (5, 70) else "rule",
                "evidence": None,
                "rule": None,
                "needs_approval": sign_off,
                "approval_status": "requested"
                if sign_off and status == "open" and rng.random() < 0.1
                else None,
                "created_at": created,
                "updated_at": created,
            }
        )
        rows: list[dict[str, Any]] = []
        days_at = sorted(
            {
                calendar.previous_working_day(due) if k == 0 else calendar.add_working_days(due, -k)
                for k in OFFSETS
            }
        )
        instants = [
            (d, "due_day" if calendar.working_days_between(d, due) == 0 else "ahead")
            for d in days_at
        ]
        instants.append((calendar.next_working_day(due + timedelta(days=1)), "overdue"))
        for day, reminder_kind in instants:
            due_at = _utc(london_time(day, REMINDER_TIME))
            passed = due_at <= now
            if passed:
                reminder_status = "sent"
            else:
                reminder_status = "pending" if status in ("open", "acknowledged") else "cancelled"
            rows.append(
                {
                    "milestone_id": None,
                    "due_at": due_at,
                    "kind": reminder_kind,
                    "offset_days": calendar.working_days_between(day, due),
                    "status": reminder_status,
                    "attempts": 1 if passed else 0,
                    "claimed_by": "bench" if passed else None,
                    "claimed_at": due_at if passed else None,
                    "sent_at": due_at if passed else None,
                    "channel_id": visit["channel_id"] if passed else None,
                    "message_ts": f"{due_at.timestamp():.6f}" if passed else None,
                    "last_error": None,
                    "next_attempt_at": None,
                }
            )
        reminders.append(rows)
    return _Plan(visit, milestones, reminders)


def plans(
    count: int,
    *,
    now: datetime,
    seed: int = 5,
    start: int = 0,
    channels: int = 100,
    letter_spread: tuple[int, int] = (-150, 30),
) -> list[_Plan]:
    rng = random.Random(seed)
    return [
        plan_visit(start + n, now=now, rng=rng, channels=channels, letter_spread=letter_spread)
        for n in range(count)
    ]


# --- loading --------------------------------------------------------------------------------------


def load_core(
    engine: Engine,
    *,
    visits: int | None = None,
    now: datetime | None = None,
    planned: Sequence[_Plan] | None = None,
    batch: int = 2000,
    seed: int = 5,
    start: int = 0,
) -> LoadReport:
    """Insert visits, milestones and reminders with Core executemany, `batch` visits a
    transaction."""
    if planned is None:
        if visits is None or now is None:
            raise ValueError("give `planned`, or `visits` and `now`")
        planned = plans(visits, now=now, seed=seed, start=start)
    visit_table, milestone_table, reminder_table = (
        table_of(Visit),
        table_of(Milestone),
        table_of(Reminder),
    )
    report = LoadReport()
    started = time.perf_counter()
    for first in range(0, len(planned), batch):
        chunk = planned[first : first + batch]
        with engine.begin() as connection:
            visit_ids = (
                connection.execute(
                    insert(visit_table).returning(visit_table.c.id, sort_by_parameter_order=True),
                    [plan.visit for plan in chunk],
                )
                .scalars()
                .all()
            )
            milestone_rows = [
                {**row, "visit_id": visit_id}
                for plan, visit_id in zip(chunk, visit_ids, strict=True)
                for row in plan.milestones
            ]
            milestone_ids = (
                connection.execute(
                    insert(milestone_table).returning(
                        milestone_table.c.id, sort_by_parameter_order=True
                    ),
                    milestone_rows,
                )
                .scalars()
                .all()
            )
            per_milestone = [rows for plan in chunk for rows in plan.reminders]
            reminder_rows = [
                {**row, "milestone_id": milestone_id}
                for rows, milestone_id in zip(per_milestone, milestone_ids, strict=True)
                for row in rows
            ]
            connection.execute(insert(reminder_table), reminder_rows)
        report.visits += len(visit_ids)
        report.milestones += len(milestone_ids)
        report.reminders += len(reminder_rows)
    report.seconds = time.perf_counter() - started
    return report


def load_orm(engine: Engine, *, planned: Sequence[_Plan]) -> LoadReport:
    """The same rows through SQLModel's ORM (`add_all`, a flush for the ids): the baseline."""
    from sqlmodel import Session

    report = LoadReport()
    started = time.perf_counter()
    with Session(engine) as session:
        visits = [Visit(**plan.visit) for plan in planned]
        session.add_all(visits)
        session.flush()
        milestones: list[tuple[Milestone, list[dict[str, Any]]]] = []
        for plan, visit in zip(planned, visits, strict=True):
            for row, reminder_rows in zip(plan.milestones, plan.reminders, strict=True):
                milestones.append((Milestone(**{**row, "visit_id": visit.id}), reminder_rows))
        session.add_all([milestone for milestone, _ in milestones])
        session.flush()
        reminders = [
            Reminder(**{**row, "milestone_id": milestone.id})
            for milestone, rows in milestones
            for row in rows
        ]
        session.add_all(reminders)
        session.commit()
        report.visits, report.milestones, report.reminders = (
            len(visits),
            len(milestones),
            len(reminders),
        )
    report.seconds = time.perf_counter() - started
    return report


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one()
            for name in ("visits", "milestones", "reminders")
        }


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(
        description="Load N benchmark visits into a fresh database and report the time."
    )
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--visits", type=int, default=10_000)
    arguments = parser.parse_args()
    now = datetime.now(UTC)
    with benchmark_database(arguments.database) as url:
        engine = migrated_engine(url)
        report = load_core(engine, visits=arguments.visits, now=now)
        print(
            f"{arguments.database}: {report.visits} visits, {report.milestones} milestones, "
            f"{report.reminders} reminders in {report.seconds:.2f} s "
            f"({report.rows / report.seconds:,.0f} rows/s)"
        )
        print(table_counts(engine))
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
