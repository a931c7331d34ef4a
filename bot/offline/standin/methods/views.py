"""views.open, views.push, views.update, views.publish, and the modal stack they share.

A modal opened with a trigger can have two more views pushed on it (three in all);
a trigger_id is good for one exchange within its lifetime; `hash` guards updates.
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

MAX_STACK = 3


def checked_view(args: Args, *, kind: str) -> dict[str, Any]:
    view = args.get("view")
    problems = view_problems(view)
    if not isinstance(view, dict) or problems or view.get("type") != kind:
        raise SlackError(
            "invalid_arguments", messages=problems or [f"must be {kind} [json-pointer:/view/type]"]
        )
    return view


def view_object(
    ws: Workspace,
    view: dict[str, Any],
    *,
    view_id: str,
    root_view_id: str | None,
    previous_view_id: str | None = None,
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
        "previous_view_id": previous_view_id,
        "root_view_id": root_view_id,
        "app_id": ws.app_id,
        "external_id": view.get("external_id", ""),
        "app_installed_team_id": ws.team_id,
        "bot_id": ws.bot_id,
    }


def _check_external_id(
    ws: Workspace, view: dict[str, Any], *, replacing: str | None = None
) -> None:
    external_id = view.get("external_id")
    if not external_id:
        return
    for other in [*ws.views.values(), *ws.home_views.values()]:
        if other.get("external_id") == external_id and other["id"] != replacing:
            raise SlackError("duplicate_external_id")


def open_view(ws: Workspace, args: Args) -> dict[str, Any]:
    trigger_id = args.text("trigger_id") or args.text("interactivity_pointer") or ""
    view = checked_view(args, kind="modal")
    trigger = ws.exchange_trigger(trigger_id)
    _check_external_id(ws, view)
    view_id = ws.ids.new("V")
    opened = view_object(ws, view, view_id=view_id, root_view_id=view_id)
    ws.views[view_id] = opened
    ws.view_stacks[view_id] = [view_id]
    ws.view_users[view_id] = trigger.user_id
    return {"view": copy.deepcopy(opened)}


def _stack_for(ws: Workspace, *, view_id: str | None, user_id: str | None) -> list[str]:
    for stack in reversed(list(ws.view_stacks.values())):
        if view_id in stack or (view_id is None and ws.view_users.get(stack[0]) == user_id):
            return stack
    raise SlackError("not_found")


def push_view(ws: Workspace, args: Args) -> dict[str, Any]:
    trigger_id = args.text("trigger_id") or args.text("interactivity_pointer") or ""
    view = checked_view(args, kind="modal")
    trigger = ws.exchange_trigger(trigger_id)
    stack = _stack_for(ws, view_id=trigger.view_id, user_id=trigger.user_id)
    if len(stack) >= MAX_STACK:
        raise SlackError("push_limit_reached")
    _check_external_id(ws, view)
    view_id = ws.ids.new("V")
    pushed = view_object(
        ws, view, view_id=view_id, root_view_id=stack[0], previous_view_id=stack[-1]
    )
    ws.views[view_id] = pushed
    ws.view_users[view_id] = trigger.user_id
    stack.append(view_id)
    return {"view": copy.deepcopy(pushed)}


def _find(ws: Workspace, *, view_id: str | None, external_id: str | None) -> dict[str, Any]:
    for view in [*ws.views.values(), *ws.home_views.values()]:
        if (view_id and view["id"] == view_id) or (
            external_id and view.get("external_id") == external_id
        ):
            return view
    raise SlackError("not_found")


def update_view(ws: Workspace, args: Args) -> dict[str, Any]:
    view_id, external_id = args.text("view_id"), args.text("external_id")
    if not view_id and not external_id:
        raise SlackError("invalid_arguments", messages=["view_id or external_id is required"])
    current = _find(ws, view_id=view_id, external_id=external_id)
    view = checked_view(args, kind=current["type"])
    if args.text("hash") and args.text("hash") != current["hash"]:
        raise SlackError("hash_conflict")
    _check_external_id(ws, view, replacing=current["id"])
    updated = view_object(
        ws,
        view,
        view_id=current["id"],
        root_view_id=current["root_view_id"],
        previous_view_id=current["previous_view_id"],
    )
    updated["state"] = current["state"]
    if current["id"] in ws.views:
        ws.views[current["id"]] = updated
    else:
        user_id = next(u for u, v in ws.home_views.items() if v["id"] == current["id"])
        ws.home_views[user_id] = updated
    return {"view": copy.deepcopy(updated)}


def publish_view(ws: Workspace, args: Args) -> dict[str, Any]:
    user_id = args.text("user_id") or ""
    ws.user(user_id)
    view = checked_view(args, kind="home")
    current = ws.home_views.get(user_id)
    if current and args.text("hash") and args.text("hash") != current["hash"]:
        raise SlackError("hash_conflict")
    view_id = current["id"] if current else ws.ids.new("V")
    _check_external_id(ws, view, replacing=view_id)
    published = view_object(ws, view, view_id=view_id, root_view_id=None)
    ws.home_views[user_id] = published
    return {"view": copy.deepcopy(published)}


def close_view(ws: Workspace, view_id: str, *, whole_stack: bool) -> None:
    """The user left a modal: pop it (back to the previous view) or close them all."""
    for root, stack in list(ws.view_stacks.items()):
        if view_id in stack:
            doomed = stack[:] if whole_stack else stack[stack.index(view_id) :]
            for closed in doomed:
                ws.views.pop(closed, None)
                ws.view_users.pop(closed, None)
                stack.remove(closed)
            if not stack:
                del ws.view_stacks[root]
            return


METHODS = {
    "views.open": open_view,
    "views.push": push_view,
    "views.update": update_view,
    "views.publish": publish_view,
}
