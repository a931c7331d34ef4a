"""Starting and stopping: free ports, no threads left behind, usable from `with`."""

from __future__ import annotations

import socket
import threading

import pytest
from slack_sdk import WebClient

from bot.offline.standin import SlackStandIn


def test_start_stop_leaves_no_threads_and_frees_the_port() -> None:
    before = set(threading.enumerate())
    slack = SlackStandIn().start()
    port = slack.port
    assert slack.api_url == f"http://127.0.0.1:{port}/api/"
    WebClient(token=slack.token, base_url=slack.api_url).auth_test()
    slack.stop()
    assert not slack.running
    assert set(threading.enumerate()) <= before
    with socket.socket() as probe:  # nothing listens there any more
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))


def test_two_stand_ins_side_by_side() -> None:
    with SlackStandIn() as first, SlackStandIn() as second:
        assert first.port != second.port
        WebClient(token=first.token, base_url=first.api_url).chat_postMessage(
            channel="C01VISITS", text="1"
        )
        assert second.messages("C01VISITS") == []


def test_urls_need_a_started_stand_in() -> None:
    with pytest.raises(RuntimeError):
        _ = SlackStandIn().api_url


def test_reset_forgets_content_but_keeps_people(slack: SlackStandIn, client: WebClient) -> None:
    client.chat_postMessage(channel="C01VISITS", text="x")
    slack.fail_next("auth.test")
    slack.reset()
    assert slack.calls == [] and slack.messages("C01VISITS") == []
    assert client.auth_test()["ok"]
    assert "U02DCS" in client.conversations_members(channel="C01VISITS")["members"]


def test_records_are_copies(slack: SlackStandIn, client: WebClient) -> None:
    client.chat_postMessage(channel="C01VISITS", text="x")
    slack.messages("C01VISITS")[0]["text"] = "changed"
    assert slack.messages("C01VISITS")[0]["text"] == "x"


def test_wait_for_times_out(slack: SlackStandIn) -> None:
    with pytest.raises(TimeoutError):
        slack.wait_for(lambda s: s.calls_to("chat.update"), timeout=0.05)
