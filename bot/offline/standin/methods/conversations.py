"""conversations.open, .history, .replies, .info, .list, .members."""

from __future__ import annotations

import base64
import copy
import time
from typing import Any

from bot.offline.standin import directory
from bot.offline.standin.arguments import Args
from bot.offline.standin.errors import SlackError
from bot.offline.standin.ids import ts_micros
from bot.offline.standin.workspace import Workspace, ts_in_range

DEFAULT_LIMIT = 100
MAX_LIMIT = 999


def open_conversation(ws: Workspace, args: Args) -> dict[str, Any]:
    if args.text("channel"):
        channel_id = ws.resolve_channel(args.text("channel"))
        return {"channel": {"id": channel_id}, "no_op": True, "already_open": True}
    user_ids = [u for u in args.ids("users") if u != ws.bot_user_id]
    if not user_ids:
        raise SlackError("users_list_not_supplied")
    for user_id in user_ids:
        ws.user(user_id)
    if len(user_ids) > 8:
        raise SlackError("too_many_users")
    if len(user_ids) == 1:
        channel_id, already_open = ws.open_dm(user_ids[0])
    else:
        channel_id, already_open = _open_group_dm(ws, sorted(user_ids))
    channel = (
        copy.deepcopy(ws.channels[channel_id]) if args.flag("return_im") else {"id": channel_id}
    )
    return {"channel": channel, "no_op": already_open, "already_open": already_open}


def _open_group_dm(ws: Workspace, user_ids: list[str]) -> tuple[str, bool]:
    for channel_id, channel in ws.channels.items():
        if channel.get("is_mpim") and channel.get("members") == user_ids:
            return channel_id, True
    channel_id = ws.ids.new("G")
    ws.channels[channel_id] = directory.mpim_object(
        channel_id=channel_id, user_ids=user_ids, created=int(time.time())
    )
    ws.history[channel_id] = []
    return channel_id, False


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
    items: list[dict[str, Any]], args: Args, *, newest_first: bool
) -> tuple[list[dict[str, Any]], str]:
    """Slack's cursors are base64 of `next_ts:<ts>`, the first message of the next page."""
    limit = max(1, min(args.integer("limit", default=DEFAULT_LIMIT), MAX_LIMIT))
    cursor = args.text("cursor")
    if cursor:
        try:
            start = int(base64.b64decode(cursor, validate=True).decode().removeprefix("next_ts:"))
        except (ValueError, UnicodeDecodeError):
            raise SlackError("invalid_cursor") from None
        items = [
            m
            for m in items
            if (ts_micros(m["ts"]) <= start if newest_first else ts_micros(m["ts"]) >= start)
        ]
    page, rest = items[:limit], items[limit:]
    next_cursor = (
        base64.b64encode(f"next_ts:{ts_micros(rest[0]['ts'])}".encode()).decode() if rest else ""
    )
    return page, next_cursor


def history(ws: Workspace, args: Args) -> dict[str, Any]:
    channel_id = ws.resolve_channel(args.text("channel"))
    oldest = _bound(args, "oldest", "invalid_ts_oldest")
    latest = _bound(args, "latest", "invalid_ts_latest")
    inclusive = args.flag("inclusive")
    with_metadata = args.flag("include_all_metadata")
    visible = [
        m
        for m in ws.history.get(channel_id, [])
        if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"
    ]
    in_range = [
        m
        for m in visible
        if ts_in_range(m["ts"], oldest=oldest, latest=latest, inclusive=inclusive)
    ]
    newest_first = sorted(in_range, key=lambda m: ts_micros(m["ts"]), reverse=True)
    page, next_cursor = _page(newest_first, args, newest_first=True)
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


def replies(ws: Workspace, args: Args) -> dict[str, Any]:
    channel_id = ws.resolve_channel(args.text("channel"))
    parent_ts = args.text("ts")
    thread = [
        m for m in ws.history.get(channel_id, []) if parent_ts in (m["ts"], m.get("thread_ts"))
    ]
    if not thread:
        raise SlackError("thread_not_found")
    oldest = _bound(args, "oldest", "invalid_ts_oldest")
    latest = _bound(args, "latest", "invalid_ts_latest")
    thread = [
        m for m in thread if ts_in_range(m["ts"], oldest=oldest, latest=latest, inclusive=True)
    ]
    page, next_cursor = _page(
        sorted(thread, key=lambda m: ts_micros(m["ts"])), args, newest_first=False
    )
    with_metadata = args.flag("include_all_metadata")
    return {
        "messages": [shown(m, with_metadata=with_metadata) for m in page],
        "has_more": bool(next_cursor),
        "response_metadata": {"next_cursor": next_cursor},
    }


def info(ws: Workspace, args: Args) -> dict[str, Any]:
    channel_id = ws.resolve_channel(args.text("channel"))
    channel = copy.deepcopy(ws.channels[channel_id])
    if not args.flag("include_num_members"):
        channel.pop("num_members", None)
    return {"channel": channel}


def list_conversations(ws: Workspace, args: Args) -> dict[str, Any]:
    wanted = set(args.ids("types") or ["public_channel"])

    def kind(c: dict[str, Any]) -> str:
        if c.get("is_im"):
            return "im"
        if c.get("is_mpim"):
            return "mpim"
        return "private_channel" if c.get("is_private") else "public_channel"

    channels = [copy.deepcopy(c) for c in ws.channels.values() if kind(c) in wanted]
    return {"channels": channels, "response_metadata": {"next_cursor": ""}}


def members(ws: Workspace, args: Args) -> dict[str, Any]:
    """Paged as Slack pages it: `limit` (default 100), and a cursor naming the next member."""
    channel_id = ws.resolve_channel(args.text("channel"))
    ids = ws.channel_members(channel_id)
    limit = max(1, min(args.integer("limit", default=DEFAULT_LIMIT), MAX_LIMIT))
    cursor = args.text("cursor")
    start = 0
    if cursor:
        try:
            start = ids.index(base64.b64decode(cursor, validate=True).decode().removeprefix("user:"))
        except (ValueError, UnicodeDecodeError):
            raise SlackError("invalid_cursor") from None
    page, rest = ids[start : start + limit], ids[start + limit :]
    next_cursor = base64.b64encode(f"user:{rest[0]}".encode()).decode() if rest else ""
    return {"members": page, "response_metadata": {"next_cursor": next_cursor}}


METHODS = {
    "conversations.open": open_conversation,
    "conversations.history": history,
    "conversations.replies": replies,
    "conversations.info": info,
    "conversations.list": list_conversations,
    "conversations.members": members,
}
