"""views.open and views.publish, and trigger_ids: lifetimes, one exchange each."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.offline.standin import ManualClock, SlackStandIn


def modal(title: str = "New visit", **extra: object) -> dict:
    return {
        "type": "modal",
        "callback_id": "new_visit",
        "title": {"type": "plain_text", "text": title},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hello"}}],
        **extra,
    }


HOME = {
    "type": "home",
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Due soon"}}],
}


@pytest.fixture
def timed(clock: ManualClock):
    with SlackStandIn(clock=clock) as slack:
        yield slack, WebClient(token=slack.token, base_url=slack.api_url)


def test_open_returns_and_records_the_view(client: WebClient, slack: SlackStandIn) -> None:
    view = client.views_open(
        trigger_id=slack.new_trigger_id(user_id="U02DCS"), view=modal(private_metadata="visit=1")
    )["view"]
    assert view["id"].startswith("V") and view["hash"]
    assert view["callback_id"] == "new_visit" and view["private_metadata"] == "visit=1"
    assert view["root_view_id"] == view["id"]
    assert view["state"] == {"values": {}}
    assert slack.views[view["id"]]["title"]["text"] == "New visit"


def test_unknown_trigger(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as failure:
        client.views_open(trigger_id="12345.98765.abcd2358fdea", view=modal())
    assert failure.value.response["error"] == "invalid_trigger_id"


def test_trigger_expires_after_three_seconds(
    timed: tuple[SlackStandIn, WebClient], clock: ManualClock
) -> None:
    slack, client = timed
    trigger = slack.new_trigger_id(user_id="U02DCS")
    clock.advance(3.01)
    with pytest.raises(SlackApiError) as failure:
        client.views_open(trigger_id=trigger, view=modal())
    assert failure.value.response["error"] == "expired_trigger_id"


def test_trigger_works_once(client: WebClient, slack: SlackStandIn) -> None:
    trigger = slack.new_trigger_id(user_id="U02DCS")
    client.views_open(trigger_id=trigger, view=modal())
    with pytest.raises(SlackApiError) as failure:
        client.views_open(trigger_id=trigger, view=modal())
    assert failure.value.response["error"] == "exchanged_trigger_id"


def test_trigger_lifetime_is_configurable() -> None:
    with SlackStandIn(trigger_ttl=0.0) as slack:
        client = WebClient(token=slack.token, base_url=slack.api_url)
        trigger = slack.new_trigger_id()
        with pytest.raises(SlackApiError) as failure:
            client.views_open(trigger_id=trigger, view=modal())
        assert failure.value.response["error"] == "expired_trigger_id"


@pytest.mark.parametrize(
    "view",
    [
        modal(title="x" * 25),
        {"type": "modal", "blocks": []},
        modal(
            blocks=[
                {
                    "type": "input",
                    "label": {"type": "plain_text", "text": "LA"},
                    "element": {"type": "plain_text_input", "action_id": "la"},
                }
            ]
        ),
        modal(private_metadata="m" * 3001),
        {**modal(), "blocks": [{"type": "divider"}] * 101},
    ],
    ids=["title-25-chars", "no-title", "input-without-submit", "metadata-3001", "101-blocks"],
)
def test_views_slack_would_refuse(client: WebClient, slack: SlackStandIn, view: dict) -> None:
    with pytest.raises(SlackApiError) as failure:
        client.views_open(trigger_id=slack.new_trigger_id(), view=view)
    assert failure.value.response["error"] == "invalid_arguments"


def test_a_closed_modal_is_gone(client: WebClient, slack: SlackStandIn) -> None:
    view = client.views_open(trigger_id=slack.new_trigger_id(), view=modal())["view"]
    slack.close_view(view["id"])
    assert slack.views == {}


def test_publish_home(client: WebClient, slack: SlackStandIn) -> None:
    first = client.views_publish(user_id="U01QAOFFICER", view=HOME)["view"]
    again = client.views_publish(user_id="U01QAOFFICER", view=HOME)["view"]
    assert again["id"] == first["id"]
    assert slack.home_views["U01QAOFFICER"]["blocks"] == HOME["blocks"]
    with pytest.raises(SlackApiError) as failure:
        client.views_publish(user_id="U01QAOFFICER", view=modal())
    assert failure.value.response["error"] == "invalid_arguments"
