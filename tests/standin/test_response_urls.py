"""response_urls: recorded, shown where Slack shows them, limited in time and uses."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.offline.standin import ManualClock, SlackStandIn

BUTTON_BLOCKS = [
    {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "ack",
                "text": {"type": "plain_text", "text": "Acknowledge"},
            }
        ],
    }
]


def test_post_is_recorded_as_an_ephemeral_response(slack: SlackStandIn) -> None:
    url = slack.new_response_url(channel_id="C01VISITS", user_id="U02DCS")
    answer = WebhookClient(url).send(text="Only you can see this")
    assert answer.status_code == 200
    response = slack.responses[-1]
    assert (response.text, response.response_type, response.user_id) == (
        "Only you can see this",
        "ephemeral",
        "U02DCS",
    )
    assert slack.ephemerals[-1]["text"] == "Only you can see this"
    assert slack.messages("C01VISITS") == []


def test_in_channel_response_is_posted(slack: SlackStandIn) -> None:
    url = slack.new_response_url(channel_id="C01VISITS", user_id="U02DCS")
    WebhookClient(url).send(text="Everyone sees this", response_type="in_channel")
    assert slack.messages("C01VISITS")[-1]["text"] == "Everyone sees this"


def test_replace_and_delete_original(client: WebClient, slack: SlackStandIn) -> None:
    ts = client.chat_postMessage(channel="C01VISITS", text="Due Friday", blocks=BUTTON_BLOCKS)["ts"]
    url = slack.new_response_url(channel_id="C01VISITS", user_id="U02DCS", message_ts=ts)
    WebhookClient(url).send(text="Acknowledged by Dana", blocks=[], replace_original=True)
    assert slack.message("C01VISITS", ts)["text"] == "Acknowledged by Dana"
    assert slack.message("C01VISITS", ts)["blocks"] == []
    WebhookClient(url).send_dict({"delete_original": True})
    assert slack.messages("C01VISITS") == []


def test_five_uses_then_used_url(slack: SlackStandIn) -> None:
    url = slack.new_response_url(channel_id="C01VISITS")
    statuses = [WebhookClient(url).send(text=str(i)).status_code for i in range(6)]
    assert statuses == [200] * 5 + [404]


def test_expires_after_thirty_minutes(clock: ManualClock) -> None:
    with SlackStandIn(clock=clock) as slack:
        url = slack.new_response_url(channel_id="C01VISITS")
        clock.advance(30 * 60 + 1)
        answer = WebhookClient(url).send(text="too late")
        assert answer.status_code == 404 and "expired_url" in answer.body


def test_empty_response_is_refused(slack: SlackStandIn) -> None:
    url = slack.new_response_url(channel_id="C01VISITS")
    assert WebhookClient(url).send_dict({"response_type": "ephemeral"}).status_code == 400
    assert slack.responses == []
