"""The driver's two ways to the bot: over HTTP, or handed to its WSGI app in-process.

In-process the request is still signed and still answered by the bot's own endpoint
(bot/web.py, Bolt's adapter and signature check); only the socket is left out. The bot's
calls to the Web API still go over HTTP to the stand-in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_app
from bot.offline.standin import Delivery, SlackDriver, SlackStandIn
from bot.offline.standin.boltserver import serve_wsgi
from bot.settings import Settings
from bot.web import wsgi_application
from storage.db import create_engine_for
from storage.migrate import upgrade_database
from tests.standin.conftest import refused_deliveries

SECRET = "transport-signing-secret"
OFFICER, CHANNEL = "U01QAOFFICER", "C01VISITS"
NOW = datetime(2026, 4, 29, 8, 0, tzinfo=UTC)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@pytest.fixture
def bot_app(slack: SlackStandIn, tmp_path: Path) -> Iterator[WSGIApp]:
    """The WSGI application `ofsted-bot serve` runs, on its own SQLite file."""
    engine = create_engine_for(f"sqlite:///{tmp_path / 'bot.db'}")
    upgrade_database(engine=engine)
    settings = Settings(
        slack_bot_token=slack.token, slack_signing_secret=SECRET, slack_api_url=slack.api_url
    )
    app = build_app(settings=settings, engine=engine, clock=lambda: NOW)
    yield wsgi_application(app=app, engine=engine)
    engine.dispose()


def seen_answer(slack: SlackStandIn, driver: SlackDriver, text: str) -> tuple[int, str]:
    """The status of a command's ack and the text its user reads, however it is sent."""
    before = len(slack.responses)
    response = driver.slash_command(text, user_id=OFFICER, channel_id=CHANNEL)
    slack.wait_for(lambda s: len(s.responses) > before)
    return response.status, slack.responses[before].text


@pytest.mark.parametrize("command", ["help", "list"])
def test_a_command_in_process_reads_as_it_does_over_http(
    slack: SlackStandIn, bot_app: WSGIApp, command: str
) -> None:
    with serve_wsgi(bot_app) as url:
        over_http = seen_answer(slack, SlackDriver(url, SECRET, slack), command)
    in_process = seen_answer(slack, SlackDriver(bot_app, SECRET, slack), command)
    assert in_process == over_http
    assert in_process[0] == 200 and in_process[1]


def test_in_process_the_bot_still_calls_the_web_api_over_http(
    slack: SlackStandIn, bot_app: WSGIApp
) -> None:
    driver = SlackDriver(bot_app, SECRET, slack)
    assert driver.url == "wsgi://in-process/slack/events"
    answer = driver.slash_command("new", user_id=OFFICER, channel_id=CHANNEL)
    assert answer.status == 200 and answer.within_ack_deadline
    slack.wait_for(lambda s: s.calls_to("views.open"))
    assert [view["type"] for view in slack.views.values()] == ["modal"]


@refused_deliveries
def test_in_process_an_unsigned_request_is_refused_and_nothing_answers(
    slack: SlackStandIn, bot_app: WSGIApp, delivery: Delivery
) -> None:
    driver = SlackDriver(bot_app, SECRET, slack)
    answer = driver.slash_command("new", user_id=OFFICER, channel_id=CHANNEL, delivery=delivery)
    assert answer.status == 401
    assert slack.responses == [] and slack.calls_to("views.open") == []


def test_a_team_driver_in_process_stays_in_process(slack: SlackStandIn, bot_app: WSGIApp) -> None:
    other = SlackDriver(bot_app, SECRET, slack).as_team("T0OTHER")
    assert other.url == "wsgi://in-process/slack/events" and other.team_id == "T0OTHER"
