"""How fast the bot acknowledges Slack's requests in HTTP mode, against two references.

    .venv/bin/python benchmarks/requests.py            # 5 to 10 minutes; prints a table
    .venv/bin/python benchmarks/requests.py --kinds list --concurrency 16 --seconds 5

One run, one machine, one set of figures:

- a fresh SQLite database (temporary folder) with 1,000 open visits of 6 milestones each, their
  reminders planned, created with the repository functions the bot uses;
- the Slack Web API stand-in (`bot.offline.standin.SlackStandIn`) in this process;
- four servers, each under gunicorn through `bot.web.run_gunicorn` (gthread, the same workers
  and threads): the real bot (`ofsted-bot serve --http --no-dispatcher ...`, pointed at the
  stand-in and the database through the environment), a bare Bolt app whose only listeners
  ack, a plain Flask endpoint with no Bolt (the floor, as the issue defines it) and a bare
  WSGI endpoint (lower still: what gunicorn alone costs): see `reference_apps.py`. The Bolt
  reference runs in the bot's HTTP mode (process_before_response) unless --bolt-reference says;
- load from a second process, `wrk` (keep-alive connections), replaying requests signed as
  Slack signs them: `/ofsted help`, `/ofsted list`, `/ofsted show <visit>` and an Acknowledge
  click on a reminder message (`milestone_ack`, a block_actions payload), at concurrency 1, 16
  and 64, each kind twice: answer URLs at the stand-in, and (`<kind>-deadurl`) at a loopback
  port that never answers (an unreachable Slack must not slow the acks),
  each server in turn. Each cell is bounded in time (--seconds) and in count (--max-requests);
  the signatures are made just before each cell, well inside Slack's five minutes.

wrk times the HTTP answer, which for Slack is the ack. The bot then does the work in lazy
listeners (database, Block Kit, the answer to Slack) in the same processes, so that work
competes with the acks and is part of what is measured: "answers/s" counts the bot's calls to
the stand-in while the load ran (its real answers), and "backlog" how long its processes stayed
busy after the load. An ack rate far above the answer rate is work piling up, not throughput.
A bot still busy after --drain-timeout is restarted, so that each cell starts idle.

The machine is usually shared and noisy: the ratios to the references measured in the same
run are the figures to compare between runs, not the absolute ones. Needs wrk
(`apt-get install -y wrk`).
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is called requests.py: take its folder off sys.path so that it cannot stand in for
# the `requests` library, and import the project (and benchmarks.common) from the checkout.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from typing import Any
from urllib.parse import urlencode

from benchmarks.common import machine_facts, print_table

REPO = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "benchmark-signing-secret"
CHANNEL = "C01VISITS"
OFFICER = "U01QAOFFICER"
STANDIN_TEAM = "T0STANDIN"  # the stand-in's workspace, which the signed requests come from
POOL = 16  # distinct signed bodies per request kind (visits shown, milestones clicked)
KINDS = ("help", "list", "show", "click")
UNREACHABLE = "-deadurl"  # a kind's name with this suffix: its answer URLs lead to a black hole
# Measured in this order in each cell; the bot last (its backlog).
TARGETS = ("floor", "flask", "bolt", "bot")
CLK_TCK = os.sysconf("SC_CLK_TCK")

# wrk's script: replays pre-signed requests round-robin, stops a thread after its share of
# --max-requests, and reports (as one JSON line) the count, wall time from each thread's first
# request to its last response, errors, and the latency percentiles of wrk's histogram.
WRK_SCRIPT = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local clock = ffi.new("bench_timespec[1]")
local function now_us()
  ffi.C.clock_gettime(1, clock)  -- CLOCK_MONOTONIC
  return tonumber(clock[0].tv_sec) * 1e6 + tonumber(clock[0].tv_nsec) / 1e3
end

local threads, next_id = {}, 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local requests_ = {}
local limit, position = 0, 0
started, finished, answered, refused, with_blocks = 0, 0, 0, 0, 0

function init(args)
  limit = tonumber(args[2])
  for line in io.lines(args[1]) do
    local stamp, signature, content_type, body = line:match("^(%d+)\t([^\t]+)\t([^\t]+)\t(.*)$")
    table.insert(requests_, wrk.format("POST", wrk.path, {
      ["Content-Type"] = content_type,
      ["X-Slack-Request-Timestamp"] = stamp,
      ["X-Slack-Signature"] = signature,
      ["User-Agent"] = "Slackbot 1.0 (+https://api.slack.com/robots)",
    }, body))
  end
  position = id
end

function request()
  if started == 0 then started = now_us() end
  position = position % #requests_ + 1
  return requests_[position]
end

function response(status, headers, body)
  answered = answered + 1
  if body and string.find(body, '"blocks"', 1, true) then with_blocks = with_blocks + 1 end
  if status ~= 200 then refused = refused + 1 end
  finished = now_us()
  if answered >= limit then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local answered_, refused_, with_blocks_, first, last = 0, 0, 0, math.huge, 0
  for _, thread in ipairs(threads) do
    answered_ = answered_ + thread:get("answered")
    with_blocks_ = with_blocks_ + thread:get("with_blocks")
    refused_ = refused_ + thread:get("refused")
    local s, f = thread:get("started"), thread:get("finished")
    if s > 0 and s < first then first = s end
    if f > last then last = f end
  end
  local e = summary.errors
  io.write(string.format(
    '\nBENCH {"answered": %d, "with_blocks": %d, "refused": %d, "seconds": %.6f, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, ' ..
    '"connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d}\n',
    answered_, with_blocks_, refused_, (last - first) / 1e6,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


# --- the database ------------------------------------------------------------------------


def seed_database(url: str, *, visits: int, now: datetime) -> dict[str, Any]:
    """1,000 open visits with their six milestones, created as the bot creates them."""
    from sqlmodel import col, select

    from bot.app import reminder_defaults
    from bot.settings import Settings
    from scheduler.calendar import london_date
    from scheduler.planning import replan_visit
    from scheduler.rules import MILESTONE_LABELS, NEEDS_SIGN_OFF, MilestoneKind
    from storage import repo
    from storage.db import create_engine_for, session_scope
    from storage.migrate import upgrade_database
    from storage.models import Milestone, Reminder, Visit

    engine = create_engine_for(url)
    upgrade_database(engine=engine)
    defaults = reminder_defaults(Settings())
    today = london_date(now)
    kinds = list(MilestoneKind)[:6]
    try:
        for start in range(0, visits, 100):
            with session_scope(engine) as session:
                for number in range(start, min(start + 100, visits)):
                    letter_date = today - timedelta(days=number % 45)
                    milestones = [
                        repo.NewMilestone(
                            kind=kind.value,
                            label=MILESTONE_LABELS[kind],
                            due_date=letter_date + timedelta(days=5 + 13 * position + number % 7),
                            source="rule",
                            needs_approval=kind in NEEDS_SIGN_OFF,
                        )
                        for position, kind in enumerate(kinds)
                    ]
                    visit = repo.create_visit(
                        session=session,
                        local_authority=f"Benchmark Borough {number:04d}",
                        visit_type="focused_visit",
                        letter_date=letter_date,
                        visit_dates=[
                            letter_date - timedelta(days=9),
                            letter_date - timedelta(days=8),
                        ],
                        inspectors=["Alex Inspector", "Jo Inspector"],
                        milestones=milestones,
                        created_by=OFFICER,
                        channel_id=CHANNEL,
                        now=now,
                        team_id=STANDIN_TEAM,
                    )
                    replan_visit(session=session, visit=visit, defaults=defaults, now=now)
        with session_scope(engine) as session:
            every = list(session.exec(select(Visit).order_by(col(Visit.id))))
            chosen = every[:: max(1, len(every) // POOL)][:POOL]
            show = [visit.reference for visit in chosen]
            clicks = []
            for visit in chosen:
                milestone = session.exec(
                    select(Milestone)
                    .where(Milestone.visit_id == visit.id)
                    .order_by(col(Milestone.due_date))
                ).first()
                reminder = (
                    session.exec(
                        select(Reminder)
                        .where(Reminder.milestone_id == milestone.id)
                        .order_by(col(Reminder.id))
                    ).first()
                    if milestone
                    else None
                )
                if milestone is not None:
                    clicks.append((milestone.id, reminder.id if reminder else 0, milestone.label))
            counts = {
                "visits": len(every),
                "milestones": len(list(session.exec(select(Milestone.id)))),
                "reminders": len(list(session.exec(select(Reminder.id)))),
            }
    finally:
        engine.dispose()
    return {"show": show, "clicks": clicks, "counts": counts}


def new_postgres_database() -> tuple[str, Any]:
    """A new database on the test server, and the function that drops it."""
    import secrets

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from storage.db import normalize_database_url

    server = normalize_database_url(
        os.environ.get("TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"ofsted_bench_{secrets.token_hex(5)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return make_url(server).set(database=name).render_as_string(hide_password=False), drop


# --- what Slack sends --------------------------------------------------------------------


@dataclass(frozen=True)
class Unsigned:
    content_type: str
    body: bytes


def build_requests(
    slack: Any, seeded: dict[str, Any], *, black_hole: str | None = None
) -> dict[str, list[Unsigned]]:
    """POOL bodies per kind, each with its own response_url, as the stand-in's driver makes them.

    With a black hole, each kind again as `<kind>-deadurl`, its answer URLs at that address.
    """
    requests = _requests_of_each_kind(slack, seeded, slack.new_response_url)
    if black_hole:

        def unreachable(**where: Any) -> str:
            return f"{black_hole}/{slack.new_response_url(**where).rsplit('/', 1)[-1]}"

        dead = _requests_of_each_kind(slack, seeded, unreachable)
        requests.update({f"{kind}{UNREACHABLE}": bodies for kind, bodies in dead.items()})
    return requests


def black_hole_server() -> tuple[str, socket.socket]:
    """A loopback port that takes connections and never answers: an unreachable response_url
    as a stalled network shows it (the sender waits for its own timeout)."""
    hole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    hole.bind(("127.0.0.1", 0))
    hole.listen(4096)  # never accepted: the kernel completes handshakes, nothing reads
    return f"http://127.0.0.1:{hole.getsockname()[1]}", hole


def _requests_of_each_kind(
    slack: Any, seeded: dict[str, Any], answer_url: Callable[..., str]
) -> dict[str, list[Unsigned]]:
    from slack_sdk import WebClient

    from bot.offline.standin import payloads

    form = "application/x-www-form-urlencoded"
    slack.ensure_user(OFFICER)
    slack.ensure_channel(CHANNEL)
    user = payloads.user(user_id=OFFICER, user_name="priya.shah", team_id=slack.team_id)
    team = payloads.team(team_id=slack.team_id, team_domain=slack.team_domain)

    def command(text: str) -> Unsigned:
        fields = payloads.slash_command(
            text=text,
            command="/ofsted",
            user_id=OFFICER,
            user_name=user["name"],
            channel_id=CHANNEL,
            channel_name="ofsted-visits",
            team_id=slack.team_id,
            team_domain=slack.team_domain,
            api_app_id=slack.app_id,
            response_url=answer_url(channel_id=CHANNEL, user_id=OFFICER),
            trigger_id=slack.new_trigger_id(user_id=OFFICER),
        )
        return Unsigned(form, urlencode(fields).encode())

    # An Acknowledge click on a reminder the bot posted: the message is in the stand-in's
    # channel, so the bot's redraw (chat.update) finds it.
    client = WebClient(token=slack.token, base_url=slack.api_url)
    clicks = []
    for milestone_id, reminder_id, label in seeded["clicks"]:
        block_id = f"reminder:{reminder_id}:{milestone_id}"
        element = {
            "type": "button",
            "action_id": "milestone_ack",
            "value": str(milestone_id),
            "text": {"type": "plain_text", "text": "Acknowledge", "emoji": True},
        }
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": f":bell: Reminder: *{label}*"}},
            {"type": "actions", "block_id": block_id, "elements": [element]},
        ]
        posted = client.chat_postMessage(channel=CHANNEL, text=f"Reminder: {label}", blocks=blocks)
        message = slack.message(CHANNEL, posted["ts"])
        payload = payloads.block_actions(
            user=user,
            team=team,
            api_app_id=slack.app_id,
            trigger_id=slack.new_trigger_id(user_id=OFFICER),
            actions=[
                payloads.action(
                    element=element, action_id="milestone_ack", block_id=block_id, value=None
                )
            ],
            container={
                "type": "message",
                "message_ts": posted["ts"],
                "channel_id": CHANNEL,
                "is_ephemeral": False,
            },
            channel={"id": CHANNEL, "name": "ofsted-visits"},
            message=message,
            response_url=answer_url(channel_id=CHANNEL, user_id=OFFICER, message_ts=posted["ts"]),
        )
        clicks.append(Unsigned(form, urlencode({"payload": json.dumps(payload)}).encode()))
    return {
        "help": [command("help") for _ in range(POOL)],
        "list": [command("list") for _ in range(POOL)],
        "show": [command(f"show {reference}") for reference in seeded["show"]],
        "click": clicks,
    }


class AnswerCounter:
    """Counts the bot's calls to the stand-in (chat.update, response_urls): its lazy work done."""

    def __init__(self, slack: Any) -> None:
        self.count = 0
        self._lock = threading.Lock()
        for name in ("answer_api", "answer_response_url"):
            setattr(slack, name, self._counting(getattr(slack, name)))

    def _counting(self, answer: Any) -> Any:
        def counted(**request: Any) -> Any:
            with self._lock:
                self.count += 1
            return answer(**request)

        return counted


def write_signed(path: Path, requests: list[Unsigned]) -> None:
    """One request a line for the wrk script, signed now (Slack accepts it for five minutes)."""
    from bot.offline.standin.signing import signature

    stamp = str(int(time.time()))
    with path.open("w", encoding="ascii") as out:
        for request in requests:
            signed = signature(signing_secret=SIGNING_SECRET, timestamp=stamp, body=request.body)
            out.write(
                f"{stamp}\t{signed}\t{request.content_type}\t{request.body.decode('ascii')}\n"
            )


# --- the servers ---------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    command: list[str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    environment: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, environment: dict[str, str]) -> None:
        self.environment = environment
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=REPO,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_until_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert self.process is not None
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(
                    f"{self.name} did not start; its log:\n{self.log.read_text()[-3000:]}"
                )
            time.sleep(0.2)

    def cpu_seconds(self) -> float:
        """CPU time used so far by gunicorn's master and workers (one process group)."""
        assert self.process is not None
        total = 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", encoding="ascii") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.process.pid:  # pgrp
                total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / CLK_TCK

    def wait_until_idle(self, *, timeout: float, busy: float = 0.05, window: float = 0.5) -> float:
        """Seconds until the processes used under `busy` of a core for two windows running."""
        started = time.monotonic()
        quiet, before = 0, self.cpu_seconds()
        while time.monotonic() - started < timeout:
            time.sleep(window)
            now = self.cpu_seconds()
            quiet = quiet + 1 if (now - before) / window < busy else 0
            before = now
            if quiet >= 2:
                return max(0.0, time.monotonic() - started - 2 * window)
        return math.inf

    def stop(self, *, grace: float = 10) -> str:
        """SIGTERM (gunicorn's graceful stop), then SIGKILL: queued lazy work is not waited for."""
        if self.process is None:
            return ""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # workers still finishing lazy work
        self.process.wait()
        return self.log.read_text(errors="replace")

    def restart(self) -> None:
        self.stop(grace=0)
        self.start(self.environment)
        self.wait_until_healthy()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the load ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    rps: float
    p50_ms: float
    p99_ms: float
    answered: int
    errors: int
    in_ack: int = 0  # acks that carried the answer itself (blocks)
    cpu_ms: float | None = None  # the server's CPU time per request, its later work included
    answers_per_s: float | None = None
    backlog_s: float | None = None  # after the load, until the bot was idle (inf: restarted)


def measure_cell(
    server: Server,
    target: str,
    *,
    data: Path,
    requests: list[Unsigned],
    script: Path,
    concurrency: int,
    answers: AnswerCounter,
    arguments: argparse.Namespace,
) -> Cell:
    """One server under one load. For the bot, its answers while the load ran and how long its
    later work took; for each server, its CPU per request (less noisy than rates on a shared
    machine: another tenant slows a server down, but adds little to its own CPU time)."""
    write_signed(data, requests)
    before, clock, cpu = answers.count, time.monotonic(), server.cpu_seconds()
    cell = run_wrk(
        url=server.url,
        data=data,
        script=script,
        concurrency=concurrency,
        seconds=arguments.seconds,
        max_requests=arguments.max_requests,
    )
    extra: dict[str, Any] = {}
    if target == "bot":
        extra["answers_per_s"] = (answers.count - before + cell.in_ack) / (time.monotonic() - clock)
        extra["backlog_s"] = server.wait_until_idle(timeout=arguments.drain_timeout)
    used = server.cpu_seconds() - cpu
    if target == "bot" and not math.isfinite(extra["backlog_s"]):
        server.restart()  # start the next cell idle
    extra["cpu_ms"] = used * 1000 / cell.answered if cell.answered else None
    return Cell(**{**cell.__dict__, **extra})


def run_wrk(
    *, url: str, data: Path, script: Path, concurrency: int, seconds: float, max_requests: int
) -> Cell:
    threads = min(concurrency, os.cpu_count() or 1)
    per_thread = math.ceil(max_requests / threads)
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(concurrency),
        "-d",
        f"{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url + "/slack/events",
        "--",
        str(data),
        str(per_thread),
    ]
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=seconds + 60
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    figures = json.loads(line.removeprefix("BENCH "))
    errors = figures["refused"] + sum(figures[k] for k in ("connect", "read", "write", "timeout"))
    rps = figures["answered"] / figures["seconds"] if figures["seconds"] > 0 else 0.0
    return Cell(
        rps=rps,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        answered=figures["answered"],
        errors=errors,
        in_ack=figures["with_blocks"],
    )


# --- the run -------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8, help="per cell (default 8)")
    parser.add_argument("--max-requests", type=int, default=20000, help="per cell (default 20000)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load before each kind")
    parser.add_argument("--concurrency", default="1,16,64")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--visits", type=int, default=1000)
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn workers (default 2, as the Procfile)"
    )
    parser.add_argument(
        "--threads", type=int, default=8, help="threads per worker (default 8, as serve)"
    )
    parser.add_argument(
        "--bolt-reference",
        choices=["as-bot", "default", "before-response"],
        default="as-bot",
        help="the Bolt reference's process_before_response: as the bot serves HTTP (default), "
        "Bolt's default (False), or True",
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=30,
        help="longest wait for the bot to finish its lazy work after a cell; then it is restarted",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds of each cell (floor, bolt, bot in turn); medians shown",
    )
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="the bot's database: a SQLite file (default) or a new database on the PostgreSQL"
        " server at TEST_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test),"
        " dropped after",
    )
    parser.add_argument(
        "--answer-urls",
        choices=["up", "unreachable", "both"],
        default="both",
        help="where the requests' response_urls lead: the stand-in (up), a loopback port that never"
        " answers (unreachable, kinds named <kind>-deadurl), or each kind both ways (default)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (logs, database)"
    )
    arguments = parser.parse_args()
    concurrencies = [int(c) for c in arguments.concurrency.split(",")]
    kinds = [k for k in arguments.kinds.split(",") if k]
    kinds = {
        "up": kinds,
        "unreachable": [k + UNREACHABLE for k in kinds],
        "both": [k + suffix for k in kinds for suffix in ("", UNREACHABLE)],
    }[arguments.answer_urls]
    try:
        import flask  # noqa: F401  (the floor; only checked here, served by reference_apps)
    except ImportError:
        print(
            "benchmarks/requests.py needs Flask for its floor: .venv/bin/pip install -e '.[bench]'",
            file=sys.stderr,
        )
        return 2
    if shutil.which("wrk") is None:
        print("benchmarks/requests.py needs wrk: apt-get install -y wrk", file=sys.stderr)
        return 2

    import bot.app

    bot_mode = bool(getattr(bot.app, "HTTP_PROCESS_BEFORE_RESPONSE", False))
    bolt_mode = {"as-bot": bot_mode, "default": False, "before-response": True}[
        arguments.bolt_reference
    ]

    folder = Path(tempfile.mkdtemp(prefix="ofsted-bench-requests-"))
    script = folder / "replay.lua"
    script.write_text(WRK_SCRIPT)
    database_url = f"sqlite:///{folder / 'bench.db'}"
    drop_database: Any = None
    if arguments.database == "postgresql":
        database_url, drop_database = new_postgres_database()
    from bot.offline.standin import SlackStandIn

    servers: dict[str, Server] = {}
    results: dict[tuple[str, int, str], list[Cell]] = {}
    started = time.monotonic()
    hole: socket.socket | None = None
    try:
        print(f"seeding {arguments.visits} visits into {arguments.database} ...", flush=True)
        seeded = seed_database(database_url, visits=arguments.visits, now=datetime.now(UTC))
        with SlackStandIn() as slack:
            black_hole, hole = black_hole_server()
            requests = build_requests(slack, seeded, black_hole=black_hole)
            answers = AnswerCounter(slack)
            environment = {
                **os.environ,
                "SLACK_BOT_TOKEN": slack.token,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack.api_url,
                "DATABASE_URL": database_url,
                "PYTHONPATH": str(REPO),
            }
            environment.pop("SLACK_APP_TOKEN", None)
            shape = ["--workers", str(arguments.workers), "--threads", str(arguments.threads)]
            python = sys.executable
            ofsted_bot = str(Path(sys.executable).with_name("ofsted-bot"))
            for name, command in (
                ("floor", [python, "-m", "benchmarks.reference_apps", "floor"]),
                ("flask", [python, "-m", "benchmarks.reference_apps", "flask"]),
                (
                    "bolt",
                    [python, "-m", "benchmarks.reference_apps", "bolt"]
                    + (["--process-before-response"] if bolt_mode else []),
                ),
                ("bot", [ofsted_bot, "serve", "--http", "--no-dispatcher", "--host", "127.0.0.1"]),
            ):
                port = free_port()
                servers[name] = Server(
                    name, [*command, "--port", str(port), *shape], port, folder / f"{name}.log"
                )
                servers[name].start(environment)
            for server in servers.values():
                server.wait_until_healthy()
            print(f"servers up after {time.monotonic() - started:.0f} s; measuring ...", flush=True)

            for kind in kinds:
                data = folder / f"{kind}.txt"
                for target in TARGETS:  # warm each server up on this kind
                    write_signed(data, requests[kind])
                    run_wrk(
                        url=servers[target].url,
                        data=data,
                        script=script,
                        concurrency=16,
                        seconds=arguments.warmup,
                        max_requests=arguments.max_requests,
                    )
                if not math.isfinite(
                    servers["bot"].wait_until_idle(timeout=arguments.drain_timeout)
                ):
                    servers["bot"].restart()
                for concurrency in concurrencies:
                    for round_ in range(arguments.repeat):
                        for target in TARGETS:
                            cell = measure_cell(
                                servers[target],
                                target,
                                data=data,
                                requests=requests[kind],
                                script=script,
                                concurrency=concurrency,
                                answers=answers,
                                arguments=arguments,
                            )
                            results.setdefault((kind, concurrency, target), []).append(cell)
                            print(
                                f"  {kind:5} c={concurrency:<3} {target:5} {cell.rps:8.0f} rps  "
                                f"p50 {cell.p50_ms:7.1f} ms  p99 {cell.p99_ms:7.1f} ms  "
                                f"n={cell.answered}"
                                + (
                                    f"  cpu {cell.cpu_ms:.2f} ms/req"
                                    if cell.cpu_ms is not None
                                    else ""
                                )
                                + (f"  errors={cell.errors}" if cell.errors else "")
                                + (
                                    f"  answers {cell.answers_per_s:.0f}/s"
                                    if cell.answers_per_s is not None
                                    else ""
                                )
                                + (
                                    f"  backlog {cell.backlog_s:.1f} s"
                                    if cell.backlog_s is not None
                                    else ""
                                )
                                + (f"  (round {round_ + 1})" if arguments.repeat > 1 else ""),
                                flush=True,
                            )
    finally:
        if hole is not None:
            hole.close()
        logs = {name: server.stop() for name, server in servers.items()}
        if drop_database is not None:
            drop_database()
        if not arguments.keep:
            shutil.rmtree(folder, ignore_errors=True)
    for name, log in logs.items():
        problems = Counter(_problem(line) for line in log.splitlines() if _problem(line))
        if problems:
            print(f"\nthe {name} server logged (--keep keeps {name}.log):")
            for problem, count in problems.most_common(5):
                print(f"  {count:6} x {problem}")

    report(
        arguments,
        results,
        seeded,
        kinds,
        concurrencies,
        bot_mode,
        bolt_mode,
        time.monotonic() - started,
    )
    return 0


def _problem(line: str) -> str | None:
    """A log line worth showing, without its timestamp, or None."""
    for marker in (
        " ERROR ",
        " WARNING ",
        " CRITICAL ",
        "[ERROR]",
        "[CRITICAL]",
        "Error:",
        "Exception:",
    ):
        if marker in line:
            text = line[line.index(marker) :].strip()
            return None if "`token` will be unused" in text else text[:160]
    return None


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def report(
    arguments: argparse.Namespace,
    results: dict[tuple[str, int, str], list[Cell]],
    seeded: dict[str, Any],
    kinds: list[str],
    concurrencies: list[int],
    bot_mode: bool,
    bolt_mode: bool,
    elapsed: float,
) -> None:
    print()
    facts = machine_facts()
    wrk_version = (
        subprocess.run(["wrk", "-v"], check=False, capture_output=True, text=True)
        .stdout.split("\n")[0]
        .strip()
    )
    facts.update(
        {
            "gunicorn": f"{metadata.version('gunicorn')}, gthread, {arguments.workers} workers"
            f" x {arguments.threads} threads, each server",
            "slack_bolt": metadata.version("slack_bolt"),
            "load": f"{wrk_version or 'wrk'}, {min(max(concurrencies), os.cpu_count() or 1)}"
            " threads max, keep-alive, same machine",
            "bot": f"process_before_response={bot_mode} in HTTP mode;"
            f" bolt reference: process_before_response={bolt_mode}",
            "data": ", ".join(f"{v} {k}" for k, v in seeded["counts"].items())
            + (" (SQLite, WAL)" if arguments.database == "sqlite" else " (PostgreSQL)"),
            "cells": f"{arguments.seconds:g} s or {arguments.max_requests} requests each,"
            f" after {arguments.warmup:g} s warm-up per kind"
            + (f"; {arguments.repeat} rounds, medians shown" if arguments.repeat > 1 else ""),
            "run took": f"{elapsed:.0f} s",
        }
    )
    for key, value in facts.items():
        print(f"{key:>22}: {value}")
    print()
    headers = [
        "request",
        "c",
        "wsgi rps",
        "flask rps",
        "p99 ms",
        "bolt rps",
        "p99 ms",
        "bot rps",
        "p50 ms",
        "p99 ms",
        "bot/flask",
        "bot/wsgi",
        "bot/bolt",
        "cpu/req bot:wsgi",
        "answers/s",
        "backlog s",
        "errors",
    ]
    rows = []
    summary: dict[tuple[str, int], tuple[float, float, float]] = {}
    for kind in kinds:
        for concurrency in concurrencies:
            rounds = [results.get((kind, concurrency, target), []) for target in TARGETS]
            if not all(rounds):
                continue
            floor, flask, bolt, bot = rounds
            row: list[object] = [kind, concurrency]
            row += [
                f"{median([c.rps for c in floor]):.0f}",
                f"{median([c.rps for c in flask]):.0f}",
                f"{median([c.p99_ms for c in flask]):.1f}",
            ]
            row += [
                f"{median([c.rps for c in bolt]):.0f}",
                f"{median([c.p99_ms for c in bolt]):.1f}",
            ]
            row += [
                f"{median([c.rps for c in bot]):.0f}",
                f"{median([c.p50_ms for c in bot]):.1f}",
                f"{median([c.p99_ms for c in bot]):.1f}",
            ]
            # Ratios within a round (the servers measured one after another), then their median.
            to_flask = median([b.rps / f.rps for b, f in zip(bot, flask, strict=False) if f.rps])
            to_floor = median([b.rps / f.rps for b, f in zip(bot, floor, strict=False) if f.rps])
            to_bolt = median([b.rps / r.rps for b, r in zip(bot, bolt, strict=False) if r.rps])
            cpu = [
                b.cpu_ms / f.cpu_ms
                for b, f in zip(bot, floor, strict=False)
                if b.cpu_ms and f.cpu_ms
            ]
            backlogs = [c.backlog_s for c in bot if c.backlog_s is not None]
            row += [
                f"{to_flask:.2f}",
                f"{to_floor:.2f}",
                f"{to_bolt:.2f}",
                f"{median(cpu):.1f}x" if cpu else "-",
                f"{median([c.answers_per_s for c in bot if c.answers_per_s is not None]):.0f}",
                f"{max(backlogs):.1f}"
                if backlogs and all(math.isfinite(b) for b in backlogs)
                else f">{arguments.drain_timeout:g}",
                sum(c.errors for cells in rounds for c in cells),
            ]
            rows.append(row)
            summary[(kind, concurrency)] = (median([c.p99_ms for c in bot]), to_flask, to_floor)
    print_table(headers, rows)
    at_16 = [kind for kind in kinds if (kind, 16) in summary]
    if at_16:
        print()
        print(
            "acks at c=16 (goal: p99 < 50 ms; help, list and show >= 0.50 of the floor),"
            " answer URLs up | unreachable:"
        )
        for kind in dict.fromkeys(k.removesuffix(UNREACHABLE) for k in at_16):
            cells = []
            for variant in (kind, kind + UNREACHABLE):
                if (variant, 16) in summary:
                    p99, to_flask, _ = summary[(variant, 16)]
                    cells.append(f"p99 {p99:7.1f} ms, {to_flask:.2f} of the floor")
                else:
                    cells.append(f"{'-':>33}")
            print(f"  {kind:6} {cells[0]}  |  {cells[1]}")
    if ("list", 16) in summary:
        p99, to_flask, to_floor = summary[("list", 16)]
        print()
        print(
            f"target, /ofsted list at c=16: p99 {p99:.1f} ms (goal < 50 ms: "
            f"{'met' if p99 < 50 else 'MISSED'}); throughput {to_flask:.2f} of the floor, "
            f"a plain Flask endpoint (goal >= 0.50: {'met' if to_flask >= 0.5 else 'MISSED'}); "
            f"{to_floor:.2f} of bare WSGI"
        )
    print(
        "wsgi: a bare WSGI endpoint; flask: the same in Flask (the issue's floor); bolt: a Bolt"
        " app that only acks. rps, p50, p99: acks (the HTTP answers), timed by wrk from sending a"
        " request to reading its answer on keep-alive connections; p99 beside flask and bolt are"
        " theirs. cpu/req: the bot's CPU time per request (its later work included) over bare"
        " WSGI's. answers/s: acks that carried the answer, plus the bot's later calls to Slack"
        " (chat.update, response_urls), while the load ran. backlog s: how long the bot stayed"
        " busy after the load;"
        f" >{arguments.drain_timeout:g}: not idle by then, restarted for the next cell."
    )


if __name__ == "__main__":
    raise SystemExit(main())
