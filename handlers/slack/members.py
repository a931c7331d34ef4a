"""Who is asking, and who is in a channel: what Slack tells the access policy.

`handlers.core.access` decides from plain values; this module gets them. The members of a
channel come from `conversations.members` (paged, private channels included), kept a few minutes
per channel and forgotten as soon as Slack says someone joined or left it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.core.access import Actor, Workspace

logger = logging.getLogger(__name__)

MEMBERS_KEPT_SECONDS = 300.0
MEMBERS_PAGE = 200  # Slack's recommended page size for conversations.members
NOT_READABLE_KEPT_SECONDS = 30.0  # a channel the bot cannot read: asked again soon
RECHECK_SECONDS = 60.0
"""Someone not among a channel's kept members is asked about afresh, at most this often each: a
`member_joined_channel` event can be lost (the bot was down), and a refusal should not rest on
a stale list; a non-member pressing a button repeatedly costs one look-up a minute."""


def actor_from(body: dict[str, Any], *, admins: frozenset[str]) -> Actor:
    """The person behind any request Slack sends: a command, a click, a modal, an event.

    Commands carry `team_id` and `user_id`; interactions a `team` and a `user` object; events
    the envelope's `team_id` and the event's `user`.
    """
    user = body.get("user")
    user_id = (
        body.get("user_id")
        or (user.get("id") if isinstance(user, dict) else None)
        or (body.get("event") or {}).get("user")
        or ""
    )
    team_id = (
        body.get("team_id")
        or (body.get("team") or {}).get("id")
        or (user.get("team_id") if isinstance(user, dict) else None)
        or ""
    )
    enterprise_id = body.get("enterprise_id") or (body.get("enterprise") or {}).get("id") or None
    return Actor(
        workspace=Workspace(team_id=str(team_id), enterprise_id=enterprise_id),
        user_id=str(user_id),
        is_admin=user_id in admins,
    )


class ChannelMembers:
    """`conversations.members` of each channel, kept `kept_seconds` and dropped on demand.

    `clock` is monotonic seconds: how long a lookup is kept is not a date, so it is not the
    bot's clock. A channel the bot cannot read (not invited to a private one, archived) has no
    members as far as the bot knows, and is asked again soon.
    """

    def __init__(
        self,
        *,
        kept_seconds: float = MEMBERS_KEPT_SECONDS,
        recheck_seconds: float = RECHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._kept_seconds = kept_seconds
        self._recheck_seconds = recheck_seconds
        self._clock = clock
        self._kept: dict[str, tuple[float, frozenset[str]]] = {}
        self._rechecked: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def of(self, client: WebClient, channel_id: str) -> frozenset[str]:
        now = self._clock()
        with self._lock:
            kept = self._kept.get(channel_id)
        if kept is not None and kept[0] > now:
            return kept[1]
        return self._refresh(client, channel_id, now)

    def for_person(self, client: WebClient, channel_id: str, user_id: str) -> frozenset[str]:
        """The members, asked afresh when this person is not among those kept (once a minute at
        most for each person and channel): what a decision about them should rest on."""
        members = self.of(client, channel_id)
        if user_id in members:
            return members
        now = self._clock()
        with self._lock:
            last = self._rechecked.get((channel_id, user_id))
            if last is not None and now - last < self._recheck_seconds:
                return members
            self._rechecked[(channel_id, user_id)] = now
            if len(self._rechecked) > 10_000:  # bounded: forget the oldest half
                for key in sorted(self._rechecked, key=self._rechecked.__getitem__)[:5_000]:
                    del self._rechecked[key]
        return self._refresh(client, channel_id, now)

    def _refresh(self, client: WebClient, channel_id: str, now: float) -> frozenset[str]:
        members, keep_for = self._ask(client, channel_id)
        with self._lock:
            self._kept[channel_id] = (now + keep_for, members)
        return members

    def _ask(self, client: WebClient, channel_id: str) -> tuple[frozenset[str], float]:
        members: set[str] = set()
        cursor: str | None = None
        try:
            while True:
                page = client.conversations_members(
                    channel=channel_id, limit=MEMBERS_PAGE, cursor=cursor
                )
                members.update(page.get("members") or [])
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    return frozenset(members), self._kept_seconds
        except SlackApiError as error:
            logger.warning(
                "could not read the members of %s: %s", channel_id, error.response.get("error")
            )
            return frozenset(), NOT_READABLE_KEPT_SECONDS

    def forget(self, channel_id: str) -> None:
        """Someone joined or left: the next question asks Slack again."""
        with self._lock:
            self._kept.pop(channel_id, None)


NAMES_KEPT_SECONDS = 3600.0
NAME_UNKNOWN_KEPT_SECONDS = 60.0


class UserNames:
    """People's names from `users.info` (scope `users:read`), kept an hour each: an audit
    export names everyone in it, and a name changes rarely. Someone Slack will not describe
    (deleted, another workspace) has no name, and is asked about again in a minute."""

    def __init__(
        self,
        *,
        kept_seconds: float = NAMES_KEPT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._kept_seconds = kept_seconds
        self._clock = clock
        self._kept: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def name_of(self, client: WebClient, user_id: str) -> str | None:
        now = self._clock()
        with self._lock:
            kept = self._kept.get(user_id)
        if kept is not None and kept[0] > now:
            return kept[1]
        name, keep_for = self._ask(client, user_id)
        with self._lock:
            if len(self._kept) > 10_000:  # bounded: start again
                self._kept.clear()
            self._kept[user_id] = (now + keep_for, name)
        return name

    def _ask(self, client: WebClient, user_id: str) -> tuple[str | None, float]:
        try:
            user = client.users_info(user=user_id).get("user") or {}
        except SlackApiError as error:
            logger.warning(
                "could not read the name of %s: %s", user_id, error.response.get("error")
            )
            return None, NAME_UNKNOWN_KEPT_SECONDS
        profile = user.get("profile") or {}
        name = (
            profile.get("real_name")
            or user.get("real_name")
            or profile.get("display_name")
            or user.get("name")
        )
        return (str(name) if name else None), self._kept_seconds


@dataclass(frozen=True)
class SlackNames:
    """The core's `Names`, answered by Slack through the kept `UserNames`."""

    client: WebClient
    names: UserNames

    def name_of(self, user_id: str) -> str | None:
        return self.names.name_of(self.client, user_id)


@dataclass(frozen=True)
class SlackMembership:
    """The core's `Membership`, answered by Slack through the kept `ChannelMembers`."""

    client: WebClient
    members: ChannelMembers

    def of(self, channel_id: str) -> frozenset[str]:
        return self.members.of(self.client, channel_id)

    def for_person(self, channel_id: str, user_id: str) -> frozenset[str]:
        return self.members.for_person(self.client, channel_id, user_id)
