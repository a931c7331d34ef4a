"""What every Slack listener is handed: the core's context, and what only Slack needs (the bot
token and where it may fetch files, who is in which channel)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient

from handlers.core.context import CoreContext, system_clock
from handlers.core.people import Asker
from handlers.slack.members import (
    ChannelMembers,
    SlackMembership,
    SlackNames,
    UserNames,
    actor_from,
)

__all__ = ["HandlerContext", "system_clock"]


@dataclass(frozen=True)
class HandlerContext(CoreContext):
    bot_token: str | None = None
    # Where shared files may be downloaded with the bot token (Settings.file_origins); none by
    # default, so a context made without settings sends the token nowhere.
    file_origins: tuple[str, ...] = ()
    members: ChannelMembers = field(default_factory=ChannelMembers)
    names: UserNames = field(default_factory=UserNames)

    def asker(self, body: dict[str, Any], client: WebClient) -> Asker:
        """Who sent this request, and the means to check which channels they are in."""
        return Asker(
            actor=actor_from(body, admins=self.admins),
            membership=SlackMembership(client=client, members=self.members),
            names=SlackNames(client=client, names=self.names),
        )
