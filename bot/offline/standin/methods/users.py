"""users.info, users.list, users.lookupByEmail."""

from __future__ import annotations

import copy
from typing import Any

from bot.offline.standin.arguments import Args
from bot.offline.standin.errors import SlackError
from bot.offline.standin.workspace import Workspace


def users_info(ws: Workspace, args: Args) -> dict[str, Any]:
    return {"user": copy.deepcopy(ws.user(args.text("user")))}


def users_list(ws: Workspace, args: Args) -> dict[str, Any]:
    return {
        "members": copy.deepcopy(list(ws.users.values())),
        "cache_ts": 1700000000,
        "response_metadata": {"next_cursor": ""},
    }


def users_lookup_by_email(ws: Workspace, args: Args) -> dict[str, Any]:
    email = (args.text("email") or "").lower()
    for user in ws.users.values():
        if (user["profile"].get("email") or "").lower() == email:
            return {"user": copy.deepcopy(user)}
    raise SlackError("users_not_found")


METHODS = {
    "users.info": users_info,
    "users.list": users_list,
    "users.lookupByEmail": users_lookup_by_email,
}
