"""Injected failures, 429s and the per-channel post rate, as slack_sdk experiences them."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.offline.standin import ManualClock, SlackStandIn


def test_fail_next_answers_5xx_then_recovers(client: WebClient, slack: SlackStandIn) -> None:
    slack.fail_next("chat.postMessage", status=503, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as failure:
            client.chat_postMessage(channel="C01VISITS", text="x")
        assert failure.value.response.status_code == 503
    assert client.chat_postMessage(channel="C01VISITS", text="x")["ok"]
    assert [c.status for c in slack.calls] == [503, 503, 200]
    assert len(slack.messages("C01VISITS")) == 1


def test_fail_next_only_hits_its_method(client: WebClient, slack: SlackStandIn) -> None:
    slack.fail_next("chat.update")
    assert client.chat_postMessage(channel="C01VISITS", text="x")["ok"]


def test_failure_after_the_effect(client: WebClient, slack: SlackStandIn) -> None:
    """The post happened but the answer was lost: a retry would post twice."""
    slack.fail_next("chat.postMessage", effect_applied=True)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C01VISITS", text="once")
    assert [m["text"] for m in slack.messages("C01VISITS")] == ["once"]


def test_plain_429_is_raised_without_a_retry_handler(
    client: WebClient, slack: SlackStandIn
) -> None:
    slack.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as failure:
        client.chat_postMessage(channel="C01VISITS", text="x")
    assert failure.value.response.status_code == 429
    assert failure.value.response.headers["Retry-After"] == "7"
    assert failure.value.response["error"] == "ratelimited"


def test_429_retry_after_is_honoured_by_slack_sdk(slack: SlackStandIn) -> None:
    client = WebClient(
        token=slack.token,
        base_url=slack.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack.rate_limit_next("chat.postMessage", retry_after=1)
    started = time.monotonic()
    assert client.chat_postMessage(channel="C01VISITS", text="x")["ok"]
    assert time.monotonic() - started >= 1.0
    assert [c.status for c in slack.calls] == [429, 200]


def test_delay_next(client: WebClient, slack: SlackStandIn) -> None:
    slack.delay_next("auth.test", seconds=0.2)
    started = time.monotonic()
    client.auth_test()
    assert time.monotonic() - started >= 0.2


def test_per_channel_rate_limit(clock: ManualClock) -> None:
    with SlackStandIn(post_rate_per_channel=1.0, clock=clock) as slack:
        client = WebClient(token=slack.token, base_url=slack.api_url)
        assert client.chat_postMessage(channel="C01VISITS", text="1")["ok"]
        assert client.chat_postMessage(channel="C02GENERAL", text="other channel")["ok"]
        with pytest.raises(SlackApiError) as failure:
            client.chat_postMessage(channel="C01VISITS", text="2")
        assert failure.value.response.status_code == 429
        assert failure.value.response.headers["Retry-After"] == "1"
        clock.advance(1.0)
        assert client.chat_postMessage(channel="C01VISITS", text="2")["ok"]
        assert [m["text"] for m in slack.messages("C01VISITS")] == ["1", "2"]


def test_retry_after_covers_the_wait(clock: ManualClock) -> None:
    with SlackStandIn(post_rate_per_channel=0.25, clock=clock) as slack:
        client = WebClient(token=slack.token, base_url=slack.api_url)
        client.chat_postMessage(channel="C01VISITS", text="1")
        clock.advance(1.5)
        with pytest.raises(SlackApiError) as failure:
            client.chat_postMessage(channel="C01VISITS", text="2")
        assert failure.value.response.headers["Retry-After"] == "3"  # 4 s per post, 1.5 s gone


def test_dozens_of_concurrent_clients(client: WebClient, slack: SlackStandIn) -> None:
    def post(i: int) -> str:
        return client.chat_postMessage(channel="C01VISITS", text=str(i))["ts"]

    with ThreadPoolExecutor(max_workers=48) as pool:
        stamps = list(pool.map(post, range(96)))
    assert len(set(stamps)) == 96
    assert len(slack.messages("C01VISITS")) == 96
    assert len(slack.calls_to("chat.postMessage")) == 96
