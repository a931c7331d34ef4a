"""People and conversations of the stand-in workspace, shaped like Slack's objects.

The default people are fictional council staff, all in Europe/London.
"""

from __future__ import annotations

from typing import Any

DEFAULT_USERS: dict[str, str] = {
    "U01QAOFFICER": "Priya Shah",
    "U02DCS": "Dana Clarke",
    "U03HEADOFSERVICE": "Sam Okafor",
    "U04COMMS": "Lee Morgan",
}
DEFAULT_CHANNELS: dict[str, str] = {
    "C01VISITS": "ofsted-visits",
    "C02GENERAL": "general",
}
DEFAULT_TZ = "Europe/London"


def handle_for(real_name: str) -> str:
    return ".".join(real_name.lower().split()) or "user"


def user_object(
    *,
    user_id: str,
    team_id: str,
    real_name: str,
    name: str | None = None,
    email: str | None = None,
    tz: str = DEFAULT_TZ,
    is_admin: bool = False,
    is_bot: bool = False,
) -> dict[str, Any]:
    """A person as Slack describes them, with the fields the driver and the shell read."""
    handle = name or handle_for(real_name)
    return {
        "id": user_id,
        "team_id": team_id,
        "name": handle,
        "real_name": real_name,
        "tz": tz,
        "profile": {
            "real_name": real_name,
            "display_name": real_name.split()[0] if real_name else handle,
            "email": None if is_bot else email or f"{handle}@council.example",
        },
        "is_admin": is_admin,
        "is_bot": is_bot,
    }


def channel_object(
    *, channel_id: str, name: str, created: int, is_private: bool = False
) -> dict[str, Any]:
    """A public or private channel as Slack describes it."""
    return {
        "id": channel_id,
        "name": name,
        "is_channel": not is_private,
        "is_group": is_private,
        "is_im": False,
        "is_private": is_private,
        "created": created,
        "is_archived": False,
    }


def im_object(*, channel_id: str, user_id: str, created: int) -> dict[str, Any]:
    """A direct message between the app and one person."""
    return {"id": channel_id, "created": created, "is_im": True, "user": user_id}
