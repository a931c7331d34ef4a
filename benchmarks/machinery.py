"""What the machinery buys: the read cache, the bounded work queue, the dispatcher's threads.

    nice .venv/bin/python benchmarks/machinery.py [--only cache,queue,dispatch] [--seconds 4]

Each piece keeps its place only if a row shows what it buys, so each row runs one workload twice
(or three times) in this one process, with the piece and without it, one right after the other,
and prints the ratio. Everything is real: the Bolt app from `bot.app.build_app` fed signed
requests in-process (`App.dispatch`, as gunicorn's worker would hand them over), a SQLite
database, the Slack stand-in over loopback HTTP, the dispatcher from `bot.app.build_dispatcher`.

1. The read cache (`storage/changes.py`, `ReadCache` with the database's change token): 8
   threads send signed `/ofsted list` (or `/ofsted show <visit>`) to the app for `--seconds`,
   1,000 visits. Without it: the same app built with no change watch, so every answer is read
   again (what `ReadCache(watch=None)` does; `bot.app.change_watch_for` is swapped for the
   build). A third run keeps the cache while another connection commits 20 times a second, so
   the kept answer is read again after each commit. SQL statements per request are counted on
   the app's engine: the proof of which arm ran.
2. The bounded work queue (`bot/app.py`, `BoundedExecutor`, `LAZY_LIMIT` requests' work running
   or waiting, "busy" beyond): 16 threads send `/ofsted new` (its work: `views.open` with the
   request's trigger_id) for `--seconds` while Slack answers `views.open` in 200 ms. Without the
   bound: the same five threads and no limit (`LAZY_LIMIT` set to a million for the build).
   Slack refuses a trigger_id older than 3 s, so a form opened late is a form not opened.
3. The dispatcher's threads (`scheduler/dispatcher.py`: posting threads, one recorder thread
   batching outcomes): one pass over 200 reminders due now in 100 channels while Slack answers
   each post in 50 ms (pacing off, so the threads and not the 1-a-second pacing set the time).
   Without: one posting thread (the posts one after another), and, apart, the posting threads
   with the recorder writing each outcome in a transaction of its own.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_bolt import App, BoltRequest
from sqlalchemy import create_engine, event, insert
from sqlalchemy.engine import Engine

from benchmarks import common
from benchmarks.common import percentile
from benchmarks.dataset import analyze, benchmark_database, migrated_engine, table_of
from bot.offline.standin import SlackStandIn, payloads
from bot.offline.standin.signing import signature
from bot.settings import Settings
from storage.db import normalize_database_url

SIGNING_SECRET = "benchmark-signing-secret"
OFFICER = "U01QAOFFICER"
CHANNEL = "C01VISITS"
VISITS = 1000
FORM_SECONDS = 0.2  # Slack's answer to views.open, slowed
POST_SECONDS = 0.05  # Slack's answer to chat.postMessage, slowed
FOREVER = 10**7  # calls a fault lasts for


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


# --- requests, signed and handed to the app in-process ------------------------------------------


def slash_command(slack: SlackStandIn, text: str) -> bytes:
    fields = payloads.slash_command(
        text=text,
        command="/ofsted",
        user_id=OFFICER,
        user_name="priya.shah",
        channel_id=CHANNEL,
        channel_name="ofsted-visits",
        team_id=slack.team_id,
        team_domain=slack.team_domain,
        api_app_id=slack.app_id,
        response_url=slack.new_response_url(channel_id=CHANNEL, user_id=OFFICER),
        trigger_id=slack.new_trigger_id(user_id=OFFICER),
    )
    return urlencode(fields).encode()


def signed(body: bytes) -> BoltRequest:
    stamp = str(int(time.time()))
    return BoltRequest(
        body=body.decode(),
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": stamp,
            "x-slack-signature": signature(
                signing_secret=SIGNING_SECRET, timestamp=stamp, body=body
            ),
        },
    )


@dataclass
class Load:
    """What the app answered while the load ran."""

    latencies: list[float] = field(default_factory=list)
    bodies: Counter[str] = field(default_factory=Counter)  # answers sorted by `classify`
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def drive(
    app: App,
    next_body: Callable[[int], bytes],
    *,
    threads: int,
    seconds: float,
    classify: Callable[[int, str], str],
) -> Load:
    """`threads` senders, each sending its next request as soon as the last is answered."""
    load = Load()
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def sender(number: int) -> None:
        latencies: list[float] = []
        kinds: Counter[str] = Counter()
        n = number
        while time.monotonic() < stop_at:
            request = signed(next_body(n))
            began = time.perf_counter()
            response = app.dispatch(request)
            latencies.append(time.perf_counter() - began)
            kinds[classify(response.status, str(response.body))] += 1
            n += threads
        with lock:
            load.latencies += latencies
            load.bodies.update(kinds)

    began = time.monotonic()
    workers = [threading.Thread(target=sender, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    load.seconds = time.monotonic() - began
    return load


class StatementCounter:
    """SQL statements run on an engine: how many reads the answers took."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self._lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        with self._lock:
            self.count += 1


def bot_settings(slack: SlackStandIn, url: str) -> Settings:
    return Settings(
        slack_bot_token=slack.token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=url,
    )


@contextlib.contextmanager
def swapped(owner: Any, name: str, value: Any) -> Iterator[None]:
    """The benchmark's one lever: a part of the build replaced while an app is built."""
    kept = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, kept)


# --- 1. the read cache ------------------------------------------------------------------------


def seeded_database(url: str, slack: SlackStandIn) -> list[str]:
    """VISITS open visits in CHANNEL, created as the bot creates them; a few references."""
    from benchmarks.requests import seed_database

    slack.ensure_user(OFFICER)
    slack.ensure_channel(CHANNEL)
    seeded: dict[str, Any] = seed_database(url, visits=VISITS, now=datetime.now(UTC))
    engine = migrated_engine(url)
    analyze(engine)  # the planner's statistics, as a database in use has them
    engine.dispose()
    return list(seeded["show"])


def committer(url: str, *, every: float, stop: threading.Event) -> threading.Thread:
    """Another connection committing `1 / every` times a second a row the answers never show
    (a letter draft of another workspace). A real change: SQLite does not count an UPDATE that
    leaves every value as it was."""
    from storage.models import LetterDraft

    engine = create_engine(normalize_database_url(url))
    drafts = table_of(LetterDraft)

    def run() -> None:
        try:
            while not stop.wait(every):
                with engine.begin() as connection:
                    connection.execute(
                        insert(drafts).values(
                            team_id="T0ELSEWHERE",
                            facts={},
                            created_by="U_BENCH",
                            status="pending",
                            created_at=datetime.now(UTC),
                        )
                    )
        finally:
            engine.dispose()

    thread = threading.Thread(target=run, name="committer", daemon=True)
    thread.start()
    return thread


def measure_read_cache(seconds: float, *, database: str) -> list[list[Any]]:
    import bot.app

    rows: list[list[Any]] = []
    with SlackStandIn() as slack, benchmark_database(database) as url:
        references = seeded_database(url, slack)
        kinds: dict[str, Callable[[int], bytes]] = {
            "list": lambda _: slash_command(slack, "list"),
            "show": lambda n: slash_command(slack, f"show {references[n % len(references)]}"),
        }

        def answered(status: int, body: str) -> str:
            return "answered" if status == 200 and '"blocks"' in body else f"{status} other"

        for kind, next_body in kinds.items():
            results: dict[str, tuple[Load, float]] = {}
            for arm in ("cache", "no cache", "cache, 20 commits/s"):
                engine = migrated_engine(url)
                statements = StatementCounter(engine)
                lever = (
                    swapped(bot.app, "change_watch_for", lambda _engine: None)
                    if arm == "no cache"
                    else contextlib.nullcontext()
                )
                with lever:
                    app = bot.app.build_app(settings=bot_settings(slack, url), engine=engine)
                drive(app, next_body, threads=2, seconds=0.5, classify=answered)  # warm
                statements.count = 0
                stop = threading.Event()
                writer = committer(url, every=0.05, stop=stop) if "commits" in arm else None
                try:
                    load = drive(app, next_body, threads=8, seconds=seconds, classify=answered)
                finally:
                    stop.set()
                    if writer is not None:
                        writer.join()
                results[arm] = (load, statements.count / max(1, len(load.latencies)))
                engine.dispose()
            base = results["no cache"][0]
            if results["no cache"][1] < 1:  # the lever missed: the build no longer reads it
                print("WARNING: the 'no cache' run was answered from a cache: lever missed")
            for arm, (load, per_request) in results.items():
                rows.append(
                    [
                        f"/ofsted {kind}, {database}",
                        arm,
                        f"{load.rate:.0f}",
                        ms(percentile(load.latencies, 50)),
                        ms(percentile(load.latencies, 99)),
                        f"{per_request:.2f}",
                        ratio(load.rate, base.rate),
                        ", ".join(f"{k} {v}" for k, v in sorted(load.bodies.items())),
                    ]
                )
    return rows


# --- 2. the bounded work queue ----------------------------------------------------------------


@dataclass
class Forms:
    """views.open calls as Slack answered them."""

    opened: int = 0
    expired: int = 0
    other: int = 0
    last_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def seen(self, record: Any) -> None:
        if getattr(record, "method", None) != "views.open":
            return
        with self.lock:
            if record.ok:
                self.opened += 1
            elif record.error == "expired_trigger_id":
                self.expired += 1
            else:
                self.other += 1
            self.last_at = time.monotonic()

    @property
    def total(self) -> int:
        return self.opened + self.expired + self.other


def measure_work_queue(seconds: float, *, drain_limit: float = 10.0) -> list[list[Any]]:
    import bot.app

    rows: list[list[Any]] = []
    results: dict[str, tuple[Load, Forms, float, int]] = {}
    for arm in ("bounded", "unbounded"):
        with SlackStandIn() as slack, benchmark_database("sqlite") as url:
            slack.ensure_user(OFFICER)
            slack.ensure_channel(CHANNEL)
            forms = Forms()
            slack.add_listener(forms.seen)
            slack.delay_next("views.open", seconds=FORM_SECONDS, times=FOREVER, after_effect=True)
            engine = migrated_engine(url)
            limit = bot.app.LAZY_LIMIT if arm == "bounded" else 1_000_000
            with swapped(bot.app, "LAZY_LIMIT", limit):
                app = bot.app.build_app(settings=bot_settings(slack, url), engine=engine)

            def acked(status: int, body: str) -> str:
                if status != 200:
                    return f"{status}"
                # `/ofsted new` is acked with nothing; the ack that says "busy" has a text.
                return "busy" if body else "acked"

            load = drive(
                app,
                lambda _: slash_command(slack, "new"),
                threads=16,
                seconds=seconds,
                classify=acked,
            )
            # How long the app stays busy after the load: until every accepted request's form
            # has been asked for, or `drain_limit` seconds.
            ended = time.monotonic()
            accepted = load.bodies["acked"]
            while forms.total < accepted and time.monotonic() - ended < drain_limit:
                time.sleep(0.1)
            backlog = (forms.last_at - ended) if forms.total >= accepted else drain_limit
            left = accepted - forms.total
            work_queue = getattr(app, "work_queue", None)
            if work_queue is not None:  # what is still queued is dropped, not waited for
                work_queue.shutdown(wait=False, cancel_futures=True)
            results[arm] = (load, forms, max(0.0, backlog), left)
            engine.dispose()
    if results["unbounded"][0].bodies["busy"]:  # the lever missed: the build no longer reads it
        print("WARNING: the 'unbounded' run answered busy: LAZY_LIMIT lever missed")
    for arm, (load, forms, backlog, left) in results.items():
        rows.append(
            [
                "/ofsted new",
                arm,
                f"{load.rate:.0f}",
                ms(percentile(load.latencies, 50)),
                ms(percentile(load.latencies, 99)),
                load.bodies["busy"],
                forms.opened,
                forms.expired,
                (f">{backlog:.0f} ({left} left)" if left > 0 else f"{backlog:.1f}"),
            ]
        )
    return rows


# --- 3. the dispatcher's threads --------------------------------------------------------------


def dispatch_pass(
    *, threads: int, batch: int, per_channel: int, database: str
) -> tuple[float, Any, int]:
    """One pass over a fresh burst: (seconds, its report, reminders recorded as sent)."""
    import scheduler.dispatcher
    from benchmarks.dispatch import CHANNELS, load_burst
    from bot.app import build_dispatcher
    from storage.models import Reminder

    with SlackStandIn() as slack, benchmark_database(database) as url:
        for n in range(CHANNELS):
            slack.add_channel(f"C{n:04d}", name=f"visits-{n}")
        slack.delay_next("chat.postMessage", seconds=POST_SECONDS, times=FOREVER)
        engine = migrated_engine(url)
        due = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
        load_burst(engine, due_at=due, per_channel=per_channel)
        dispatcher = build_dispatcher(
            settings=Settings(slack_bot_token=slack.token, slack_api_url=slack.api_url),
            engine=engine,
        )
        dispatcher.channel_interval = 0.0
        dispatcher.concurrency = threads
        with swapped(scheduler.dispatcher._Recorder, "BATCH", batch):
            began = time.perf_counter()
            report = dispatcher.run_pass()
            took = time.perf_counter() - began
        with engine.connect() as connection:
            table = table_of(Reminder)
            sent = len(connection.execute(table.select().where(table.c.status == "sent")).all())
        engine.dispose()
    return took, report, sent


def measure_dispatcher(*, rounds: int, database: str, per_channel: int = 2) -> list[list[Any]]:
    """Each arm `rounds` times, taking turns after one pass to warm up; medians shown."""
    import statistics

    import scheduler.dispatcher

    shipped_batch = scheduler.dispatcher._Recorder.BATCH
    arms: list[tuple[str, int, int]] = [  # name, posting threads, outcomes a transaction
        ("16 posting threads, recorder batching (as shipped)", 16, shipped_batch),
        ("1 posting thread (posts one after another)", 1, shipped_batch),
        ("16 posting threads, one transaction an outcome", 16, 1),
    ]
    dispatch_pass(threads=16, batch=shipped_batch, per_channel=1, database=database)  # warm-up
    runs: dict[str, list[tuple[float, Any, int]]] = {name: [] for name, _, _ in arms}
    for _ in range(rounds):
        for name, threads, batch in arms:
            runs[name].append(
                dispatch_pass(
                    threads=threads, batch=batch, per_channel=per_channel, database=database
                )
            )
    base = statistics.median(took for took, _, _ in runs[arms[0][0]])
    rows = []
    for name, outcomes in runs.items():
        took = statistics.median(t for t, _, _ in outcomes)
        sent = sum(s for _, _, s in outcomes)
        claimed = sum(report.claimed for _, report, _ in outcomes)
        rows.append(
            [
                f"{database}: {name}",
                f"{took:.2f}",
                f"{claimed / len(outcomes) / took:.0f}",
                f"{sent}/{claimed}",
                ratio(took, base),
            ]
        )
    return rows


# --- main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--only", default="cache,queue,dispatch", help="comma-separated rows")
    parser.add_argument("--seconds", type=float, default=4.0, help="load per run (default 4)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="passes of each dispatcher arm (default 2)"
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql", "both"),
        default="sqlite",
        help="the database of rows 1 and 3 (row 2 is SQLite: its work never reaches one)",
    )
    arguments = parser.parse_args()
    databases = ["sqlite", "postgresql"] if arguments.database == "both" else [arguments.database]
    only = set(arguments.only.split(","))
    # Overload and slowed answers make the app log every refusal and every late form: the
    # figures are the tables, not the logs.
    logging.disable(logging.ERROR)
    print("machine: " + ", ".join(f"{k} {v}" for k, v in common.machine_facts().items()))
    if "cache" in only:
        print(
            f"\n1. the read cache: 8 threads, {arguments.seconds:g} s a run, "
            f"{VISITS:,} visits; x no cache: requests a second over the same without the cache"
        )
        common.print_table(
            ["request", "run", "rps", "p50 ms", "p99 ms", "SQL/request", "x no cache", "answers"],
            [
                row
                for database in databases
                for row in measure_read_cache(arguments.seconds, database=database)
            ],
        )
    if "queue" in only:
        print(
            f"\n2. the bounded work queue: 16 threads send /ofsted new for {arguments.seconds:g} s;"
            f" Slack answers views.open in {FORM_SECONDS * 1000:.0f} ms and refuses a trigger_id"
            " older than 3 s; after: seconds the app stays busy once the load stops"
        )
        common.print_table(
            [
                "request",
                "run",
                "acks/s",
                "ack p50 ms",
                "ack p99 ms",
                "busy",
                "forms opened",
                "trigger expired",
                "after s",
            ],
            measure_work_queue(arguments.seconds),
        )
    if "dispatch" in only:
        print(
            f"\n3. the dispatcher's threads: one pass, 200 reminders due in 100 channels, Slack"
            f" answers a post in {POST_SECONDS * 1000:.0f} ms, pacing off; x shipped: the pass's"
            " time over the shipped one's"
        )
        common.print_table(
            ["run", "pass s (median)", "posts/s", "sent", "x shipped"],
            [
                row
                for database in databases
                for row in measure_dispatcher(rounds=arguments.rounds, database=database)
            ],
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
