"""Fixtures: a started stand-in, a real slack_sdk WebClient on it, a hand-moved clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.offline.standin import Delivery, ManualClock, SlackStandIn


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    return WebClient(token=slack.token, base_url=slack.api_url)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


refused_deliveries = pytest.mark.parametrize(
    "delivery",
    [Delivery(signature="bad"), Delivery(signature="absent"), Delivery(stale=True)],
    ids=["bad-signature", "no-signature", "stale-timestamp"],
)
"""The requests a bot must answer 401: badly signed, unsigned, or signed too long ago."""
