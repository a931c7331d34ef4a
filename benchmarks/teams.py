"""The Teams endpoint's ack latency beside the Slack endpoint's, for help, list and show.

    nice -n 10 .venv/bin/python benchmarks/teams.py               # about a minute
    nice -n 10 .venv/bin/python benchmarks/teams.py --visits 200 --requests 100

One process, one machine, one run, the two endpoints measured in turn, round after round:

- a fresh SQLite database (temporary folder) holding `--visits` open visits of six milestones in
  a Slack workspace (channel C01VISITS) and as many in a Teams tenant (a channel conversation),
  made with the repository functions the bot uses, their reminders planned;
- Slack: the real Bolt app (`bot.app.build_app`, the bot's HTTP mode) under the stand-in's WSGI
  server on loopback, driven by `SlackDriver` with requests signed as Slack signs them, against
  the Slack Web API stand-in: `/ofsted help`, `/ofsted list`, `/ofsted show <visit>`;
- Teams: the real aiohttp application of `ofsted-bot serve --teams` (the Agents SDK's
  CloudAdapter, unauthenticated on loopback) answering to the Bot Connector stand-in:
  `help`, `list`, `show <visit>` as channel messages.

What is timed is the HTTP answer to the platform, one request at a time (no concurrency): for
Slack the ack (help, list and show are answered in it); for Teams the answer to the POST to
/api/messages, which the SDK gives after the turn, so it includes the reply posted to the
connector (`POST /v3/conversations/{id}/activities`) and the members looked up from it. The
first few requests of each kind warm the caches and are not counted.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import secrets
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.common import machine_facts, percentile, print_table

CHANNEL = "19:benchmark@thread.tacv2"
SLACK_CHANNEL = "C01VISITS"
WARM_UP = 5


def seed(engine: Any, *, visits: int, slack_team: str, now: datetime) -> tuple[str, str]:
    """`visits` visits in Slack and as many in Teams; a reference of each to show."""
    from scheduler.planning import ReminderDefaults, replan_visit
    from scheduler.rules import MILESTONE_LABELS, MilestoneKind
    from storage import repo, teams
    from storage.db import session_scope

    references: dict[str, str] = {}
    for platform, team_id in (("slack", slack_team), ("teams", "teams:tenant-1")):
        with session_scope(engine) as session:
            for number in range(visits):
                letter_date = now.date() - timedelta(days=number % 30)
                visit = repo.create_visit(
                    session=session,
                    local_authority=f"{platform.title()} Borough {number:04d}",
                    visit_type="focused_visit",
                    letter_date=letter_date,
                    visit_dates=[],
                    inspectors=[],
                    milestones=[
                        repo.NewMilestone(
                            kind=kind.value,
                            label=MILESTONE_LABELS[kind],
                            due_date=letter_date + timedelta(days=5 + 9 * position),
                            source="rule",
                        )
                        for position, kind in enumerate(MilestoneKind)
                    ],
                    created_by="29:officer" if platform == "teams" else "U0OFFICER",
                    channel_id=CHANNEL if platform == "teams" else SLACK_CHANNEL,
                    now=now,
                    team_id=team_id,
                )
                if platform == "teams":
                    teams.save_visit_conversation(
                        session=session,
                        visit_id=visit.id or 0,
                        tenant_id="tenant-1",
                        conversation_id=CHANNEL,
                        conversation_type="channel",
                        service_url="http://127.0.0.1/",
                        reference={},
                        now=now,
                    )
                replan_visit(session=session, visit=visit, defaults=ReminderDefaults(), now=now)
                references.setdefault(platform, visit.reference)
    return references["slack"], references["teams"]


def timed(send: Callable[[], int]) -> float:
    started = time.perf_counter()
    status = send()
    elapsed = (time.perf_counter() - started) * 1000
    if status not in (200, 202):
        raise RuntimeError(f"answered HTTP {status}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visits", type=int, default=200, help="visits per platform")
    parser.add_argument("--requests", type=int, default=60, help="timed requests per cell")
    arguments = parser.parse_args()

    from bot.app import build_app
    from bot.offline.connector import ConnectorStandIn, Member
    from bot.offline.connector.served import Served
    from bot.offline.standin import SlackDriver, SlackStandIn
    from bot.offline.standin.boltserver import serve_wsgi
    from bot.settings import Settings
    from bot.web import wsgi_application
    from handlers.teams.auth import TeamsSettings
    from handlers.teams.bot import TeamsContext
    from handlers.teams.server import build_teams_app
    from storage.db import create_engine_for
    from storage.migrate import upgrade_database

    now = datetime(2026, 4, 29, 8, 0, tzinfo=UTC)
    with (
        tempfile.TemporaryDirectory() as folder,
        SlackStandIn() as slack,
        ConnectorStandIn(page_size=100) as connector,
    ):
        engine = create_engine_for(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade_database(engine=engine)
        slack_reference, teams_reference = seed(
            engine, visits=arguments.visits, slack_team=slack.team_id, now=now
        )
        slack.add_user("U0OFFICER", real_name="Officer", name="officer")
        connector.set_members(CHANNEL, [Member(id="29:officer", name="Officer")])
        secret = secrets.token_hex(16)
        settings = Settings(
            slack_bot_token=slack.token,
            slack_signing_secret=secret,
            slack_api_url=slack.api_url,
            database_url=f"sqlite:///{Path(folder) / 'bench.db'}",
        )
        app = build_app(settings=settings, engine=engine, clock=lambda: now)
        teams_app = build_teams_app(
            ctx=TeamsContext(engine=engine, clock=lambda: now), settings=TeamsSettings()
        )
        served = Served(teams_app)
        try:
            with serve_wsgi(wsgi_application(app=app, engine=engine)) as url:
                driver = SlackDriver(url, secret, slack)
                kinds = {
                    "help": ("help", "help"),
                    "list": ("list", "list"),
                    "show": (f"show {slack_reference}", f"show {teams_reference}"),
                }
                samples: dict[tuple[str, str], list[float]] = {}
                for kind, (slack_text, teams_text) in kinds.items():
                    for platform in ("slack", "teams"):
                        samples[(kind, platform)] = []

                    def slack_send(text: str = slack_text) -> int:
                        return driver.slash_command(
                            text, user_id="U0OFFICER", channel_id=SLACK_CHANNEL
                        ).status

                    def teams_send(text: str = teams_text) -> int:
                        activity = connector.activity(
                            text=f"<at>ofsted-bot</at> {text}",
                            user_id="29:officer",
                            conversation_id=CHANNEL,
                            conversation_type="channel",
                        )
                        return connector.send(served.url, activity)[0]

                    for round_number in range(WARM_UP + arguments.requests):
                        # Alternated, request by request: the same noise for both.
                        for platform, send in (("slack", slack_send), ("teams", teams_send)):
                            elapsed = timed(send)
                            if round_number >= WARM_UP:
                                samples[(kind, platform)].append(elapsed)
        finally:
            served.close()
            engine.dispose()

    rows = []
    for kind in kinds:
        slack_times, teams_times = samples[(kind, "slack")], samples[(kind, "teams")]
        rows.append(
            [
                kind,
                f"{percentile(slack_times, 50):.1f}",
                f"{percentile(slack_times, 99):.1f}",
                f"{percentile(teams_times, 50):.1f}",
                f"{percentile(teams_times, 99):.1f}",
                f"{percentile(teams_times, 50) / percentile(slack_times, 50):.1f}x",
            ]
        )
    print(
        f"{arguments.visits} visits per platform, {arguments.requests} timed requests per cell, "
        "one at a time; milliseconds"
    )
    print_table(
        ["kind", "Slack p50", "Slack p99", "Teams p50", "Teams p99", "Teams/Slack p50"], rows
    )
    print(machine_facts())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
