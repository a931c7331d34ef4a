"""chat.postMessage, chat.postEphemeral and chat.update."""

from __future__ import annotations

import copy
from typing import Any

from bot.offline.standin.arguments import Args
from bot.offline.standin.content import message_content
from bot.offline.standin.errors import SlackError
from bot.offline.standin.workspace import Workspace


def bot_message(ws: Workspace, content: dict[str, Any]) -> dict[str, Any]:
    """How a message posted with the bot token is stored and shown."""
    return {
        "user": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "app_id": ws.app_id,
        "text": "",
        **content,
        "team": ws.team_id,
        "bot_profile": ws.bot_profile(),
    }


def post_message(ws: Workspace, args: Args) -> dict[str, Any]:
    channel_id = ws.resolve_channel(args.text("channel"))
    content = message_content(args)
    thread_ts = args.text("thread_ts")
    extras = {"thread_ts": thread_ts} if thread_ts else {}
    message = ws.append_message(channel_id, bot_message(ws, {**content, **extras}))
    return {"channel": channel_id, "ts": message["ts"], "message": copy.deepcopy(message)}


def post_ephemeral(ws: Workspace, args: Args) -> dict[str, Any]:
    channel_id = ws.resolve_channel(args.text("channel"))
    user_id = args.text("user")
    if user_id not in ws.users:
        raise SlackError("user_not_in_channel")
    content = message_content(args)
    ephemeral = {"channel": channel_id, "user": user_id, "ts": ws.ts.next(), **content}
    if args.text("thread_ts"):
        ephemeral["thread_ts"] = args.text("thread_ts")
    ws.ephemerals.append(ephemeral)
    return {"message_ts": ephemeral["ts"]}


def update(ws: Workspace, args: Args) -> dict[str, Any]:
    channel_id = ws.resolve_channel(args.text("channel"))
    message = ws.find_message(channel_id, args.text("ts"))
    if message.get("user") != ws.bot_user_id:
        raise SlackError("cant_update_message")
    content = message_content(args, require_text=False)
    if not content:
        raise SlackError("no_text")
    # As on Slack: blocks and attachments not sent are kept; an empty list removes them.
    message.update(content)
    message["edited"] = {"user": ws.bot_user_id, "ts": ws.ts.next()}
    shown = {k: v for k, v in message.items() if k != "metadata" or "metadata" in content}
    return {
        "channel": channel_id,
        "ts": message["ts"],
        "text": message.get("text", ""),
        "message": copy.deepcopy(shown),
    }


METHODS = {
    "chat.postMessage": post_message,
    "chat.postEphemeral": post_ephemeral,
    "chat.update": update,
}
