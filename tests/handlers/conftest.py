"""The bot served over real HTTP, driven by Slack-signed requests, calling the Web API stand-in.

Nothing of ours is mocked: the Bolt app is the one `ofsted-bot serve` builds, the database is
a real SQLite file migrated by Alembic, and time is the only input a test sets by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.app import build_app
from bot.offline.standin import SlackDriver, SlackStandIn
from bot.offline.standin.boltserver import serve_wsgi
from bot.settings import Settings
from bot.web import wsgi_application
from handlers.slack.commands import ANSWER_FOLLOWS
from storage.db import create_engine_for
from storage.migrate import upgrade_database
from storage.models import AuditEvent, Milestone, Visit

SIGNING_SECRET = "signing-secret-for-tests"
CHANNEL = "C01VISITS"
OFFICER = "U_OFFICER"
ADMIN = "U_ADMIN"
"""The bot's administrator (OFSTED_ADMINS) in every test bot: in no channel, sees every visit."""
TEAM = "T0STANDIN"
"""The stand-in's workspace: the team every request comes from unless a test says otherwise."""
# The day after the 2021 covering letter: 09:00 in London (BST), 08:00 UTC.
DAY_AFTER_LETTER = datetime(2021, 6, 23, 8, 0, tzinfo=UTC)


class Clock:
    """The bot's clock, set by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Bot:
    driver: SlackDriver
    slack: SlackStandIn
    engine: Engine
    clock: Clock
    url: str

    def command(self, text: str, *, user_id: str = OFFICER, channel_id: str = CHANNEL) -> Any:
        before = len(self.slack.responses)
        response = self.driver.slash_command(text, user_id=user_id, channel_id=channel_id)
        assert response.status == 200, response.text
        return response, before

    def next_response(self, before: int, *, timeout: float = 5) -> Any:
        """The answer to the command: its ack's own (list, show), or the one sent to its
        response_url once the work is done. An ack saying the answer will follow (a read that
        outlasted the ack's time, as on a loaded machine) is passed over for the answer."""
        self.slack.wait_for(lambda slack: len(slack.responses) > before, timeout=timeout)
        answer = self.slack.responses[before]
        if answer.via == "ack" and answer.text == ANSWER_FOLLOWS:
            self.slack.wait_for(lambda slack: len(slack.responses) > before + 1, timeout=timeout)
            answer = self.slack.responses[before + 1]
        return answer

    def visits(self) -> list[Visit]:
        with Session(self.engine) as session:
            return list(session.exec(select(Visit).order_by(Visit.id)))

    def milestones(self) -> list[Milestone]:
        with Session(self.engine) as session:
            return list(session.exec(select(Milestone).order_by(Milestone.due_date, Milestone.id)))

    def audit(self) -> list[AuditEvent]:
        with Session(self.engine) as session:
            return list(session.exec(select(AuditEvent).order_by(AuditEvent.id)))


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def bot_engine(tmp_path: Any) -> Iterator[Engine]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'ofsted-bot.db'}")
    upgrade_database(engine=engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock(DAY_AFTER_LETTER)


@pytest.fixture
def bot(slack: SlackStandIn, bot_engine: Engine, clock: Clock) -> Iterator[Bot]:
    settings = Settings(
        slack_bot_token=slack.token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        ofsted_admins=frozenset({ADMIN}),
    )
    app = build_app(settings=settings, engine=bot_engine, clock=clock)
    with serve_wsgi(wsgi_application(app=app, engine=bot_engine)) as url:
        yield Bot(SlackDriver(url, SIGNING_SECRET, slack), slack, bot_engine, clock, url)


def all_text(blocks: list[dict[str, Any]]) -> str:
    """Everything a person reads in some blocks, as one string."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(found)
