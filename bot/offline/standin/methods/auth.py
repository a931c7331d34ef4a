"""auth.test and the team/bot look-ups Bolt and apps make at start-up."""

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


def bots_info(ws: Workspace, args: Args) -> dict[str, Any]:
    return {"bot": {**ws.bot_profile(), "user_id": ws.bot_user_id, "updated": 1700000000}}


def team_info(ws: Workspace, args: Args) -> dict[str, Any]:
    return {
        "team": {
            "id": ws.team_id,
            "name": ws.team_domain,
            "domain": ws.team_domain,
            "email_domain": "council.example",
            "icon": {},
        }
    }


METHODS = {"auth.test": auth_test, "bots.info": bots_info, "team.info": team_info}
