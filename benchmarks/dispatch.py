"""Reminder dispatch under a burst: 1,000 reminders due at one instant across 100 channels.

    .venv/bin/python benchmarks/dispatch.py [--database sqlite|postgresql|both]

Everything runs on the real clock. The Slack stand-in runs in a child process (as Slack is
another machine: it does not share the bot's interpreter lock), and the bot's side is the
production path: `bot.app.build_dispatcher` (the real SlackPoster and its Web API client)
driven by a real `DispatcherClock` (APScheduler: an interval pass and a wake-up at the next due
reminder), so every lag includes the wake-up.

1. Rate limited: the stand-in answers 429 + Retry-After beyond one post a second per channel
   (as Slack does). Time from the due instant to the last post, next to the bound: 10 posts in
   a channel at 1/s. Target: within 1.1 times the bound.
2. Not rate limited (and the dispatcher's per-channel pacing off): lag from the due instant to
   each post's arrival at the stand-in. Target p99 < 100 ms. Beside it, the reference: 1,000
   APScheduler jobs (in-memory job store, its default thread pool) due at one instant, each
   making the same post through the same SlackPoster.
Duplicates and losses are counted from the stand-in's messages (each carries its reminder id
in message metadata) and from the reminder rows. Target 0.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select

from benchmarks import common
from benchmarks.common import percentile
from benchmarks.dataset import benchmark_database, migrated_engine, table_of
from scheduler.calendar import london_date
from storage.models import Milestone, Reminder, Visit

CHANNELS = 100
PER_CHANNEL = 10
REMINDERS = CHANNELS * PER_CHANNEL
# What the stand-in received: (arrival, channel, reminder id, status) per post, and the reminder
# ids of each channel's messages.
Collected = tuple[list[tuple[float, str, int | None, int]], dict[str, list[int | None]]]
LEAD = 3.0  # seconds between starting the clock and the due instant


# --- small helpers ------------------------------------------------------------------------------


def print_table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    print(f"\n{title}")
    common.print_table(header, rows)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


# --- the stand-in, in its own process ----------------------------------------------------------


def _stand_in_process(connection: Any, rate: float | None) -> None:
    from bot.offline.standin import SlackStandIn

    arrivals: list[tuple[float, str, int | None, int]] = []
    lock = threading.Lock()

    def listen(record: Any) -> None:
        if getattr(record, "method", None) != "chat.postMessage":
            return
        payload = (
            (record.args.get("metadata") or {})
            if isinstance(record.args.get("metadata"), dict)
            else {}
        ).get("event_payload") or {}
        with lock:
            arrivals.append(
                (
                    record.at,
                    str(record.args.get("channel")),
                    payload.get("reminder_id"),
                    record.status,
                )
            )

    with SlackStandIn(post_rate_per_channel=rate) as slack:
        for n in range(CHANNELS):
            slack.add_channel(f"C{n:04d}", name=f"visits-{n}")
        slack.add_listener(listen)
        connection.send((slack.api_url, slack.token))
        while True:
            command = connection.recv()
            if command == "collect":
                messages = {
                    f"C{n:04d}": [
                        ((m.get("metadata") or {}).get("event_payload") or {}).get("reminder_id")
                        for m in slack.messages(f"C{n:04d}")
                    ]
                    for n in range(CHANNELS)
                }
                with lock:
                    connection.send((list(arrivals), messages))
            elif command == "reset":
                slack.reset()
                for n in range(CHANNELS):
                    slack.add_channel(f"C{n:04d}", name=f"visits-{n}")
                with lock:
                    arrivals.clear()
                connection.send("ok")
            else:
                return


class StandIn:
    """The Slack stand-in in a child process; `collect()` returns what it received."""

    def __init__(self, *, rate: float | None) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_stand_in_process, args=(child, rate), daemon=True)
        self._process.start()
        self.api_url, self.token = self._connection.recv()

    def collect(self) -> Collected:
        self._connection.send("collect")
        collected: Collected = self._connection.recv()
        return collected

    def reset(self) -> None:
        self._connection.send("reset")
        self._connection.recv()

    def stop(self) -> None:
        self._connection.send("stop")
        self._process.join(timeout=10)


# --- the rows -----------------------------------------------------------------------------------


def load_burst(engine: Any, *, due_at: datetime, per_channel: int = PER_CHANNEL) -> list[int]:
    """100 visits (one a channel), `per_channel` milestones each, one reminder each due at `due_at`.

    Half are "ahead" reminders, half "due_day" ones (after which the dispatcher plans the next
    overdue reminder, as in production). Returns the reminder ids.
    """
    today = london_date(due_at)
    created = due_at - timedelta(days=30)
    visit_table, milestone_table, reminder_table = (
        table_of(Visit),
        table_of(Milestone),
        table_of(Reminder),
    )
    with engine.begin() as connection:
        visit_ids = (
            connection.execute(
                insert(visit_table).returning(visit_table.c.id, sort_by_parameter_order=True),
                [
                    {
                        "reference": f"burst-{n:03d}",
                        "local_authority": f"Borough {n}",
                        "visit_type": "other",
                        "inspectors": [],
                        "channel_id": f"C{n:04d}",
                        "status": "open",
                        "created_by": "U_BENCH",
                        "created_at": created,
                    }
                    for n in range(CHANNELS)
                ],
            )
            .scalars()
            .all()
        )
        milestone_rows = [
            {
                "visit_id": visit_id,
                "kind": "survey_deadline",
                "label": f"Milestone {k}",
                "due_date": today if k % 2 else today + timedelta(days=7),
                "status": "open",
                "source": "letter",
                "needs_approval": False,
                "created_at": created,
                "updated_at": created,
            }
            for visit_id in visit_ids
            for k in range(per_channel)
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
        return list(
            connection.execute(
                insert(reminder_table).returning(reminder_table.c.id, sort_by_parameter_order=True),
                [
                    {
                        "milestone_id": milestone_id,
                        "due_at": due_at,
                        "kind": "due_day" if k % 2 else "ahead",
                        "offset_days": 0 if k % 2 else 5,
                        "status": "pending",
                        "attempts": 0,
                    }
                    for milestone_id, k in zip(
                        milestone_ids,
                        [k for _ in visit_ids for k in range(per_channel)],
                        strict=True,
                    )
                ],
            )
            .scalars()
            .all()
        )


def reader(url: str) -> Any:
    """A plain engine to watch the rows: on SQLite it takes no write lock (the bot's engine begins
    every transaction IMMEDIATE), so watching does not slow the dispatcher down."""
    from sqlalchemy import create_engine

    from storage.db import normalize_database_url

    return create_engine(normalize_database_url(url))


def row_statuses(engine: Any, ids: list[int]) -> Counter[str]:
    with engine.connect() as connection:
        table = table_of(Reminder)
        rows = connection.execute(select(table.c.status).where(table.c.id.in_(ids))).scalars().all()
    return Counter(rows)


# --- one run ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    label: str
    lags: list[float] = field(default_factory=list)  # due instant -> each post's arrival at Slack
    start_lags: list[float] = field(default_factory=list)  # due instant -> the post call begins
    total: float = 0.0  # due instant to the last accepted post
    posted_unique: int = 0
    duplicates: int = 0
    lost: int = 0
    rejected_429: int = 0
    rows: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0
    pass_reports: list[Any] = field(default_factory=list)
    reference: bool = False
    stages: dict[str, float] = field(default_factory=dict)  # the burst pass's steps, seconds
    burst: int = REMINDERS


class TimedPoster:
    """The real poster, noting when each post call begins (wall clock, as the stand-in's)."""

    def __init__(self, poster: Any) -> None:
        self.poster = poster
        self.starts: list[tuple[int, float]] = []
        self._lock = threading.Lock()

    def post(self, notice: Any) -> Any:
        with self._lock:
            self.starts.append((notice.reminder_id, time.time()))
        return self.poster.post(notice)

    def find_posted(self, notice: Any, *, since: datetime) -> Any:
        return self.poster.find_posted(notice, since=since)

    def report_failure(self, notice: Any, *, error: str) -> None:
        self.poster.report_failure(notice, error=error)


def _tally(
    outcome: Outcome,
    *,
    due: datetime,
    ids: list[int],
    stand_in: StandIn,
    starts: list[tuple[int, float]],
) -> None:
    arrivals, messages = stand_in.collect()
    accepted = [(at, rid) for at, _, rid, status in arrivals if status == 200]
    outcome.rejected_429 = sum(1 for *_, status in arrivals if status == 429)
    first_arrival: dict[int, float] = {}
    for at, rid in accepted:
        if rid is not None:
            first_arrival.setdefault(rid, at)
    outcome.lags = [first_arrival[rid] - due.timestamp() for rid in ids if rid in first_arrival]
    first_start: dict[int, float] = {}
    for rid, at in starts:
        first_start.setdefault(rid, at)
    outcome.start_lags = [at - due.timestamp() for at in first_start.values()]
    outcome.total = max(first_arrival.values(), default=due.timestamp()) - due.timestamp()
    posted = Counter(rid for channel in messages.values() for rid in channel if rid is not None)
    outcome.posted_unique = sum(1 for rid in ids if posted[rid] >= 1)
    outcome.duplicates = sum(count - 1 for rid, count in posted.items() if count > 1)
    outcome.lost = sum(1 for rid in ids if posted[rid] == 0)


def _due_instant() -> datetime:
    return (datetime.now(UTC) + timedelta(seconds=LEAD + 1)).replace(microsecond=0)


def run_dispatcher(
    *,
    database: str,
    rate: float | None,
    channel_interval: float,
    stand_in: StandIn,
    timeout: float,
    per_channel: int = PER_CHANNEL,
) -> Outcome:
    from bot.app import build_dispatcher
    from bot.settings import Settings
    from scheduler.dispatcher import DispatcherClock
    from storage import dispatch

    label = f"dispatcher, {database}, {per_channel * CHANNELS} reminders, " + (
        "rate limited 1/s" if rate else "no rate limit"
    )
    outcome = Outcome(label=label, burst=per_channel * CHANNELS)
    with benchmark_database(database) as url:
        engine = migrated_engine(url)
        watcher = reader(url)
        due = _due_instant()
        ids = load_burst(engine, due_at=due, per_channel=per_channel)
        settings = Settings(
            slack_bot_token=stand_in.token, slack_api_url=stand_in.api_url, database_url=url
        )
        dispatcher = build_dispatcher(settings=settings, engine=engine)
        dispatcher.channel_interval = channel_interval
        timed = TimedPoster(dispatcher.poster)
        dispatcher.poster = timed
        original = dispatcher.run_pass

        def recorded_pass() -> Any:
            report = original()
            if report.claimed:
                outcome.pass_reports.append(report)
            return report

        dispatcher.run_pass = recorded_pass  # type: ignore[method-assign]
        # Time the burst pass's steps: wake-up (due instant to the pass), claim, prepare.
        real_claim = dispatch.claim_due_reminders
        real_prepare = getattr(dispatcher, "_prepare", None)  # absent before 7c93814: not timed

        def timed_claim(**arguments: Any) -> Any:
            began = time.time()
            claims = real_claim(**arguments)
            if claims and "claim" not in outcome.stages:
                outcome.stages["wake-up"] = began - due.timestamp()
                outcome.stages["claim"] = time.time() - began
            return claims

        def timed_prepare(claims: Any, report: Any) -> Any:
            assert real_prepare is not None
            began = time.time()
            prepared = real_prepare(claims, report)
            outcome.stages.setdefault("prepare", time.time() - began)
            return prepared

        dispatch.claim_due_reminders = timed_claim
        if real_prepare is not None:
            dispatcher._prepare = timed_prepare  # type: ignore[method-assign]
        clock = DispatcherClock(dispatcher, interval=30)
        clock.start()
        started = time.monotonic()
        try:
            while time.monotonic() - started < timeout:
                time.sleep(0.25)
                statuses = row_statuses(watcher, ids)
                if statuses.get("sent", 0) + statuses.get("failed", 0) >= len(ids):
                    break
        finally:
            clock.stop()
            dispatch.claim_due_reminders = real_claim
        outcome.wall = time.monotonic() - started
        outcome.rows = row_statuses(watcher, ids)
        _tally(outcome, due=due, ids=ids, stand_in=stand_in, starts=timed.starts)
        watcher.dispose()
        engine.dispose()
    return outcome


def _notices(engine: Any, ids: list[int], due: datetime) -> list[Any]:
    from sqlmodel import Session, col
    from sqlmodel import select as sqlmodel_select

    from scheduler.dispatcher import ReminderNotice

    notices = []
    with Session(engine) as session:
        for reminder in session.exec(
            sqlmodel_select(Reminder).where(col(Reminder.id).in_(ids))
        ).all():
            milestone = session.get(Milestone, reminder.milestone_id)
            visit = session.get(Visit, milestone.visit_id) if milestone else None
            assert milestone is not None and visit is not None and reminder.id is not None
            notices.append(
                ReminderNotice(
                    reminder_id=reminder.id,
                    kind=reminder.kind,
                    offset_days=reminder.offset_days,
                    due_at=reminder.due_at,
                    today=london_date(due),
                    visit=visit,
                    milestone=milestone,
                )
            )
        session.expunge_all()
    return notices


def _poster(stand_in: StandIn) -> Any:
    from bot.app import posting_client
    from bot.settings import Settings
    from handlers.slack.poster import SlackPoster
    from scheduler.calendar import ENGLAND_AND_WALES

    settings = Settings(slack_bot_token=stand_in.token, slack_api_url=stand_in.api_url)
    return TimedPoster(SlackPoster(client=posting_client(settings), calendar=ENGLAND_AND_WALES))


def run_apscheduler_reference(
    *, database: str, stand_in: StandIn, timeout: float, per_channel: int = PER_CHANNEL
) -> Outcome:
    """APScheduler jobs (1,000 by default), in-memory job store, all due at one instant, each
    posting.

    Nothing is read from or written to the database while they run: the notices are built
    beforehand, so this is the scheduling and posting cost alone."""
    from apscheduler.schedulers.background import (  # type: ignore[import-untyped]
        BackgroundScheduler,
    )

    outcome = Outcome(
        label=f"APScheduler {per_channel * CHANNELS} jobs, memory store, 10 threads (reference)",
        reference=True,
        burst=per_channel * CHANNELS,
    )
    with benchmark_database(database) as url:
        engine = migrated_engine(url)
        due = _due_instant()
        ids = load_burst(engine, due_at=due, per_channel=per_channel)
        notices = _notices(engine, ids, due)
        poster = _poster(stand_in)
        scheduler = BackgroundScheduler(timezone="UTC")
        for notice in notices:
            scheduler.add_job(
                poster.post, "date", run_date=due, args=[notice], misfire_grace_time=None
            )
        scheduler.start()
        started = time.monotonic()
        try:
            while time.monotonic() - started < timeout:
                time.sleep(0.1)
                if datetime.now(UTC) > due and not scheduler.get_jobs():
                    break
        finally:
            scheduler.shutdown(wait=True)
        outcome.wall = time.monotonic() - started
        _tally(outcome, due=due, ids=ids, stand_in=stand_in, starts=poster.starts)
        engine.dispose()
    return outcome


def run_bare_posts(
    *, database: str, stand_in: StandIn, threads: int = 16, per_channel: int = PER_CHANNEL
) -> Outcome:
    """The floor: the same posts from a thread pool started at the due instant, no
    scheduler, no database: what posting alone costs on this machine."""
    from concurrent.futures import ThreadPoolExecutor

    outcome = Outcome(
        label=f"{per_channel * CHANNELS} bare posts, {threads} threads, no scheduler (floor)",
        reference=True,
        burst=per_channel * CHANNELS,
    )
    with benchmark_database(database) as url:
        engine = migrated_engine(url)
        due = _due_instant()
        ids = load_burst(engine, due_at=due, per_channel=per_channel)
        notices = _notices(engine, ids, due)
        poster = _poster(stand_in)
        time.sleep(max(0.0, due.timestamp() - time.time()))
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(poster.post, notices))
        outcome.wall = time.monotonic() - started
        _tally(outcome, due=due, ids=ids, stand_in=stand_in, starts=poster.starts)
        engine.dispose()
    return outcome


# --- the report ---------------------------------------------------------------------------------


def print_rate_limited(outcomes: list[Outcome]) -> bool:
    bound = PER_CHANNEL / 1.0
    rows, ok = [], True
    for outcome in outcomes:
        ratio = outcome.total / bound
        met = ratio <= 1.1 and outcome.duplicates == 0 and outcome.lost == 0
        ok &= met
        rows.append(
            [
                outcome.label,
                f"{outcome.total:.2f}",
                f"{bound:.1f}",
                f"{ratio:.2f}",
                outcome.posted_unique,
                outcome.duplicates,
                outcome.lost,
                outcome.rejected_429,
                dict(outcome.rows),
                "yes" if met else "NO",
            ]
        )
    print_table(
        f"1. {REMINDERS} reminders due at one instant, {CHANNELS} channels, "
        f"Slack's 1 post/s/channel enforced (bound: {PER_CHANNEL} posts a channel at 1/s = "
        f"{bound:.0f} s; target <= 1.1 x bound, 0 duplicates, 0 lost)",
        [
            "run",
            "due->last post s",
            "bound s",
            "ratio",
            "posted",
            "dup",
            "lost",
            "429s",
            "rows",
            "met",
        ],
        rows,
    )
    return ok


def print_lag(outcomes: list[Outcome], *, title: str | None = None) -> bool:
    rows, ok = [], True
    for outcome in outcomes:
        lags, starts = outcome.lags, outcome.start_lags
        met = (
            (percentile(lags, 99) < 0.100 and outcome.duplicates == 0 and outcome.lost == 0)
            if lags
            else False
        )
        if not outcome.reference:
            ok &= met
        rows.append(
            [
                outcome.label,
                len(lags),
                ms(percentile(starts, 50)),
                ms(percentile(starts, 99)),
                ms(percentile(lags, 0)),
                ms(percentile(lags, 50)),
                ms(percentile(lags, 95)),
                ms(percentile(lags, 99)),
                ms(max(lags, default=float("nan"))),
                outcome.duplicates,
                outcome.lost,
                dict(outcome.rows) if outcome.rows else "-",
                "reference" if outcome.reference else ("yes" if met else "NO"),
            ]
        )
    print_table(
        title
        or f"2. no rate limit, pacing off, {REMINDERS} reminders due at one instant across "
        f"{CHANNELS} channels: lag from the due instant to the post call (start) and to the "
        f"post's arrival at the stand-in (target: arrival p99 < 100 ms; 0 duplicates, 0 lost)",
        [
            "run",
            "posts",
            "start p50 ms",
            "start p99 ms",
            "min ms",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "dup",
            "lost",
            "rows",
            "met",
        ],
        rows,
    )
    return ok


def print_stages(outcomes: list[Outcome]) -> None:
    rows = [
        [
            outcome.label,
            *(
                ms(outcome.stages[step]) if step in outcome.stages else "-"
                for step in ("wake-up", "claim", "prepare")
            ),
            ms(percentile(outcome.lags, 0)),
        ]
        for outcome in outcomes
        if not outcome.reference
    ]
    print_table(
        "   the burst pass, step by step "
        "(wake-up: due instant to the claim; prepare: reading what to post)",
        ["run", "wake-up ms", "claim ms", "prepare ms", "first post arrives ms"],
        rows,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds allowed a run (default 60)"
    )
    parser.add_argument("--only", choices=("rate", "lag"), default=None)
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    databases = ["sqlite", "postgresql"] if arguments.database == "both" else [arguments.database]
    print(
        "machine: " + ", ".join(f"{name} {value}" for name, value in common.machine_facts().items())
    )
    ok = True
    if arguments.only in (None, "rate"):
        limited = StandIn(rate=1.0)
        try:
            outcomes = []
            for database in databases:
                outcomes.append(
                    run_dispatcher(
                        database=database,
                        rate=1.0,
                        channel_interval=1.0,
                        stand_in=limited,
                        timeout=arguments.timeout,
                    )
                )
                limited.reset()
        finally:
            limited.stop()
        ok &= print_rate_limited(outcomes)
        for outcome in outcomes:
            for report in outcome.pass_reports:
                print(
                    f"  {outcome.label}: pass claimed {report.claimed}, posted {report.posted}, "
                    f"retried {report.retried}, failed {report.failed}, "
                    f"superseded {report.superseded}, lost claims {report.lost_claims}"
                )
    if arguments.only in (None, "lag"):
        free = StandIn(rate=None)
        try:
            outcomes = []
            for per_channel in (PER_CHANNEL, 1):
                outcomes.append(
                    run_bare_posts(database=databases[0], stand_in=free, per_channel=per_channel)
                )
                free.reset()
                outcomes.append(
                    run_apscheduler_reference(
                        database=databases[0],
                        stand_in=free,
                        timeout=arguments.timeout,
                        per_channel=per_channel,
                    )
                )
                free.reset()
                for database in databases:
                    outcomes.append(
                        run_dispatcher(
                            database=database,
                            rate=None,
                            channel_interval=0.0,
                            stand_in=free,
                            timeout=arguments.timeout,
                            per_channel=per_channel,
                        )
                    )
                    free.reset()
        finally:
            free.stop()
        ok &= print_lag([outcome for outcome in outcomes if outcome.burst == REMINDERS])
        print_stages(outcomes)
        print_lag(
            [outcome for outcome in outcomes if outcome.burst != REMINDERS],
            title=f"   the same with a burst of {CHANNELS}, one reminder a channel, "
            "for comparison (met: p99 < 100 ms)",
        )
    print("\nall targets met" if ok else "\nsome targets missed (NO above)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
