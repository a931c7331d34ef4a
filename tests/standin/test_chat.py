"""chat.* through slack_sdk: what is stored, returned and refused."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.offline.standin import SlackStandIn
from bot.offline.standin.ids import ts_micros

SECTION = {
    "type": "section",
    "text": {"type": "mrkdwn", "text": "Complaint window closes *Friday*"},
}
METADATA = {"event_type": "milestone_reminder", "event_payload": {"milestone_id": 7}}


def test_post_message_returns_channel_ts_and_message(
    client: WebClient, slack: SlackStandIn
) -> None:
    answer = client.chat_postMessage(channel="C01VISITS", text="Reminder", blocks=[SECTION])
    assert answer["channel"] == "C01VISITS"
    assert answer["message"]["text"] == "Reminder"
    assert answer["message"]["blocks"] == [SECTION]
    assert answer["message"]["bot_id"]
    stored = slack.messages("C01VISITS")
    assert [m["ts"] for m in stored] == [answer["ts"]]


def test_ts_values_are_unique_and_increasing(client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel="C01VISITS", text=str(i))["ts"] for i in range(20)]
    assert len(set(stamps)) == 20
    assert [ts_micros(t) for t in stamps] == sorted(ts_micros(t) for t in stamps)
    seconds, decimals = stamps[0].split(".")
    assert len(seconds) == 10 and len(decimals) == 6


def test_post_to_channel_name_and_to_user(client: WebClient, slack: SlackStandIn) -> None:
    assert client.chat_postMessage(channel="#ofsted-visits", text="a")["channel"] == "C01VISITS"
    dm = client.chat_postMessage(channel="U02DCS", text="b")["channel"]
    assert dm.startswith("D")
    assert slack.messages("U02DCS")[-1]["text"] == "b"
    assert slack.dm_channel("U02DCS") == dm


def test_unknown_channel(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as failure:
        client.chat_postMessage(channel="C0NOWHERE", text="x")
    assert failure.value.response["error"] == "channel_not_found"


def test_no_text(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as failure:
        client.api_call("chat.postMessage", json={"channel": "C01VISITS"})
    assert failure.value.response["error"] == "no_text"


@pytest.mark.parametrize(
    "blocks",
    [
        [SECTION] * 51,
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        [{"type": "header", "text": {"type": "mrkdwn", "text": "not plain"}}],
        [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "a",
                        "text": {"type": "plain_text", "text": "y" * 76},
                    }
                ],
            }
        ],
        [
            {"type": "section", "block_id": "same", "text": {"type": "plain_text", "text": "1"}},
            {"type": "section", "block_id": "same", "text": {"type": "plain_text", "text": "2"}},
        ],
        [{"text": "no type"}],
    ],
    ids=[
        "51-blocks",
        "section-3001-chars",
        "header-mrkdwn",
        "button-text-76",
        "duplicate-block-id",
        "no-type",
    ],
)
def test_blocks_slack_would_refuse(client: WebClient, slack: SlackStandIn, blocks: list) -> None:
    with pytest.raises(SlackApiError) as failure:
        client.chat_postMessage(channel="C01VISITS", text="x", blocks=blocks)
    assert failure.value.response["error"] == "invalid_blocks"
    assert failure.value.response["response_metadata"]["messages"][0].startswith("[ERROR]")
    assert slack.messages("C01VISITS") == []


def test_fifty_blocks_and_3000_characters_are_fine(client: WebClient) -> None:
    full = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3000}}
    assert client.chat_postMessage(channel="C01VISITS", text="x", blocks=[full] * 50)["ok"]


def test_metadata_is_stored_and_validated(client: WebClient, slack: SlackStandIn) -> None:
    client.chat_postMessage(channel="C01VISITS", text="x", metadata=METADATA)
    assert slack.messages("C01VISITS")[-1]["metadata"] == METADATA
    with pytest.raises(SlackApiError) as failure:
        client.chat_postMessage(channel="C01VISITS", text="x", metadata={"event_payload": {}})
    assert failure.value.response["error"] == "invalid_metadata_format"


def test_thread_replies_update_the_parent(client: WebClient, slack: SlackStandIn) -> None:
    parent = client.chat_postMessage(channel="C01VISITS", text="parent")["ts"]
    reply = client.chat_postMessage(channel="C01VISITS", text="reply", thread_ts=parent)
    assert reply["message"]["thread_ts"] == parent
    stored_parent = slack.message("C01VISITS", parent)
    assert stored_parent["reply_count"] == 1
    assert stored_parent["latest_reply"] == reply["ts"]


def test_post_ephemeral(client: WebClient, slack: SlackStandIn) -> None:
    answer = client.chat_postEphemeral(channel="C01VISITS", user="U01QAOFFICER", text="only you")
    assert answer["message_ts"]
    assert slack.ephemerals[-1]["user"] == "U01QAOFFICER"
    assert slack.messages("C01VISITS") == []


def test_update_keeps_blocks_not_sent_and_marks_edited(
    client: WebClient, slack: SlackStandIn
) -> None:
    ts = client.chat_postMessage(channel="C01VISITS", text="before", blocks=[SECTION])["ts"]
    answer = client.chat_update(channel="C01VISITS", ts=ts, text="after")
    assert answer["ts"] == ts and answer["text"] == "after"
    stored = slack.message("C01VISITS", ts)
    assert stored["text"] == "after" and stored["blocks"] == [SECTION]
    assert stored["edited"]["user"] == slack.bot_user_id
    client.chat_update(channel="C01VISITS", ts=ts, text="after", blocks=[])
    assert slack.message("C01VISITS", ts)["blocks"] == []


def test_update_unknown_ts_and_other_peoples_messages(
    client: WebClient, slack: SlackStandIn
) -> None:
    with pytest.raises(SlackApiError) as failure:
        client.chat_update(channel="C01VISITS", ts="1700000000.000100", text="x")
    assert failure.value.response["error"] == "message_not_found"
    theirs = slack.post_as_user("C01VISITS", user_id="U02DCS", text="mine")
    with pytest.raises(SlackApiError) as failure:
        client.chat_update(channel="C01VISITS", ts=theirs["ts"], text="x")
    assert failure.value.response["error"] == "cant_update_message"
