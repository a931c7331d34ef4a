"""conversations.open, .history and .members."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.offline.standin import SlackStandIn

METADATA = {"event_type": "visit_created", "event_payload": {"visit_id": 3}}


def post(client: WebClient, count: int, channel: str = "C01VISITS") -> list[str]:
    return [
        client.chat_postMessage(channel=channel, text=f"m{i}", metadata=METADATA)["ts"]
        for i in range(count)
    ]


def test_history_is_newest_first(client: WebClient) -> None:
    stamps = post(client, 3)
    answer = client.conversations_history(channel="C01VISITS")
    assert [m["ts"] for m in answer["messages"]] == stamps[::-1]
    assert answer["has_more"] is False


def test_metadata_only_when_asked(client: WebClient) -> None:
    post(client, 1)
    plain = client.conversations_history(channel="C01VISITS")["messages"][0]
    assert "metadata" not in plain
    asked = client.conversations_history(channel="C01VISITS", include_all_metadata=True)
    assert asked["messages"][0]["metadata"] == METADATA


def test_oldest_latest_inclusive(client: WebClient) -> None:
    stamps = post(client, 5)
    window = client.conversations_history(channel="C01VISITS", oldest=stamps[1], latest=stamps[3])
    assert [m["ts"] for m in window["messages"]] == [stamps[2]]
    inclusive = client.conversations_history(
        channel="C01VISITS", oldest=stamps[1], latest=stamps[3], inclusive=True
    )
    assert [m["ts"] for m in inclusive["messages"]] == [stamps[3], stamps[2], stamps[1]]


def test_invalid_bounds(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as failure:
        client.conversations_history(channel="C01VISITS", oldest="yesterday")
    assert failure.value.response["error"] == "invalid_ts_oldest"


def test_cursor_pagination(client: WebClient) -> None:
    stamps = post(client, 7)
    seen: list[str] = []
    pages = 0
    for page in client.conversations_history(channel="C01VISITS", limit=3):
        pages += 1
        seen += [m["ts"] for m in page["messages"]]
    assert pages == 3
    assert seen == stamps[::-1]
    first = client.conversations_history(channel="C01VISITS", limit=3)
    assert first["has_more"] is True and first["response_metadata"]["next_cursor"]


def test_thread_replies_stay_out_of_history(client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C01VISITS", text="parent")["ts"]
    client.chat_postMessage(channel="C01VISITS", text="reply", thread_ts=parent)
    history = client.conversations_history(channel="C01VISITS")["messages"]
    assert [m["text"] for m in history] == ["parent"]


def test_open_dm_is_stable(client: WebClient) -> None:
    first = client.conversations_open(users="U03HEADOFSERVICE")
    again = client.conversations_open(users="U03HEADOFSERVICE")
    assert first["channel"]["id"].startswith("D")
    assert again["channel"]["id"] == first["channel"]["id"]
    assert again["already_open"] is True
    full = client.conversations_open(users="U03HEADOFSERVICE", return_im=True)["channel"]
    assert full["is_im"] is True and full["user"] == "U03HEADOFSERVICE"


def test_open_a_dm_with_an_unknown_user_or_with_several(client: WebClient) -> None:
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.conversations_open(users="U02DCS,U04COMMS")
    with pytest.raises(SlackApiError) as failure:
        client.conversations_open(users="U0NOBODY")
    assert failure.value.response["error"] == "user_not_found"


@pytest.mark.parametrize("channel", ["C01VISITS", "G01PRIVATE"], ids=["public", "private"])
def test_members_are_paged_with_a_cursor(
    slack: SlackStandIn, client: WebClient, channel: str
) -> None:
    slack.ensure_channel(channel)
    people = [f"U{n:04d}" for n in range(7)]
    for person in people:
        slack.ensure_user(person)
    slack.set_members(channel, people)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = client.conversations_members(channel=channel, limit=3, cursor=cursor)
        seen += page["members"]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"] or None
        if cursor is None:
            break
    assert pages == 3 and sorted(seen) == sorted([slack.bot_user_id, *people])
    with pytest.raises(SlackApiError, match="invalid_cursor"):
        client.conversations_members(channel=channel, cursor="bm90IGEgY3Vyc29y")


def test_members_are_everyone_until_set(slack: SlackStandIn, client: WebClient) -> None:
    assert set(client.conversations_members(channel="C01VISITS")["members"]) == set(
        slack.channel_members("C01VISITS")
    )
    assert "U02DCS" in client.conversations_members(channel="C01VISITS")["members"]
    slack.set_members("C01VISITS", ["U02DCS"])
    assert client.conversations_members(channel="C01VISITS")["members"] == [
        slack.bot_user_id,
        "U02DCS",
    ]


def test_people_and_channels_are_configurable() -> None:
    with SlackStandIn(users={"U9APPROVER": "Ada Approver"}, channels={"C9ONE": "one"}) as slack:
        client = WebClient(token=slack.token, base_url=slack.api_url)
        assert set(client.conversations_members(channel="C9ONE")["members"]) == {
            slack.bot_user_id,
            "U9APPROVER",
        }
        slack.add_user("U9LATE", real_name="Late Joiner", tz="Europe/Paris")
        assert (slack.user("U9LATE") or {})["tz"] == "Europe/Paris"
        assert slack.user("U01QAOFFICER") is None
