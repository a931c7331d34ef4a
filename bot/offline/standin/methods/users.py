"""users.info: a person's profile, which the bot asks for their name (scope `users:read`)."""

from __future__ import annotations

import copy
from typing import Any

from bot.offline.standin.arguments import Args
from bot.offline.standin.workspace import Workspace


def users_info(ws: Workspace, args: Args) -> dict[str, Any]:
    return {"user": copy.deepcopy(ws.user(args.text("user")))}


METHODS = {"users.info": users_info}
