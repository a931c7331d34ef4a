"""What Slack sends to an app's request URL, built from plain values (pure functions).

Shapes follow Slack's slash command form, `block_actions`, `view_submission`,
`view_closed` and Events API `event_callback` payloads.
"""

from __future__ import annotations

import copy
import time
from typing import Any

# The deprecated verification token Slack still puts in every payload; Bolt ignores it.
VERIFICATION_TOKEN = "standinVerificationToken"

# element type -> how a chosen value appears in actions and in view state
_SINGLE_OPTION = {"static_select", "external_select", "radio_buttons", "overflow"}
_MULTI_OPTION = {"multi_static_select", "multi_external_select", "checkboxes"}
_SELECTED = {
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "multi_users_select": "selected_users",
    "multi_conversations_select": "selected_conversations",
    "multi_channels_select": "selected_channels",
}


def team(*, team_id: str, team_domain: str) -> dict[str, str]:
    return {"id": team_id, "domain": team_domain}


def user(*, user_id: str, user_name: str, team_id: str) -> dict[str, str]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


def slash_command(
    *,
    text: str,
    command: str,
    user_id: str,
    user_name: str,
    channel_id: str,
    channel_name: str,
    team_id: str,
    team_domain: str,
    api_app_id: str,
    response_url: str,
    trigger_id: str,
) -> dict[str, str]:
    """The form fields of a slash command request, in Slack's order."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def find_element(
    blocks: list[dict[str, Any]], *, action_id: str, block_id: str | None = None
) -> tuple[str | None, dict[str, Any] | None]:
    """(block_id, element) of the interactive element with `action_id`, if the blocks have it."""
    for block in blocks or []:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        candidates = [*block.get("elements", []), block.get("accessory"), block.get("element")]
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return block.get("block_id"), element
    return block_id, None


def _option(element: dict[str, Any] | None, value: Any) -> dict[str, Any]:
    for option in (element or {}).get("options", []):
        if option.get("value") == value:
            return copy.deepcopy(option)
    return {"text": {"type": "plain_text", "text": str(value), "emoji": True}, "value": value}


def selection(element: dict[str, Any] | None, value: Any, *, default_type: str) -> dict[str, Any]:
    """`{"type": ..., <the field Slack uses for this element>: value}`."""
    kind = (element or {}).get("type", default_type)
    chosen: dict[str, Any] = {"type": kind}
    if kind in _SINGLE_OPTION:
        chosen["selected_option"] = None if value is None else _option(element, value)
    elif kind in _MULTI_OPTION:
        chosen["selected_options"] = [_option(element, v) for v in (value or [])]
    elif kind in _SELECTED:
        chosen[_SELECTED[kind]] = value
    else:
        chosen["value"] = value
    return chosen


def action(
    *, element: dict[str, Any] | None, action_id: str, block_id: str | None, value: Any
) -> dict[str, Any]:
    if value is None and (element or {}).get("type", "button") == "button":
        # A button's click carries the value the button was built with, as on Slack.
        value = (element or {}).get("value")
    chosen = selection(element, value, default_type="button")
    result = {
        "action_id": action_id,
        "block_id": block_id or "",
        **chosen,
        "action_ts": f"{time.time():.6f}",
    }
    if chosen["type"] == "button":
        result["text"] = copy.deepcopy((element or {}).get("text")) or {
            "type": "plain_text",
            "text": action_id,
            "emoji": True,
        }
        if element and element.get("style"):
            result["style"] = element["style"]
        if value is None:
            result.pop("value")
    return result


def _interaction(
    kind: str, *, user: dict[str, str], team: dict[str, str], api_app_id: str, **fields: Any
) -> dict[str, Any]:
    """What every interactivity payload carries, then its own fields."""
    return {
        "type": kind,
        "user": user,
        "team": team,
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "enterprise": None,
        "is_enterprise_install": False,
        **fields,
    }


def block_actions(
    *,
    user: dict[str, str],
    team: dict[str, str],
    api_app_id: str,
    trigger_id: str,
    actions: list[dict[str, Any]],
    container: dict[str, Any],
    channel: dict[str, str] | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    response_url: str | None = None,
) -> dict[str, Any]:
    payload = _interaction(
        "block_actions",
        user=user,
        team=team,
        api_app_id=api_app_id,
        container=container,
        trigger_id=trigger_id,
    )
    if channel is not None:
        payload["channel"] = channel
    if message is not None:
        payload["message"] = message
        payload["state"] = {"values": {}}
    if view is not None:
        payload["view"] = view
    if response_url is not None:
        payload["response_url"] = response_url
    payload["actions"] = actions
    return payload


def state_values(view: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Slack's `view.state.values` from `{block_id: {action_id: value}}`.

    A plain value is shaped by the element the view declares (a select's option, a
    datepicker's selected_date, ...); a dict is taken as the state entry itself.
    """
    state: dict[str, Any] = {}
    for block_id, by_action in values.items():
        for action_id, value in by_action.items():
            if isinstance(value, dict):
                entry = copy.deepcopy(value)
            else:
                _, element = find_element(
                    view.get("blocks", []), action_id=action_id, block_id=block_id
                )
                entry = selection(element, value, default_type="plain_text_input")
            state.setdefault(block_id, {})[action_id] = entry
    return state


def view_submission(
    *,
    user: dict[str, str],
    team: dict[str, str],
    api_app_id: str,
    trigger_id: str,
    view: dict[str, Any],
    values: dict[str, Any],
) -> dict[str, Any]:
    return _interaction(
        "view_submission",
        user=user,
        team=team,
        api_app_id=api_app_id,
        trigger_id=trigger_id,
        view={**copy.deepcopy(view), "state": {"values": values}},
        response_urls=[],
    )


def view_closed(
    *,
    user: dict[str, str],
    team: dict[str, str],
    api_app_id: str,
    view: dict[str, Any],
    is_cleared: bool = False,
) -> dict[str, Any]:
    return _interaction(
        "view_closed",
        user=user,
        team=team,
        api_app_id=api_app_id,
        view=copy.deepcopy(view),
        is_cleared=is_cleared,
    )


def event_callback(
    event: dict[str, Any],
    *,
    team_id: str,
    api_app_id: str,
    bot_user_id: str,
    event_id: str,
    event_time: int,
) -> dict[str, Any]:
    """The Events API envelope around one event."""
    inner = {**copy.deepcopy(event)}
    inner.setdefault("event_ts", f"{event_time}.000000")
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": inner,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{event_id}",
    }


def url_verification(*, challenge: str) -> dict[str, str]:
    return {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}


def app_home_opened_event(
    *, user_id: str, channel_id: str, view: dict[str, Any] | None = None, tab: str = "home"
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel_id,
        "tab": tab,
    }
    if view is not None:
        event["view"] = copy.deepcopy(view)
    return event


def member_channel_event(
    *, joined: bool, user_id: str, channel_id: str, channel_type: str, team_id: str
) -> dict[str, Any]:
    """member_joined_channel / member_left_channel: someone joined or left a channel."""
    return {
        "type": "member_joined_channel" if joined else "member_left_channel",
        "user": user_id,
        "channel": channel_id,
        "channel_type": channel_type,
        "team": team_id,
    }



def message_event(message: dict[str, Any], *, channel_id: str, channel_type: str) -> dict[str, Any]:
    """A stored message as the `message` event that announces it."""
    event = {k: copy.deepcopy(v) for k, v in message.items() if k != "channel"}
    event.update(
        type="message", channel=channel_id, channel_type=channel_type, event_ts=message["ts"]
    )
    return event
