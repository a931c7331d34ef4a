"""People and conversations of the stand-in workspace, shaped like Slack's objects.

The default people are fictional council staff, all in Europe/London, since the bot
reads `tz` to post reminders at the right local time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

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
TZ_LABELS = {"GMT": "Greenwich Mean Time", "BST": "British Summer Time"}


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
    now: datetime | None = None,
) -> dict[str, Any]:
    """users.info's `user`, with tz_label and tz_offset right for `now` (GMT or BST)."""
    zone = ZoneInfo(tz)
    local = (now or datetime.now(zone)).astimezone(zone)
    offset = local.utcoffset()
    handle = name or handle_for(real_name)
    email = email or f"{handle}@council.example"
    return {
        "id": user_id,
        "team_id": team_id,
        "name": handle,
        "deleted": False,
        "color": "9f69e7",
        "real_name": real_name,
        "tz": tz,
        "tz_label": TZ_LABELS.get(local.tzname() or "", local.tzname() or tz),
        "tz_offset": int(offset.total_seconds()) if offset else 0,
        "profile": {
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": real_name.split()[0] if real_name else handle,
            "display_name_normalized": real_name.split()[0] if real_name else handle,
            "email": None if is_bot else email,
            "team": team_id,
            "image_48": "https://a.slack-edge.com/80588/img/avatars/ava_0010-48.png",
        },
        "is_admin": is_admin,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": is_bot,
        "is_app_user": False,
        "updated": 1700000000,
    }


def channel_object(
    *, channel_id: str, name: str, created: int, is_private: bool = False
) -> dict[str, Any]:
    """conversations.info's `channel` for a public or private channel."""
    return {
        "id": channel_id,
        "name": name,
        "name_normalized": name,
        "is_channel": not is_private,
        "is_group": is_private,
        "is_im": False,
        "is_mpim": False,
        "is_private": is_private,
        "created": created,
        "is_archived": False,
        "is_general": name == "general",
        "is_shared": False,
        "is_org_shared": False,
        "is_member": True,
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
        "num_members": 0,
    }


def im_object(*, channel_id: str, user_id: str, created: int) -> dict[str, Any]:
    """A direct message between the app and one person."""
    return {
        "id": channel_id,
        "created": created,
        "is_im": True,
        "is_org_shared": False,
        "user": user_id,
        "is_user_deleted": False,
        "priority": 0,
    }
