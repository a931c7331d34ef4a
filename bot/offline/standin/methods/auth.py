"""auth.test: who the token belongs to, which Bolt asks once at start-up."""

from __future__ import annotations

from typing import Any

from bot.offline.standin.arguments import Args
from bot.offline.standin.workspace import Workspace


def auth_test(ws: Workspace, args: Args) -> dict[str, Any]:
    return {
        "url": f"{ws.base_url}/",
        "team": ws.team_domain,
        "user": "ofsted-bot",
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


METHODS = {"auth.test": auth_test}
