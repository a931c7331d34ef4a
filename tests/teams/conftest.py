"""The Teams endpoint served over real HTTP on loopback, answering to a Bot Connector stand-in.

Nothing of ours is mocked: the aiohttp application is the one `ofsted-bot serve --teams` runs,
with the SDK's CloudAdapter (and, with credentials, its JWT middleware) in front of the bot; the
database is a real SQLite file migrated by Alembic; the connector stand-in is an HTTP server.
Only Microsoft Entra, which hands the bot its outgoing tokens, is stood in for (a provider that
returns a fixed token), since it is outside this machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from microsoft_agents.hosting.core.authorization import AnonymousTokenProvider
from sqlalchemy.engine import Engine

from bot.offline.connector import ConnectorStandIn, Member
from bot.offline.connector.served import Served
from handlers.teams.auth import TeamsSettings, anonymous_connections, trust_token_issuer
from handlers.teams.bot import TeamsContext
from handlers.teams.members import ConversationMembers
from handlers.teams.server import build_teams_app
from storage.db import create_engine_for
from storage.migrate import upgrade_database

APP_ID = "ofsted-bot-app"
ENTRA_TOKEN = "token-from-entra-stand-in"
CHANNEL = "19:visits@thread.tacv2"
ALICE = Member(id="29:alice", name="Alice Officer")
BOB = Member(id="29:bob", name="Bob Colleague")
CAROL = Member(id="29:carol", name="Carol Outsider")
# The day after the 2026 covering letter (28 April 2026): 09:00 in London (BST).
DAY_AFTER_LETTER = datetime(2026, 4, 29, 8, 0, tzinfo=UTC)


class EntraStandIn(AnonymousTokenProvider):
    """Microsoft Entra's token endpoint, outside this machine: a fixed token for the connector."""

    async def get_access_token(
        self, resource_url: str, scopes: list[str], force_refresh: bool = False
    ) -> str:
        return ENTRA_TOKEN


class TeamsBotUnderTest:
    def __init__(self, served: Served, connector: ConnectorStandIn, engine: Engine) -> None:
        self.served = served
        self.connector = connector
        self.engine = engine

    def send(self, activity: dict[str, Any], *, token: str | None = None) -> tuple[int, Any]:
        return self.connector.send(self.served.url, activity, token=token)

    def say(self, text: str, **where: Any) -> list[Any]:
        """Send a message and return what the bot posted in answer."""
        before = len(self.connector.calls())
        status, _ = self.send(self.connector.activity(text=text, **where))
        assert status in (200, 202), status
        return self.connector.wait_for(before + 1)[before:]


@pytest.fixture
def connector() -> Iterator[ConnectorStandIn]:
    with ConnectorStandIn(app_id=APP_ID) as stand_in:
        stand_in.set_members(CHANNEL, [ALICE, BOB])
        yield stand_in


@pytest.fixture
def teams_engine(tmp_path: Any) -> Iterator[Engine]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'ofsted-bot.db'}")
    upgrade_database(engine=engine)
    yield engine
    engine.dispose()


def _context(engine: Engine) -> TeamsContext:
    return TeamsContext(
        engine=engine, clock=lambda: DAY_AFTER_LETTER, members=ConversationMembers()
    )


@pytest.fixture
def teams_bot(connector: ConnectorStandIn, teams_engine: Engine) -> Iterator[TeamsBotUnderTest]:
    """No credentials: unauthenticated activities from loopback."""
    app = build_teams_app(ctx=_context(teams_engine), settings=TeamsSettings())
    served = Served(app)
    yield TeamsBotUnderTest(served, connector, teams_engine)
    served.close()


@pytest.fixture
def signed_teams_bot(
    connector: ConnectorStandIn, teams_engine: Engine
) -> Iterator[TeamsBotUnderTest]:
    """With MICROSOFT_APP_ID: every activity's JWT checked against the stand-in's published key."""
    trust_token_issuer(issuer=connector.issuer, jwks_url=connector.jwks_url)
    settings = TeamsSettings(
        microsoft_app_id=APP_ID, microsoft_app_password="secret", microsoft_app_tenant_id="tenant-1"
    )
    app = build_teams_app(
        ctx=_context(teams_engine),
        settings=settings,
        connections=anonymous_connections(lambda _c: EntraStandIn()),
    )
    served = Served(app)
    yield TeamsBotUnderTest(served, connector, teams_engine)
    served.close()
