"""views.open (a modal, with a trigger) and views.publish (a person's App Home).

A trigger_id is good for one views.open within its lifetime, as on Slack.
"""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any

from bot.offline.standin.arguments import Args
from bot.offline.standin.blocks import view_problems
from bot.offline.standin.errors import SlackError
from bot.offline.standin.workspace import Workspace


def checked_view(args: Args, *, kind: str) -> dict[str, Any]:
    view = args.get("view")
    problems = view_problems(view)
    if not isinstance(view, dict) or problems or view.get("type") != kind:
        raise SlackError(
            "invalid_arguments", messages=problems or [f"must be {kind} [json-pointer:/view/type]"]
        )
    return view


def view_object(
    ws: Workspace, view: dict[str, Any], *, view_id: str, root_view_id: str | None
) -> dict[str, Any]:
    """The view as Slack returns and stores it: ids, hash and an empty state added."""
    return {
        "id": view_id,
        "team_id": ws.team_id,
        "type": view["type"],
        "blocks": copy.deepcopy(view.get("blocks", [])),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "state": {"values": {}},
        "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        "title": view.get("title"),
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "close": view.get("close"),
        "submit": view.get("submit"),
        "previous_view_id": None,
        "root_view_id": root_view_id,
        "app_id": ws.app_id,
        "external_id": view.get("external_id", ""),
        "app_installed_team_id": ws.team_id,
        "bot_id": ws.bot_id,
    }


def open_view(ws: Workspace, args: Args) -> dict[str, Any]:
    trigger_id = args.text("trigger_id") or args.text("interactivity_pointer") or ""
    view = checked_view(args, kind="modal")
    ws.exchange_trigger(trigger_id)
    view_id = ws.ids.new("V")
    opened = view_object(ws, view, view_id=view_id, root_view_id=view_id)
    ws.views[view_id] = opened
    return {"view": copy.deepcopy(opened)}


def publish_view(ws: Workspace, args: Args) -> dict[str, Any]:
    user_id = args.text("user_id") or ""
    ws.user(user_id)
    view = checked_view(args, kind="home")
    current = ws.home_views.get(user_id)
    view_id = current["id"] if current else ws.ids.new("V")
    published = view_object(ws, view, view_id=view_id, root_view_id=None)
    ws.home_views[user_id] = published
    return {"view": copy.deepcopy(published)}


METHODS = {"views.open": open_view, "views.publish": publish_view}
