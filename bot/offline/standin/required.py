"""Which arguments each Web API method requires, and what Slack answers without them.

Built in rather than read from Slack's OpenAPI spec because `ofsted-bot shell` runs on
laptops without it; tests/standin checks this table against the spec where it exists.
Several methods answer a missing argument with their own error rather than
`invalid_arguments` (chat.postMessage without a channel says `channel_not_found`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.offline.standin.errors import SlackError

INVALID = "invalid_arguments"

REQUIRED_ARGUMENTS: dict[str, dict[str, str]] = {
    "auth.test": {},
    "chat.postMessage": {"channel": "channel_not_found"},
    "chat.postEphemeral": {"channel": "channel_not_found", "user": "user_not_in_channel"},
    "chat.update": {"channel": "channel_not_found", "ts": "message_not_found"},
    "conversations.open": {},
    "conversations.history": {"channel": "channel_not_found"},
    "conversations.members": {"channel": "channel_not_found"},
    "views.open": {"trigger_id": INVALID, "view": INVALID},
    "views.publish": {"user_id": INVALID, "view": INVALID},
    "files.getUploadURLExternal": {"filename": INVALID, "length": INVALID},
    "files.completeUploadExternal": {"files": INVALID},
    "users.info": {"user": "user_not_found"},
}


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and len(value) == 0)


def check_required(method: str, args: Mapping[str, Any]) -> None:
    for name, error in REQUIRED_ARGUMENTS.get(method, {}).items():
        if is_missing(args.get(name)):
            messages = [f"missing required field: {name}"] if error == INVALID else []
            raise SlackError(error, messages=messages)
