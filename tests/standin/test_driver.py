"""SlackDriver against a real Bolt App served over HTTP, with the stand-in as its Web API."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from slack_bolt import App
from slack_sdk import WebClient

from bot.offline.standin import SlackStandIn
from bot.offline.standin.boltserver import serve_bolt
from bot.offline.standin.driver import Delivery, SlackDriver
from tests.standin.conftest import refused_deliveries

SECRET = "test-signing-secret"
NEW_VISIT = {
    "type": "modal",
    "callback_id": "new_visit",
    "private_metadata": "from=command",
    "title": {"type": "plain_text", "text": "New visit"},
    "submit": {"type": "plain_text", "text": "Create"},
    "blocks": [
        {
            "type": "input",
            "block_id": "la",
            "label": {"type": "plain_text", "text": "Council"},
            "element": {"type": "plain_text_input", "action_id": "name"},
        },
        {
            "type": "input",
            "block_id": "kind",
            "label": {"type": "plain_text", "text": "Visit type"},
            "element": {
                "type": "static_select",
                "action_id": "type",
                "options": [
                    {
                        "text": {"type": "plain_text", "text": "Focused visit"},
                        "value": "focused_visit",
                    }
                ],
            },
        },
        {
            "type": "input",
            "block_id": "letter",
            "label": {"type": "plain_text", "text": "Letter date"},
            "element": {"type": "datepicker", "action_id": "date"},
        },
    ],
}
REMINDER_BLOCKS = [
    {
        "type": "section",
        "block_id": "what",
        "text": {"type": "mrkdwn", "text": "Complaint window closes"},
    },
    {
        "type": "actions",
        "block_id": "buttons",
        "elements": [
            {
                "type": "button",
                "action_id": "acknowledge",
                "value": "milestone:7",
                "style": "primary",
                "text": {"type": "plain_text", "text": "Acknowledge"},
            }
        ],
    },
]


@dataclass
class Bot:
    app: App
    url: str
    driver: SlackDriver
    seen: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def bot(slack: SlackStandIn) -> Iterator[Bot]:
    app = App(signing_secret=SECRET, client=WebClient(token=slack.token, base_url=slack.api_url))
    with serve_bolt(app) as url:
        yield Bot(app=app, url=url, driver=SlackDriver(url, SECRET, slack))


def test_slash_command_is_accepted_and_can_open_a_modal(bot: Bot, slack: SlackStandIn) -> None:
    @bot.app.command("/ofsted")
    def handle_command(ack, command, client):
        ack(text=f"Working on `{command['text']}`")
        bot.seen.append(command)
        client.views_open(trigger_id=command["trigger_id"], view=NEW_VISIT)

    answer = bot.driver.slash_command("new", user_id="U01QAOFFICER", channel_id="C01VISITS")
    assert answer.status == 200 and answer.within_ack_deadline
    assert answer.text == "Working on `new`"
    slack.wait_for(lambda s: s.views)
    command = bot.seen[0]
    assert command["user_name"] == "priya.shah" and command["channel_name"] == "ofsted-visits"
    assert command["team_id"] == slack.team_id and command["response_url"].startswith(
        slack.base_url
    )
    assert slack.responses[0].via == "ack" and slack.responses[0].text == "Working on `new`"


@refused_deliveries
def test_unsigned_or_stale_requests_are_refused(
    bot: Bot, slack: SlackStandIn, delivery: Delivery
) -> None:
    @bot.app.command("/ofsted")
    def handle_command(ack, command):
        bot.seen.append(command)
        ack()

    answer = bot.driver.slash_command(
        "list", user_id="U02DCS", channel_id="C01VISITS", delivery=delivery
    )
    assert answer.status == 401
    assert bot.seen == []


def test_button_click_on_a_posted_message(bot: Bot, slack: SlackStandIn) -> None:
    @bot.app.action("acknowledge")
    def handle_acknowledge(ack, body, action, respond):
        ack()
        bot.seen.append(body)
        respond(text=f"Acknowledged by <@{body['user']['id']}>", replace_original=True)

    client = WebClient(token=slack.token, base_url=slack.api_url)
    ts = client.chat_postMessage(channel="C01VISITS", text="Reminder", blocks=REMINDER_BLOCKS)["ts"]
    message = slack.message("C01VISITS", ts)
    answer = bot.driver.block_action(
        user_id="U02DCS",
        action_id="acknowledge",
        value="milestone:7",
        message=message,
        channel_id="C01VISITS",
    )
    assert answer.status == 200
    slack.wait_for(lambda s: s.responses)
    body = bot.seen[0]
    assert body["type"] == "block_actions"
    assert (
        body["actions"][0]["block_id"] == "buttons" and body["actions"][0]["value"] == "milestone:7"
    )
    assert body["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": "C01VISITS",
        "is_ephemeral": False,
    }
    assert slack.message("C01VISITS", ts)["text"] == "Acknowledged by <@U02DCS>"


def test_view_submission_values_and_closing(bot: Bot, slack: SlackStandIn) -> None:
    @bot.app.view("new_visit")
    def handle_new_visit(ack, view):
        values = view["state"]["values"]
        bot.seen.append(values)
        if not values["la"]["name"]["value"]:
            ack(response_action="errors", errors={"la": "Which council?"})
        else:
            ack()

    client = WebClient(token=slack.token, base_url=slack.api_url)
    view_id = client.views_open(
        trigger_id=slack.new_trigger_id(user_id="U01QAOFFICER"), view=NEW_VISIT
    )["view"]["id"]
    values = {
        "la": {"name": ""},
        "kind": {"type": "focused_visit"},
        "letter": {"date": "2024-05-01"},
    }
    refused = bot.driver.view_submission(user_id="U01QAOFFICER", view=view_id, values=values)
    assert refused.json()["response_action"] == "errors"
    assert view_id in slack.views
    values["la"]["name"] = "Kent"
    assert (
        bot.driver.view_submission(user_id="U01QAOFFICER", view=view_id, values=values).status
        == 200
    )
    assert slack.views == {}
    state = bot.seen[-1]
    assert state["la"]["name"] == {"type": "plain_text_input", "value": "Kent"}
    assert state["kind"]["type"]["selected_option"]["value"] == "focused_visit"
    assert state["letter"]["date"] == {"type": "datepicker", "selected_date": "2024-05-01"}


def test_view_closed(bot: Bot, slack: SlackStandIn) -> None:
    @bot.app.view_closed("new_visit")
    def handle_closed(ack, body):
        ack()
        bot.seen.append(body)

    client = WebClient(token=slack.token, base_url=slack.api_url)
    view = client.views_open(
        trigger_id=slack.new_trigger_id(), view={**NEW_VISIT, "notify_on_close": True}
    )
    assert bot.driver.view_closed(user_id="U01QAOFFICER", view=view["view"]["id"]).status == 200
    assert bot.seen[0]["view"]["private_metadata"] == "from=command"
    assert slack.views == {}


def test_app_home_opened_event(bot: Bot, slack: SlackStandIn) -> None:
    @bot.app.event("app_home_opened")
    def handle_home(event, client):
        client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Nothing due"}}],
            },
        )

    assert bot.driver.app_home_opened(user_id="U02DCS").status == 200
    home = slack.wait_for(lambda s: s.home_views.get("U02DCS"))
    assert home["blocks"][0]["text"]["text"] == "Nothing due"


def test_shared_file_can_be_downloaded_with_the_token(bot: Bot, slack: SlackStandIn) -> None:
    @bot.app.event("message")
    def handle_message(event, context):
        info = event["files"][0]
        request = urllib.request.Request(
            info["url_private_download"], headers={"Authorization": f"Bearer {context.bot_token}"}
        )
        with urllib.request.urlopen(request, timeout=5) as download:
            bot.seen.append(
                {"subtype": event.get("subtype"), "name": info["name"], "content": download.read()}
            )

    answers = bot.driver.share_file(
        content=b"Dear Director ...",
        filename="letter.txt",
        user_id="U01QAOFFICER",
        channel_id="C01VISITS",
        text="New letter",
    )
    assert [a.status for a in answers] == [200]
    slack.wait_for(lambda s: bot.seen)
    assert bot.seen == [
        {"subtype": "file_share", "name": "letter.txt", "content": b"Dear Director ..."}
    ]
    assert slack.messages("C01VISITS")[-1]["files"][0]["name"] == "letter.txt"


def test_url_verification(bot: Bot) -> None:
    answer = bot.driver.url_verification(
        challenge="3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    )
    assert answer.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_retries_carry_slacks_headers_and_the_same_event(bot: Bot) -> None:
    @bot.app.event("app_mention")
    def handle_mention(event, request):
        bot.seen.append(
            {
                "retry": request.headers.get("x-slack-retry-num"),
                "event_id": request.body["event_id"],
            }
        )

    first = bot.driver.event(
        {
            "type": "app_mention",
            "user": "U02DCS",
            "text": "<@U0STANDINBOT> hi",
            "channel": "C01VISITS",
            "ts": "1700000000.000100",
        }
    )
    retry = bot.driver.redeliver(first, retry_num=1, reason="http_timeout")
    assert (first.status, retry.status) == (200, 200)
    bot.driver.slack.wait_for(lambda s: len(bot.seen) == 2)
    assert sorted(bot.seen, key=lambda s: s["retry"] or [""]) == [
        {"retry": None, "event_id": first.payload["event_id"]},
        {"retry": ["1"], "event_id": first.payload["event_id"]},
    ]


def test_click_on_an_ephemeral_message(bot: Bot, slack: SlackStandIn) -> None:
    @bot.app.action("acknowledge")
    def handle_acknowledge(ack, body, respond):
        ack()
        bot.seen.append(body)
        respond(text="Done", replace_original=True)

    client = WebClient(token=slack.token, base_url=slack.api_url)
    client.chat_postEphemeral(
        channel="C01VISITS", user="U02DCS", text="Only you", blocks=REMINDER_BLOCKS
    )
    ephemeral = slack.ephemerals[-1]
    bot.driver.block_action(user_id="U02DCS", action_id="acknowledge", message=ephemeral)
    slack.wait_for(lambda s: s.responses)
    assert "message" not in bot.seen[0]
    assert bot.seen[0]["container"]["is_ephemeral"] is True
    assert slack.ephemerals[-1]["text"] == "Done"


def test_action_inside_a_modal_carries_its_state(bot: Bot, slack: SlackStandIn) -> None:
    @bot.app.action("type")
    def handle_type(ack, body):
        ack()
        bot.seen.append(body)

    client = WebClient(token=slack.token, base_url=slack.api_url)
    view = client.views_open(trigger_id=slack.new_trigger_id(), view=NEW_VISIT)["view"]
    answer = bot.driver.block_action(
        user_id="U01QAOFFICER",
        action_id="type",
        value="focused_visit",
        view=view["id"],
        values={"la": {"name": "Kent"}},
    )
    assert answer.status == 200
    slack.wait_for(lambda s: bot.seen)
    body = bot.seen[0]
    assert body["container"] == {"type": "view", "view_id": view["id"]}
    assert body["actions"][0]["selected_option"]["value"] == "focused_visit"
    assert body["view"]["state"]["values"]["la"]["name"]["value"] == "Kent"
    assert "response_url" not in body
