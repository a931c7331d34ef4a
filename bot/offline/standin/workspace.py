"""The stand-in's state: one Slack workspace with its people, channels and content.

Not thread-safe on its own: SlackStandIn holds one lock around every method call and
every read, which is simple and fast enough, since each call takes microseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.offline.standin import directory
from bot.offline.standin.errors import SlackError
from bot.offline.standin.ids import IdFactory, TsClock, ts_micros
from bot.offline.standin.records import (
    PendingUpload,
    RecordedResponse,
    ResponseUrl,
    StoredFile,
    Trigger,
    Upload,
)


@dataclass
class Workspace:
    team_id: str
    team_domain: str
    app_id: str
    bot_id: str
    bot_user_id: str
    clock: Callable[[], float]
    base_url: str = ""
    ids: IdFactory = field(default_factory=IdFactory)
    ts: TsClock = field(default_factory=TsClock)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    dm_by_user: dict[str, str] = field(default_factory=dict)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    home_views: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    pending_uploads: dict[str, PendingUpload] = field(default_factory=dict)
    uploads: list[Upload] = field(default_factory=list)
    triggers: dict[str, Trigger] = field(default_factory=dict)
    response_urls: dict[str, ResponseUrl] = field(default_factory=dict)
    responses: list[RecordedResponse] = field(default_factory=list)

    # -- people and conversations -------------------------------------------------

    def add_user(self, user_id: str, *, real_name: str, **profile: Any) -> dict[str, Any]:
        user = directory.user_object(
            user_id=user_id, team_id=self.team_id, real_name=real_name, **profile
        )
        self.users[user_id] = user
        return user

    def user(self, user_id: str | None) -> dict[str, Any]:
        if not user_id or user_id not in self.users:
            raise SlackError("user_not_found")
        return self.users[user_id]

    def add_channel(
        self, channel_id: str, *, name: str, is_private: bool = False
    ) -> dict[str, Any]:
        channel = directory.channel_object(
            channel_id=channel_id, name=name, created=int(time.time()), is_private=is_private
        )
        self.channels[channel_id] = channel
        self.history.setdefault(channel_id, [])
        return channel

    def channel_members(self, channel_id: str) -> list[str]:
        """A DM's two people; a channel's members as set, or by default everyone (the bot too)."""
        channel = self.channels[channel_id]
        if channel.get("is_im"):
            return [channel["user"], self.bot_user_id]
        members = channel.get("members")
        return list(members) if members is not None else list(self.users)

    def set_members(self, channel_id: str, user_ids: list[str]) -> None:
        """From now on exactly these people (and the bot) are in the channel."""
        channel = self.channels[self.resolve_channel(channel_id)]
        channel["members"] = list(dict.fromkeys([self.bot_user_id, *user_ids]))

    def change_membership(self, channel_id: str, user_id: str, *, joined: bool) -> None:
        members = self.channel_members(channel_id)
        members = [*members, user_id] if joined and user_id not in members else members
        self.set_members(channel_id, [m for m in members if joined or m != user_id])

    def open_dm(self, user_id: str) -> tuple[str, bool]:
        """The app's DM with a person, opened on first use; (channel id, already open)."""
        self.user(user_id)
        if user_id in self.dm_by_user:
            return self.dm_by_user[user_id], True
        channel_id = self.ids.new("D")
        self.channels[channel_id] = directory.im_object(
            channel_id=channel_id, user_id=user_id, created=int(time.time())
        )
        self.history[channel_id] = []
        self.dm_by_user[user_id] = channel_id
        return channel_id, False

    def resolve_channel(self, ref: str | None) -> str:
        """A channel id, a `#name`, or a user id (meaning the app's DM with them)."""
        if not ref:
            raise SlackError("channel_not_found")
        if ref in self.channels:
            return ref
        if ref in self.users:
            return self.open_dm(ref)[0]
        name = ref.lstrip("#")
        for channel_id, channel in self.channels.items():
            if channel.get("name") == name:
                return channel_id
        raise SlackError("channel_not_found")

    # -- messages ------------------------------------------------------------------

    def find_message(self, channel_id: str, ts: str | None) -> dict[str, Any]:
        for message in self.history.get(channel_id, []):
            if message["ts"] == ts:
                return message
        raise SlackError("message_not_found")

    def append_message(self, channel_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """Store a message with a fresh ts; a reply also updates its parent's thread fields."""
        message = {"type": "message", **message, "ts": self.ts.next()}
        parent_ts = message.get("thread_ts")
        if parent_ts:
            self._note_reply(channel_id, parent_ts, message)
        self.history.setdefault(channel_id, []).append(message)
        return message

    def _note_reply(self, channel_id: str, parent_ts: str, reply: dict[str, Any]) -> None:
        try:
            parent = self.find_message(channel_id, parent_ts)
        except SlackError:
            return
        parent["thread_ts"] = parent_ts
        parent["reply_count"] = parent.get("reply_count", 0) + 1
        users = parent.setdefault("reply_users", [])
        if reply.get("user") and reply["user"] not in users:
            users.append(reply["user"])
        parent["reply_users_count"] = len(users)
        parent["latest_reply"] = reply["ts"]

    def remove_message(self, channel_id: str, ts: str) -> None:
        message = self.find_message(channel_id, ts)
        self.history[channel_id].remove(message)

    def bot_profile(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "app_id": self.app_id,
            "name": "ofsted-bot",
            "deleted": False,
            "team_id": self.team_id,
        }

    # -- interactivity -------------------------------------------------------------

    def new_trigger(self, *, user_id: str | None, ttl: float) -> str:
        trigger_id = self.ids.trigger_id()
        self.triggers[trigger_id] = Trigger(user_id=user_id, expires_at=self.clock() + ttl)
        return trigger_id

    def exchange_trigger(self, trigger_id: str) -> Trigger:
        """A trigger works once and only for a few seconds, as on Slack."""
        trigger = self.triggers.get(trigger_id)
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.exchanged:
            raise SlackError("exchanged_trigger_id")
        if self.clock() > trigger.expires_at:
            raise SlackError("expired_trigger_id")
        trigger.exchanged = True
        return trigger


def ts_in_range(ts: str, *, oldest: int | None, latest: int | None, inclusive: bool) -> bool:
    value = ts_micros(ts)
    if oldest is not None and (value < oldest or (value == oldest and not inclusive)):
        return False
    return latest is None or value < latest or (value == latest and inclusive)
