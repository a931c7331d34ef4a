"""The dispatcher under faults: a worker killed with SIGKILL, the database gone for a while.

1. `ofsted-bot worker` (a real process on the real clock) posts reminders due now in a few
   channels and is killed with SIGKILL at random moments, sometimes while Slack holds back the
   answer to a post it has already made; a new worker with a short DISPATCH_LEASE takes over.
   Every reminder is posted exactly once (counted by the metadata each post carries) and every
   row ends `sent`.
2. PostgreSQL is reached through a TCP proxy on loopback that the test switches off (every
   connection reset, new ones refused) while reminders fall due. The dispatcher's passes fail
   and are logged; it does not stop. When the proxy is back every reminder is posted exactly
   once. Meanwhile Slack's requests are still acknowledged within 3 s, the person is told that
   something went wrong (or, for the list, that the database is not answering) and nothing
   was changed, and /healthz answers 503, then 200.

`benchmarks/faults.py` runs the same scenarios at full size: 20 kills, a 30 s outage.
"""

from __future__ import annotations

import http.client
import logging
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session, select

from bot.app import build_app, build_dispatcher
from bot.offline.standin import SlackDriver, SlackStandIn, Upload
from bot.offline.standin.boltserver import serve_wsgi
from bot.settings import Settings
from bot.web import wsgi_application
from handlers.slack.errors import DATABASE_NOT_ANSWERING, SOMETHING_WENT_WRONG
from scheduler.dispatcher import DispatcherClock
from storage import repo
from storage.db import create_engine_for
from storage.migrate import upgrade_database
from storage.models import UNOWNED, Reminder
from tests.proxies import SwitchableProxy

WORKER = [str(Path(sys.executable).with_name("ofsted-bot")), "worker"]


def start_worker(environment: dict[str, str]) -> subprocess.Popen[bytes]:
    """`ofsted-bot worker` in a process group of its own (so SIGKILL takes all of it), its log
    kept for tracebacks and reconciliations."""
    return subprocess.Popen(
        WORKER,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


SIGNING_SECRET = "signing-secret-for-fault-tests"
ACK_DEADLINE = 3.0


# --- reminders and what became of them ---------------------------------------------------------


def add_due_reminders(
    engine: Engine, *, channels: list[str], per_channel: int, due_at: Callable[[int], datetime]
) -> list[int]:
    """One visit per channel with `per_channel` milestones, each with one reminder (so none is
    superseded by another of its milestone); the n-th reminder is due at `due_at(n)`."""
    ids: list[int] = []
    created = datetime.now(UTC)
    with Session(engine) as session:
        for channel in channels:
            visit = repo.create_visit(
                session=session,
                local_authority=f"Borough {channel}",
                visit_type="other",
                letter_date=None,
                visit_dates=[],
                inspectors=[],
                created_by="U_CREATOR",
                channel_id=channel,
                now=created,
                milestones=[
                    repo.NewMilestone(
                        kind="survey_deadline" if k == 0 else f"custom_{k}",
                        label=f"Milestone {k}",
                        due_date=date(2031, 1, 6),
                        source="letter",
                    )
                    for k in range(per_channel)
                ],
            )
            session.flush()
            for milestone in repo.list_milestones(session=session, visit_id=visit.id or 0):
                n = len(ids)
                repo.add_reminders(
                    session=session,
                    milestone_id=milestone.id or 0,
                    reminders=[repo.NewReminder(due_at=due_at(n), kind="ahead", offset_days=5)],
                )
                ids.append(n)
        session.commit()
        return [r.id for r in session.exec(select(Reminder).order_by(Reminder.id))]


def statuses(engine: Engine) -> Counter[str]:
    with Session(engine) as session:
        return Counter(r.status for r in session.exec(select(Reminder)))


def posted(slack: SlackStandIn, channels: list[str]) -> Counter[int]:
    """How many times each reminder was posted, by the metadata every post carries."""
    return Counter(
        m["metadata"]["event_payload"]["reminder_id"]
        for channel in channels
        for m in slack.messages(channel)
        if (m.get("metadata") or {}).get("event_type") == "ofsted_reminder"
    )


@dataclass
class Tally:
    """What a fault run saw; the benchmark adds these up."""

    cases: int = 0
    server_errors: int = 0
    tracebacks: int = 0
    late_acks: int = 0
    duplicates: int = 0
    losses: int = 0
    notes: list[str] = field(default_factory=list)
    # How the faults landed: claims left by a killed worker, found in the channel afterwards;
    # dispatcher passes that failed (and were logged) while the database was away.
    stranded_claims: int = 0
    reconciled: int = 0
    failed_passes: int = 0

    def count_posts(self, wanted: list[int], counts: Counter[int]) -> None:
        self.duplicates += sum(n - 1 for n in counts.values() if n > 1)
        self.losses += sum(1 for reminder_id in wanted if counts[reminder_id] == 0)
        if set(counts) - set(wanted):
            self.notes.append(
                f"posted reminders that were not due: {sorted(set(counts) - set(wanted))}"
            )


# --- 1. SIGKILL -----------------------------------------------------------------------------------


def _wait(condition: Callable[[], Any], *, timeout: float, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def kill_round(
    folder: Path,
    rng: random.Random,
    *,
    channels: int = 3,
    per_channel: int = 2,
    kills: int = 1,
    lease: float = 1.0,
) -> Tally:
    """Reminders due now; the worker SIGKILLed `kills` times at random moments; then one more
    worker runs until every row is sent. The tally counts duplicates and losses."""
    tally = Tally(cases=1)
    database_url = f"sqlite:///{folder / 'kill.db'}"
    engine = create_engine_for(database_url)
    upgrade_database(engine=engine)
    names = [f"C{n:03d}" for n in range(channels)]
    with SlackStandIn() as slack:
        for name in names:
            slack.add_channel(name, name=f"visits-{name.lower()}")
        slack.ensure_user("U_CREATOR")
        now = datetime.now(UTC)
        wanted = add_due_reminders(
            engine,
            channels=names,
            per_channel=per_channel,
            due_at=lambda n: now - timedelta(seconds=30 + n),
        )
        environment = {
            **os.environ,
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": database_url,
            "DISPATCH_INTERVAL": "0.2",
            "DISPATCH_LEASE": str(lease),
        }
        total = len(wanted)
        for _ in range(kills):
            before = len(slack.calls_to("chat.postMessage"))
            # Kill after the k-th post of this run (0: before any), a random moment later.
            k = rng.randint(0, max(1, total // 2))
            if rng.random() < 0.6:
                # Widen the window between post and record: Slack posts, the answer comes late.
                slack.delay_next(
                    "chat.postMessage", seconds=rng.uniform(1.0, 3.0), after_effect=True
                )
            worker = start_worker(environment)
            try:
                if k:
                    wanted_calls = before + k
                    _wait(
                        lambda wanted_calls=wanted_calls: (
                            len(slack.calls_to("chat.postMessage")) >= wanted_calls
                        ),
                        timeout=15,
                    )
                time.sleep(rng.uniform(0, 0.6))
            finally:
                os.killpg(worker.pid, signal.SIGKILL)
                _, err = worker.communicate(timeout=10)
            tally.stranded_claims += statuses(engine)["claimed"]
            tally.reconciled += _reconciled(err)
            if b"Traceback" in err:
                tally.tracebacks += 1
                tally.notes.append(err.decode(errors="replace")[-800:])
        final = start_worker(environment)
        try:
            done = _wait(
                lambda: statuses(engine) == Counter({"sent": total}), timeout=60, interval=0.1
            )
        finally:
            os.killpg(final.pid, signal.SIGTERM)
            _, err = final.communicate(timeout=20)
        tally.reconciled += _reconciled(err)
        if b"Traceback" in err:
            tally.tracebacks += 1
            tally.notes.append(err.decode(errors="replace")[-800:])
        if not done:
            tally.notes.append(f"not every reminder was sent: {dict(statuses(engine))}")
        tally.count_posts(wanted, posted(slack, names))
    engine.dispose()
    return tally


def _reconciled(log: bytes) -> int:
    """Reminders a worker found already posted, from its "dispatch pass: PassReport(…)" lines."""
    return sum(int(n) for n in re.findall(rb"reconciled=(\d+)", log))


def test_a_worker_killed_at_random_moments_posts_each_reminder_exactly_once(tmp_path):
    rng = random.Random(20260428)
    for round_number in range(3):
        folder = tmp_path / f"round-{round_number}"
        folder.mkdir()
        tally = kill_round(folder, rng, kills=1 + round_number % 2)
        assert (tally.duplicates, tally.losses, tally.tracebacks, tally.notes) == (0, 0, 0, []), (
            round_number
        )


# --- 2. The database unreachable ------------------------------------------------------------------


@contextmanager
def fresh_postgres_database(admin: Engine) -> Iterator[str]:
    """A database of its own on the test server, dropped afterwards."""
    name = f"ofsted_faults_{secrets.token_hex(5)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(str(admin.url)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def admin_engine(url: str) -> Engine:
    return create_engine(
        url, isolation_level="AUTOCOMMIT", poolclass=NullPool, connect_args={"connect_timeout": 5}
    )


class _Kept(logging.Handler):
    """Keeps what the dispatcher logged."""

    def __init__(self, level: int = logging.WARNING) -> None:
        super().__init__(level=level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def outage_run(
    database_url: str,
    *,
    outage: float,
    mode: str = "refuse",
    probe_every: float = 0.5,
    lease: float = 1.0,
) -> Tally:
    """Reminders falling due before, during and after `outage` seconds without the database;
    the dispatcher on its own clock, the HTTP endpoint asked to do things meanwhile.

    `mode`: "refuse" (connections reset, new ones refused) or "drop" (nothing answered).
    """
    tally = Tally()
    engine = create_engine_for(database_url)
    upgrade_database(engine=engine)
    proxy = SwitchableProxy(
        (make_url(database_url).host or "127.0.0.1", make_url(database_url).port or 5432)
    )
    proxied = create_engine_for(proxy.url(database_url))
    dispatcher_log = logging.getLogger("scheduler.dispatcher")
    failures, passes = _Kept(), _Kept(level=logging.INFO)
    level = dispatcher_log.level
    dispatcher_log.setLevel(logging.INFO)
    dispatcher_log.addHandler(failures)
    dispatcher_log.addHandler(passes)
    names = ["C100", "C101", "C102", "C103"]
    with SlackStandIn() as slack:
        for name in names:
            slack.add_channel(name, name=f"visits-{name.lower()}")
        slack.ensure_user("U_CREATOR")
        settings = Settings(
            slack_bot_token=slack.token,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.api_url,
            dispatch_lease=lease,
        )
        with Session(engine) as session:
            visit = repo.create_visit(
                session=session,
                local_authority="Outage Borough",
                visit_type="other",
                letter_date=None,
                visit_dates=[],
                inspectors=[],
                created_by="U_CREATOR",
                channel_id=names[0],
                now=datetime.now(UTC),
                milestones=[
                    repo.NewMilestone(
                        kind="survey_deadline",
                        label="Survey",
                        due_date=date(2031, 1, 6),
                        source="letter",
                    )
                ],
            )
            session.commit()
            reference, visit_id = visit.reference, visit.id or 0
        start = datetime.now(UTC)
        begins, ends = 1.0, 1.0 + outage
        # Due before the outage, during it (most of them) and just after it; and one posted
        # just before it whose answer comes back too late to be recorded (see delay_next).
        moments = (
            [0.2, 0.5, begins - 0.3]
            + [begins + outage * (i + 0.5) / 10 for i in range(10)]
            + [ends + 0.3]
        )
        wanted = add_due_reminders(
            engine,
            channels=names,
            per_channel=len(moments) // len(names) + 1,
            due_at=lambda n: start + timedelta(seconds=moments[n % len(moments)]),
        )
        dispatcher = build_dispatcher(settings=settings, engine=proxied)
        dispatcher.channel_interval = 0.05
        dispatcher.retry_backoff = timedelta(seconds=0.5)
        ticking = DispatcherClock(dispatcher, interval=0.2)
        app = build_app(settings=settings, engine=proxied)
        ticking.start()
        try:
            with serve_wsgi(wsgi_application(app=app, engine=proxied)) as url:
                driver = SlackDriver(url, SIGNING_SECRET, slack)
                _sleep_until(start, begins - 0.45)
                slack.delay_next("chat.postMessage", seconds=0.8, after_effect=True)
                _sleep_until(start, begins)
                (proxy.refuse if mode == "refuse" else proxy.drop)()
                # A refused database fails at once, so a close must fail and change nothing; a
                # dropped one only delays, so only what reads is asked (a close would go through).
                commands = ["list", f"show {reference}", f"export {reference} csv"] + (
                    [f"close {reference}"] if mode == "refuse" else []
                )
                probe = Probe(driver, url, commands, names[0], every=probe_every)
                probe.start()
                _sleep_until(start, ends - probe_every)
                probe.stop()
                _sleep_until(start, ends)
                proxy.restore()
                restored_at = time.time()
                probe.judge(tally, slack, restored_at=restored_at)
                healed = time.monotonic()
                status = _health(url)[0]
                while status != 200 and time.monotonic() - healed < 10:
                    time.sleep(0.1)
                    status = _health(url)[0]
                if status != 200:
                    tally.notes.append(f"/healthz 10 s after the outage: {status}")
                done = _wait(
                    lambda: statuses(engine) == Counter({"sent": len(wanted)}),
                    timeout=30,
                    interval=0.1,
                )
                if not done:
                    tally.notes.append(
                        f"not every reminder was sent after the outage: {dict(statuses(engine))}"
                    )
                # After: the commands work again, and those that failed changed nothing.
                tally.cases += 1
                response = driver.slash_command(
                    f"show {reference}", user_id="U_AFTER", channel_id=names[0]
                )
                _judge_ack(tally, response)
                _judge_answer(tally, slack, response, during_outage=False)
                with Session(engine) as session:
                    closed = (
                        repo.get_visit(session=session, reference=reference, team_id=UNOWNED).status
                        != "open"
                    )  # type: ignore[union-attr]
                    actions = [
                        e.action for e in repo.list_audit_events(session=session, visit_id=visit_id)
                    ]
                if not probe.closed_after_restore and (closed or actions != ["visit_created"]):
                    tally.notes.append(
                        f"a command that failed during the outage changed something: {actions}"
                    )
        finally:
            ticking.stop()
            for handler in (failures, passes):
                dispatcher_log.removeHandler(handler)
            dispatcher_log.setLevel(level)
            proxy.close()
            proxied.dispose()
        tally.failed_passes = sum("pass failed" in r.getMessage() for r in failures.records)
        tally.reconciled = sum(_reconciled(r.getMessage().encode()) for r in passes.records)
        if mode == "refuse" and not tally.failed_passes:
            tally.notes.append("no dispatch pass failed (and was logged) during the outage")
        tally.count_posts(wanted, posted(slack, names))
        tally.cases += len(wanted)
    engine.dispose()
    return tally


class Probe:
    """Slack's requests and health checks, one every `every` seconds on a thread of its own
    while the database is away; judged once it is back."""

    def __init__(
        self, driver: SlackDriver, url: str, commands: list[str], channel: str, *, every: float
    ) -> None:
        self.driver, self.url, self.commands, self.channel, self.every = (
            driver,
            url,
            commands,
            channel,
            every,
        )
        self.sent: list[Any] = []
        self.health: list[tuple[int | None, float, float]] = []  # status, seconds, when sent
        self.closed_after_restore = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outage-probe", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            command = self.commands[n % len(self.commands)]
            self.sent.append(
                self.driver.slash_command(command, user_id=f"U_OUT{n}", channel_id=self.channel)
            )
            sent = time.time()
            status, took = _health(self.url, timeout=ACK_DEADLINE)
            self.health.append((status, took, sent))
            n += 1
            self._stop.wait(self.every)

    def judge(self, tally: Tally, slack: SlackStandIn, *, restored_at: float) -> None:
        """Every request acked in time; every answer given before the database came back is the
        plain "something went wrong, nothing was changed" (one given after it, to a request
        whose work waited, may be the real answer); /healthz 503 within 3 s while it was away."""
        self._thread.join(timeout=30)
        if self._thread.is_alive():
            tally.notes.append("the probe was still waiting 30 s after the outage")
        for response in self.sent:
            tally.cases += 1
            _judge_ack(tally, response)
            answer = _judge_answer(tally, slack, response, during_outage=None, wait=60)
            if answer is None:
                continue
            text = (
                (answer.initial_comment or "")
                if isinstance(answer, Upload)
                else (answer.text or "")
            )
            # The list is answered in its ack, saying plainly that the database is not answering;
            # the others, after their ack, that something went wrong and nothing was changed.
            if answer.at < restored_at and text not in (
                SOMETHING_WENT_WRONG,
                DATABASE_NOT_ANSWERING,
            ):
                tally.notes.append(
                    f"during the outage {response.payload['text']!r} was answered {text[:120]!r}"
                )
            if answer.at >= restored_at and text.startswith(":white_check_mark: Closed"):
                self.closed_after_restore = True
        for status, took, sent in self.health:
            # Asked while the database had been away for at least 3 s more: 503 within 3 s.
            if sent + ACK_DEADLINE <= restored_at and (status != 503 or took > ACK_DEADLINE):
                tally.notes.append(
                    f"/healthz during the outage: {status or 'no answer'} after {took:.1f} s"
                )
                break
        if not self.sent:
            tally.notes.append("no request was made during the outage")


def _health(url: str, *, timeout: float = 10) -> tuple[int | None, float]:
    """GET /healthz: its status, or None if it did not answer within `timeout` seconds."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    started = time.perf_counter()
    try:
        connection.request("GET", "/healthz")
        answer = connection.getresponse()
        answer.read()
        return answer.status, time.perf_counter() - started
    except TimeoutError:
        return None, time.perf_counter() - started
    finally:
        connection.close()


def _sleep_until(start: datetime, seconds: float) -> None:
    left = seconds - (datetime.now(UTC) - start).total_seconds()
    if left > 0:
        time.sleep(left)


def _judge_ack(tally: Tally, response: Any) -> None:
    if response.status >= 500:
        tally.server_errors += 1
    if response.status != 200 or response.latency > ACK_DEADLINE:
        tally.late_acks += 1
        tally.notes.append(f"ack {response.status} after {response.latency:.2f} s")


def _judge_answer(
    tally: Tally,
    slack: SlackStandIn,
    response: Any,
    *,
    during_outage: bool | None,
    wait: float = 10,
) -> Any:
    """The answer to a command, judged: ephemeral, no traceback; after the outage (False) not a
    failure. An export that worked answers with its upload (returned as is, an `Upload`). None
    if there was no answer within `wait` seconds."""
    url, user_id = response.payload["response_url"], response.payload["user_id"]

    def answered(s: SlackStandIn) -> Any:
        return next((r for r in s.responses if r.url == url), None) or next(
            (u for u in s.uploads if f"<@{user_id}>" in (u.initial_comment or "")), None
        )

    try:
        answer = slack.wait_for(answered, timeout=wait, interval=0.05)
    except TimeoutError:
        tally.notes.append(f"no answer to {response.payload['text']!r} within {wait} s")
        return None
    if isinstance(answer, Upload):
        return answer
    text = answer.text or ""
    if "Traceback" in text or 'File "' in text or "Error:" in text:
        tally.tracebacks += 1
    if answer.response_type != "ephemeral":
        tally.notes.append(f"a {answer.response_type} answer")
    if during_outage is False and text in (SOMETHING_WENT_WRONG, DATABASE_NOT_ANSWERING):
        tally.notes.append(f"after the outage {response.payload['text']!r} still failed")
    return answer


@pytest.mark.postgres
def test_the_database_gone_for_3_seconds_loses_and_doubles_no_reminder_and_slack_is_answered(
    postgres_admin_engine,
):
    with fresh_postgres_database(postgres_admin_engine) as database_url:
        tally = outage_run(database_url, outage=3.0)
    assert (
        tally.server_errors,
        tally.late_acks,
        tally.tracebacks,
        tally.duplicates,
        tally.losses,
    ) == (0, 0, 0, 0, 0)
    assert tally.notes == []


@pytest.mark.postgres
def test_healthz_answers_503_within_3_seconds_when_the_database_drops_packets(
    postgres_database_url,
):
    proxy = SwitchableProxy(
        (
            make_url(postgres_database_url).host or "127.0.0.1",
            make_url(postgres_database_url).port or 5432,
        )
    )
    proxied = create_engine_for(proxy.url(postgres_database_url))
    try:
        with SlackStandIn() as slack:
            settings = Settings(
                slack_bot_token=slack.token,
                slack_signing_secret=SIGNING_SECRET,
                slack_api_url=slack.api_url,
            )
            with serve_wsgi(
                wsgi_application(app=build_app(settings=settings, engine=proxied), engine=proxied)
            ) as url:
                assert _health(url)[0] == 200
                proxy.drop()
                try:
                    status, took = _health(url, timeout=ACK_DEADLINE + 0.5)
                finally:
                    proxy.restore()
                assert _health(url)[0] == 200
    finally:
        proxy.close()
        proxied.dispose()
    assert status == 503 and took <= ACK_DEADLINE, (status, took)
