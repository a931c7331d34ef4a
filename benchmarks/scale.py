"""The bot at scale: 10,000 open visits (60,000 milestones, 300,000 reminder rows).

    .venv/bin/python benchmarks/scale.py [--database sqlite|postgresql|both] [--visits 10000]

For each database, in a fresh database of its own:

1. Loading: the rows through SQLAlchemy Core (`benchmarks/dataset.py`), and as the baseline the
   same rows for a small sample through SQLModel's ORM `add_all` next to Core on that sample.
2. Start-up and memory: a new process does what `ofsted-bot serve --http` does before it
   answers (imports, engine, the migrations check, `build_app`), serves the WSGI app, and
   answers one `/ofsted list` from the Slack stand-in; the parent times it from spawn to ready
   and reads the child's peak RSS (VmHWM) once the answer is in. Targets: start-up < 3 s,
   peak memory < 250 MB. A bare `python -c pass` is the baseline for the interpreter itself.
3. A dispatcher pass's queries: claiming when nothing is due and when 100 are due, the wake-up
   query, and a whole `run_pass` with nothing due; next to the bare indexed SELECT of due
   pending rows. Target < 10 ms.
4. `/ofsted list` and the App Home: the handlers' work (queries + Block Kit) with 10,000 open
   visits, next to the way they worked before (every open visit and milestone loaded, then cut
   to Slack's 50 blocks), reproduced here as the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common
from benchmarks.common import percentile
from benchmarks.dataset import (
    analyze,
    benchmark_database,
    load_core,
    load_orm,
    migrated_engine,
    plans,
    table_counts,
    table_of,
)

SAMPLE = 300
SIGNING_SECRET = "scale-benchmark-signing-secret"


def print_table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    print(f"\n{title}")
    common.print_table(header, rows)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def _response_after(count: int, slack: Any) -> Any:
    """The stand-in's response after the first `count`, once it has come."""
    return slack.responses[count] if len(slack.responses) > count else None


def timed(action: Callable[[], Any], *, repeat: int, warm: int = 2) -> list[float]:
    for _ in range(warm):
        action()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return times


def summary(times: list[float]) -> list[str]:
    return [ms(statistics.median(times)), ms(percentile(times, 95)), ms(max(times))]


# --- 1. loading -----------------------------------------------------------------------------------


def measure_loading(
    database: str, url: str, *, visits: int, now: datetime
) -> tuple[list[list[Any]], Any]:
    rows: list[list[Any]] = []
    sample = plans(SAMPLE, now=now, seed=11, start=500_000)
    for name, loader in (("ORM add_all (baseline)", load_orm), ("Core insert", None)):
        with benchmark_database(database) as sample_url:
            engine = migrated_engine(sample_url)
            report = loader(engine, planned=sample) if loader else load_core(engine, planned=sample)
            engine.dispose()
        rate = report.rows / report.seconds
        rows.append(
            [
                f"{database}: {name}, {SAMPLE} visits",
                f"{report.rows:,}",
                f"{report.seconds:.2f}",
                f"{rate:,.0f}",
                f"{report.seconds * visits / SAMPLE:.1f}",
            ]
        )
    engine = migrated_engine(url)
    planning = time.perf_counter()
    planned = plans(visits, now=now)
    planning = time.perf_counter() - planning
    report = load_core(engine, planned=planned)
    analyze(engine)
    rows.append(
        [
            f"{database}: Core insert, {visits:,} visits",
            f"{report.rows:,}",
            f"{report.seconds:.2f}",
            f"{report.rows / report.seconds:,.0f}",
            f"{report.seconds:.1f}",
        ]
    )
    rows.append(
        [
            f"{database}: (making the {visits:,} visits' rows in Python, not timed above)",
            "",
            f"{planning:.2f}",
            "",
            "",
        ]
    )
    return rows, engine


# --- 2. start-up and memory, in a new process -----------------------------------------------------


def high_water_mb() -> float:
    """This process's peak resident memory. /proc's VmHWM belongs to the process image, so it
    starts afresh at exec; getrusage's ru_maxrss does not (Linux carries it over from before
    the exec, i.e. from the parent that forked us, which holds the benchmark's own data)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def serve_child() -> int:
    """The child: start as `ofsted-bot serve --http` does, serve, answer, report."""
    began = time.perf_counter()
    from bot.app import build_app
    from bot.offline.standin.boltserver import serve_wsgi
    from bot.settings import Settings
    from bot.web import wsgi_application
    from storage.db import create_engine_for
    from storage.migrate import upgrade_database

    imported = time.perf_counter()
    settings = Settings.from_environ()
    engine = create_engine_for(settings.database_url)
    upgrade_database(engine=engine)
    migrated = time.perf_counter()
    app = build_app(settings=settings, engine=engine)
    built = time.perf_counter()
    with serve_wsgi(wsgi_application(app=app, engine=engine)) as url:
        print(
            json.dumps(
                {
                    "url": url,
                    "imports": imported - began,
                    "migrations": migrated - imported,
                    "build_app": built - migrated,
                    "peak_mb_ready": high_water_mb(),
                }
            ),
            flush=True,
        )
        sys.stdin.readline()  # the parent says when the request has been answered
        print(json.dumps({"peak_mb": high_water_mb()}), flush=True)
    engine.dispose()
    return 0


def measure_startup(database: str, url: str, *, runs: int) -> list[list[Any]]:
    from bot.offline.standin import SlackDriver, SlackStandIn

    rows: list[list[Any]] = []
    interpreter = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        interpreter.append(time.perf_counter() - began)
    rows.append(
        [
            f"{database}: bare `python -c pass` (baseline)",
            f"{statistics.median(interpreter):.2f}",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    with SlackStandIn() as slack:
        slack.add_channel("C0000", name="visits")
        slack.ensure_user("U_BENCH")
        environment = {
            **os.environ,
            "DATABASE_URL": url,
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_API_URL": slack.api_url,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        }
        for run in range(runs):
            began = time.perf_counter()
            child = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--serve-child"],
                env=environment,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            try:
                assert child.stdout is not None and child.stdin is not None
                ready = json.loads(child.stdout.readline())
                startup = time.perf_counter() - began
                driver = SlackDriver(ready["url"], SIGNING_SECRET, slack)
                before = len(slack.responses)
                asked = time.perf_counter()
                response = driver.slash_command("list", user_id="U_BENCH", channel_id="C0000")
                assert response.status == 200, response.text
                answer = slack.wait_for(partial(_response_after, before), timeout=60)
                answered = time.perf_counter() - asked
                child.stdin.write("report\n")
                child.stdin.flush()
                peak = json.loads(child.stdout.readline())["peak_mb"]
            finally:
                child.wait(timeout=30)
            rows.append(
                [
                    f"{database}: serve, run {run + 1}",
                    f"{startup:.2f}",
                    f"{ready['imports']:.2f}",
                    f"{ready['migrations']:.2f}",
                    f"{ready['build_app']:.2f}",
                    f"{ready['peak_mb_ready']:.0f}",
                    f"{peak:.0f}",
                    f"{answered * 1000:.0f} ({len(answer.blocks or [])} blocks)",
                ]
            )
    return rows


# --- 3. a dispatcher pass's queries ---------------------------------------------------------------


def measure_dispatch_queries(
    database: str, engine: Any, *, now: datetime, repeat: int
) -> list[list[Any]]:
    from sqlalchemy import text
    from sqlmodel import Session

    from scheduler.dispatcher import Dispatcher
    from storage import dispatch
    from storage.db import session_scope
    from storage.models import Reminder

    lease = timedelta(minutes=2)
    bare = text(
        "SELECT id FROM reminders WHERE status = 'pending' AND due_at <= :now "
        "ORDER BY due_at, id LIMIT 1000"
    )
    rows: list[list[Any]] = []
    moment = now.replace(tzinfo=None) if database == "sqlite" else now

    def bare_select() -> None:
        with engine.connect() as connection:
            connection.execute(bare, {"now": moment}).all()

    def claim_in_rolled_back_transaction() -> int:
        with Session(engine) as session:
            claims = dispatch.claim_due_reminders(
                session=session, now=now, worker_id="bench", limit=1000, lease=lease
            )
            session.rollback()
            return len(claims)

    def wakeup() -> None:
        with session_scope(engine) as session:
            dispatch.next_reminder_due_at(session=session)

    class NoPoster:
        """Nothing is due in these passes: any call would be a bug."""

        def post(self, notice: Any) -> Any:
            raise AssertionError("nothing is due")

        def find_posted(self, notice: Any, *, since: datetime) -> Any:
            raise AssertionError("nothing is due")

        def report_failure(self, notice: Any, *, error: str) -> None:
            raise AssertionError("nothing is due")

    dispatcher = Dispatcher(engine=engine, poster=NoPoster(), clock=lambda: now, worker_id="bench")

    def empty_pass() -> None:
        report = dispatcher.run_pass()
        assert report.claimed == 0

    with Session(engine) as session:
        pending = session.execute(
            text("SELECT count(*) FROM reminders WHERE status = 'pending'")
        ).scalar_one()
    label = f"{database}, {pending:,} pending rows"
    assert claim_in_rolled_back_transaction() == 0, "the data set has reminders due now"
    rows.append(
        [
            f"{label}: bare indexed SELECT of due rows (baseline)",
            *summary(timed(bare_select, repeat=repeat)),
        ]
    )
    rows.append(
        [
            f"{label}: claim, nothing due",
            *summary(timed(claim_in_rolled_back_transaction, repeat=repeat)),
        ]
    )
    rows.append([f"{label}: wake-up query (next due)", *summary(timed(wakeup, repeat=repeat))])
    rows.append(
        [
            f"{label}: whole pass, nothing due (claim + commit)",
            *summary(timed(empty_pass, repeat=repeat)),
        ]
    )
    # Make 100 of the pending reminders due a minute ago.
    with engine.begin() as connection:
        ids = (
            connection.execute(
                text(  # one a milestone: (milestone, kind, due_at) is unique
                    "SELECT min(id) FROM reminders WHERE status = 'pending' "
                    "GROUP BY milestone_id ORDER BY 1 LIMIT 100"
                )
            )
            .scalars()
            .all()
        )
        table = table_of(Reminder)
        connection.execute(
            table.update().where(table.c.id.in_(ids)).values(due_at=now - timedelta(minutes=1))
        )
    assert claim_in_rolled_back_transaction() == 100
    rows.append(
        [
            f"{label}: bare indexed SELECT, 100 due (baseline)",
            *summary(timed(bare_select, repeat=repeat)),
        ]
    )
    rows.append(
        [
            f"{label}: claim, 100 due (SELECT + UPDATE, rolled back)",
            *summary(timed(claim_in_rolled_back_transaction, repeat=repeat)),
        ]
    )
    return rows


# --- 4. /ofsted list and the App Home -------------------------------------------------------------


def measure_views(database: str, engine: Any, *, now: datetime, repeat: int) -> list[list[Any]]:
    from datetime import date

    from sqlmodel import Session

    from handlers.core import visits
    from handlers.core.results import HomeItem, VisitSummary
    from handlers.slack import blocks
    from scheduler.calendar import ENGLAND_AND_WALES, london_date
    from storage import repo
    from storage.models import UNOWNED

    today: date = london_date(now)
    calendar = ENGLAND_AND_WALES
    user = "U001"  # owns some milestones in the data set
    # The data set's visits belong to no workspace yet (UNOWNED): read them as an administrator.
    everything = repo.VisibleTo(team_id=UNOWNED, user_id=user, channel_ids=None)

    def list_before() -> list[Any]:
        """Every open visit and its next milestone, all made into blocks, then cut to 50."""
        with Session(engine) as session:
            every = repo.list_open_visits(session=session, visible_to=everything)
            upcoming = repo.next_open_milestones(
                session=session, visit_ids=[v.id for v in every if v.id is not None]
            )
            summaries = [
                VisitSummary(visit=v, next_milestone=upcoming.get(v.id or 0)) for v in every
            ]
            return blocks.visit_list_blocks(summaries=summaries, today=today, calendar=calendar)

    def list_now() -> list[Any]:
        """What `/ofsted list` does now when it reads (handlers.slack.commands.list_answer)."""
        from handlers.slack.commands import list_answer

        with Session(engine) as session:
            return list_answer(
                session=session, visible_to=everything, today=today, calendar=calendar
            ).blocks

    def home_before() -> dict[str, Any]:
        with Session(engine) as session:
            rows = repo.list_open_milestones(session=session, visible_to=everything)
            approver_of = repo.visits_approved_by(session=session, user_id=user)
            horizon = today + timedelta(days=visits.HOME_HORIZON_DAYS)
            overdue = [HomeItem(v, m) for v, m in rows if m.due_date < today]
            due_soon = [HomeItem(v, m) for v, m in rows if today <= m.due_date <= horizon]
            waiting = [
                HomeItem(v, m, "you own it")
                for v, m in rows
                if m.owner_user_id == user
                or (v.id in approver_of and m.needs_approval and m.approval_status == "requested")
            ]
            return blocks.home_view(
                overdue=overdue,
                due_soon=due_soon,
                waiting_on_me=waiting,
                today=today,
                calendar=calendar,
            )

    def home_now() -> dict[str, Any]:
        with Session(engine) as session:
            overdue, due_soon, waiting = visits.home_items(
                session=session, visible_to=everything, today=today
            )
            return blocks.home_view(
                overdue=overdue,
                due_soon=due_soon,
                waiting_on_me=waiting,
                today=today,
                calendar=calendar,
            )

    counts = table_counts(engine)
    rows: list[list[Any]] = []
    label = f"{database}, {counts['visits']:,} open visits"
    for name, action, shown in (
        ("/ofsted list, load everything then cut (before)", list_before, len),
        ("/ofsted list, soonest 40 in SQL (now)", list_now, len),
        ("App Home, every open milestone (before)", home_before, lambda r: len(r["blocks"])),
        ("App Home, overdue + 30 days + mine in SQL (now)", home_now, lambda r: len(r["blocks"])),
    ):
        try:
            result = action()
        except ImportError as error:  # an older checkout, measured for comparison
            rows.append([f"{label}: {name}", f"n/a ({error})", "", "", ""])
            continue
        rows.append(
            [f"{label}: {name}", *summary(timed(action, repeat=repeat, warm=1)), shown(result)]
        )
    return rows


# --- main -----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--visits", type=int, default=10_000)
    parser.add_argument(
        "--repeat", type=int, default=30, help="timed repetitions of each query (default 30)"
    )
    parser.add_argument("--startup-runs", type=int, default=3)
    parser.add_argument("--serve-child", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve_child:
        return serve_child()
    databases = ["sqlite", "postgresql"] if arguments.database == "both" else [arguments.database]
    print(
        "machine: " + ", ".join(f"{name} {value}" for name, value in common.machine_facts().items())
    )
    now = datetime.now(UTC).replace(microsecond=0)
    loading, startup, queries, views = [], [], [], []
    for database in databases:
        with benchmark_database(database) as url:
            rows, engine = measure_loading(database, url, visits=arguments.visits, now=now)
            loading += rows
            counts = table_counts(engine)
            print(f"{database}: loaded {counts}", flush=True)
            views += measure_views(database, engine, now=now, repeat=max(5, arguments.repeat // 3))
            startup += measure_startup(database, url, runs=arguments.startup_runs)
            queries += measure_dispatch_queries(database, engine, now=now, repeat=arguments.repeat)
            engine.dispose()
    print_table(
        f"1. loading {arguments.visits:,} visits (each 6 milestones, 5 reminder rows a milestone); "
        f"ORM vs Core on a sample of {SAMPLE}",
        ["what", "rows", "seconds", "rows/s", f"s for {arguments.visits:,} visits"],
        loading,
    )
    print_table(
        "2. start-up (spawn to serving: imports, engine, migrations check, build_app) and peak "
        "memory of a process that starts and answers one /ofsted list; targets < 3 s, < 250 MB",
        [
            "what",
            "start-up s",
            "imports s",
            "migrations s",
            "build_app s",
            "peak RSS ready MB",
            "peak RSS MB",
            "/ofsted list answered ms",
        ],
        startup,
    )
    print_table(
        "3. a dispatcher pass's queries on the loaded database (target < 10 ms)",
        ["what", "median ms", "p95 ms", "max ms"],
        queries,
    )
    print_table(
        "4. the handlers' work (queries + Block Kit) with every visit open",
        ["what", "median ms", "p95 ms", "max ms", "blocks"],
        views,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
