"""conversations.open (a DM with one person), .history and .members."""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from typing import Any, TypeVar

from bot.offline.standin.arguments import Args
from bot.offline.standin.errors import SlackError
from bot.offline.standin.ids import ts_micros
from bot.offline.standin.workspace import Workspace, ts_in_range

DEFAULT_LIMIT = 100
MAX_LIMIT = 999

T = TypeVar("T")


def open_conversation(ws: Workspace, args: Args) -> dict[str, Any]:
    if args.text("channel"):
        channel_id = ws.resolve_channel(args.text("channel"))
        return {"channel": {"id": channel_id}, "no_op": True, "already_open": True}
    user_ids = [u for u in args.ids("users") if u != ws.bot_user_id]
    if not user_ids:
        raise SlackError("users_list_not_supplied")
    if len(user_ids) > 1:  # the bot only opens DMs; group DMs are left out of the stand-in
        raise SlackError("invalid_arguments", messages=["the stand-in opens DMs with one person"])
    channel_id, already_open = ws.open_dm(user_ids[0])
    channel = (
        copy.deepcopy(ws.channels[channel_id]) if args.flag("return_im") else {"id": channel_id}
    )
    return {"channel": channel, "no_op": already_open, "already_open": already_open}


def _bound(args: Args, name: str, error: str) -> int | None:
    value = args.text(name)
    if value is None:
        return None
    try:
        return ts_micros(value)
    except ValueError:
        raise SlackError(error) from None


def shown(message: dict[str, Any], *, with_metadata: bool) -> dict[str, Any]:
    """Metadata is only returned to those who ask (include_all_metadata)."""
    copied = copy.deepcopy(message)
    if not with_metadata:
        copied.pop("metadata", None)
    return copied


def _page(
    items: list[T], args: Args, *, name_of: Callable[[T], str]
) -> tuple[list[T], str]:
    """One page of `limit` items (default 100). Slack's cursors are base64 of a name for the
    first item of the next page: `next_ts:<micros>` in history, `user:<id>` in members."""
    limit = max(1, min(args.integer("limit", default=DEFAULT_LIMIT), MAX_LIMIT))
    start = 0
    cursor = args.text("cursor")
    if cursor:
        try:
            wanted = base64.b64decode(cursor, validate=True).decode()
            start = [name_of(item) for item in items].index(wanted)
        except (ValueError, UnicodeDecodeError):
            raise SlackError("invalid_cursor") from None
    page, rest = items[start : start + limit], items[start + limit :]
    next_cursor = base64.b64encode(name_of(rest[0]).encode()).decode() if rest else ""
    return page, next_cursor


def history(ws: Workspace, args: Args) -> dict[str, Any]:
    channel_id = ws.resolve_channel(args.text("channel"))
    oldest = _bound(args, "oldest", "invalid_ts_oldest")
    latest = _bound(args, "latest", "invalid_ts_latest")
    inclusive = args.flag("inclusive")
    with_metadata = args.flag("include_all_metadata")
    visible = [m for m in ws.history.get(channel_id, []) if m.get("thread_ts") in (None, m["ts"])]
    in_range = [
        m
        for m in visible
        if ts_in_range(m["ts"], oldest=oldest, latest=latest, inclusive=inclusive)
    ]
    newest_first = sorted(in_range, key=lambda m: ts_micros(m["ts"]), reverse=True)
    page, next_cursor = _page(
        newest_first, args, name_of=lambda m: f"next_ts:{ts_micros(m['ts'])}"
    )
    body: dict[str, Any] = {
        "messages": [shown(m, with_metadata=with_metadata) for m in page],
        "has_more": bool(next_cursor),
        "pin_count": 0,
        "channel_actions_ts": None,
        "channel_actions_count": 0,
        "response_metadata": {"next_cursor": next_cursor},
    }
    if args.text("latest"):
        body["latest"] = args.text("latest")
    return body


def members(ws: Workspace, args: Args) -> dict[str, Any]:
    channel_id = ws.resolve_channel(args.text("channel"))
    ids = ws.channel_members(channel_id)
    page, next_cursor = _page(ids, args, name_of=lambda user_id: f"user:{user_id}")
    return {"members": page, "response_metadata": {"next_cursor": next_cursor}}


METHODS = {
    "conversations.open": open_conversation,
    "conversations.history": history,
    "conversations.members": members,
}
