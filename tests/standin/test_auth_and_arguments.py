"""Authentication, argument parsing and required arguments, through the real WebClient."""

from __future__ import annotations

import json
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.offline.standin import SlackStandIn
from bot.offline.standin.methods import METHODS
from bot.offline.standin.required import REQUIRED_ARGUMENTS


def raw_post(url: str, body: bytes, headers: dict[str, str]) -> dict:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())


def test_auth_test_describes_the_bot(client: WebClient, slack: SlackStandIn) -> None:
    answer = client.auth_test()
    assert answer["ok"] is True
    assert answer["user_id"] == slack.bot_user_id
    assert answer["team_id"] == slack.team_id
    assert answer["bot_id"].startswith("B")


def test_missing_token_is_not_authed(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as failure:
        WebClient(base_url=slack.api_url).auth_test()
    assert failure.value.response["error"] == "not_authed"


def test_unknown_token_is_invalid_auth(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as failure:
        WebClient(token="xoxb-someone-else", base_url=slack.api_url).chat_postMessage(
            channel="C01VISITS", text="hello"
        )
    assert failure.value.response["error"] == "invalid_auth"
    assert slack.messages("C01VISITS") == []


def test_configured_tokens_are_accepted() -> None:
    with SlackStandIn(bot_tokens=["xoxb-one", "xoxb-two"]) as slack:
        assert WebClient(token="xoxb-two", base_url=slack.api_url).auth_test()["ok"]
        with pytest.raises(SlackApiError):
            WebClient(token="xoxb-standin", base_url=slack.api_url).auth_test()


def test_token_as_form_argument(slack: SlackStandIn) -> None:
    body = f"token={slack.token}&channel=C01VISITS&text=hi".encode()
    answer = raw_post(
        slack.api_url + "chat.postMessage",
        body,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer["ok"] is True


def test_token_inside_a_json_body_is_ignored_as_on_slack(slack: SlackStandIn) -> None:
    body = json.dumps({"token": slack.token, "channel": "C01VISITS", "text": "hi"}).encode()
    answer = raw_post(
        slack.api_url + "chat.postMessage", body, {"Content-Type": "application/json"}
    )
    assert answer == {"ok": False, "error": "not_authed"}


def test_json_string_arguments_are_decoded_from_forms(slack: SlackStandIn) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*due*"}}]
    body = urllib.parse.urlencode(
        {
            "channel": "C01VISITS",
            "blocks": json.dumps(blocks),
            "metadata": json.dumps({"event_type": "t", "event_payload": {}}),
        }
    ).encode()
    raw_post(
        slack.api_url + "chat.postMessage",
        body,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": f"Bearer {slack.token}",
        },
    )
    call = slack.calls_to("chat.postMessage")[-1]
    assert call.args["blocks"] == blocks
    assert slack.messages("C01VISITS")[-1]["blocks"] == blocks


def test_malformed_json_body_is_invalid_json(slack: SlackStandIn) -> None:
    answer = raw_post(
        slack.api_url + "auth.test",
        b"{nope",
        {"Content-Type": "application/json", "Authorization": f"Bearer {slack.token}"},
    )
    assert answer["error"] == "invalid_json"


def test_get_requests_with_query_arguments(slack: SlackStandIn) -> None:
    """slack_sdk sends conversations.history and .members as GET with query arguments."""
    url = f"{slack.api_url}conversations.members?channel=C01VISITS&limit=1"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {slack.token}"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert len(json.loads(answer.read())["members"]) == 1


def test_unknown_method(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as failure:
        client.api_call("chat.sendCarrierPigeon")
    assert failure.value.response.status_code == 404
    assert failure.value.response["error"] == "unknown_method"


@pytest.mark.parametrize(
    ("method", "args", "error"),
    [
        ("chat.postMessage", {"text": "x"}, "channel_not_found"),
        ("chat.postEphemeral", {"channel": "C01VISITS", "text": "x"}, "user_not_in_channel"),
        ("chat.update", {"channel": "C01VISITS", "text": "x"}, "message_not_found"),
        ("conversations.history", {}, "channel_not_found"),
        ("conversations.members", {}, "channel_not_found"),
        ("conversations.open", {}, "users_list_not_supplied"),
        ("views.open", {"view": {"type": "modal"}}, "invalid_arguments"),
        ("views.publish", {"view": {"type": "home", "blocks": []}}, "invalid_arguments"),
        ("files.getUploadURLExternal", {"filename": "a.csv"}, "invalid_arguments"),
        ("files.completeUploadExternal", {}, "invalid_arguments"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_missing_required_arguments(client: WebClient, method: str, args: dict, error: str) -> None:
    with pytest.raises(SlackApiError) as failure:
        client.api_call(method, json=args)
    assert failure.value.response["error"] == error


def test_invalid_arguments_explain_what_is_missing(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as failure:
        client.api_call("views.open", json={"view": {"type": "modal"}})
    assert failure.value.response["response_metadata"]["messages"] == [
        "[ERROR] missing required field: trigger_id"
    ]


def test_every_implemented_method_has_a_row_in_the_required_table() -> None:
    assert set(METHODS) == set(REQUIRED_ARGUMENTS)


def test_only_the_methods_the_bot_calls_are_implemented(client: WebClient) -> None:
    """The stand-in grows with what the bot calls: another method is unknown here."""
    assert len(METHODS) == 12
    with pytest.raises(SlackApiError) as failure:
        client.api_call("users.list")
    assert failure.value.response["error"] == "unknown_method"


def test_listeners_hear_every_call(slack: SlackStandIn, client: WebClient) -> None:
    heard: list[str] = []
    slack.add_listener(lambda record: heard.append(getattr(record, "method", "response")))
    client.auth_test()
    client.chat_postMessage(channel="C01VISITS", text="x")
    assert heard == ["auth.test", "chat.postMessage"]
