"""The dispatcher's way out to Teams: a reminder posted proactively in the visit's conversation.

The dispatcher is handed one `Poster` (scheduler.dispatcher); `PlatformPoster` gives it the
Slack poster for Slack visits and this one for visits made in Teams (team_id `teams:<tenant>`),
so one database, one dispatcher and one plan of reminders serve both.

A reminder is a new post in the visit's channel (the conversation id without a thread's
`;messageid=`), or in the personal chat it was made in: `POST /v3/conversations/{id}/activities`
through the SDK's connector client, in a proactive turn. Without credentials the turn runs with
an anonymous identity (`continue_conversation_with_claims`: the SDK's `continue_conversation("")`
fails for want of a token); with them, as the app (its id as the audience).

The Bot Connector offers a bot no history to search, so `find_posted` cannot find a reminder
posted just before a crash: the dispatcher then posts it again (at most once more).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any, TypeVar

import aiohttp
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import ChannelServiceAdapter
from sqlalchemy.engine import Engine

from handlers.teams import cards
from handlers.teams.members import ConversationMembers
from handlers.teams.outgoing import message, post_to_conversation
from scheduler.calendar import WorkingDayCalendar
from scheduler.dispatcher import (
    PermanentPostError,
    Posted,
    Poster,
    ReminderNotice,
    TransientPostError,
)
from storage.db import read_scope
from storage.teams import conversation_without_message, get_visit_conversation, is_teams_workspace

logger = logging.getLogger(__name__)

POST_SECONDS = 30.0
Result = TypeVar("Result")


class TeamsPoster:
    """Posts reminders to Teams; `loop`: the event loop of a running endpoint to post from (the
    dispatcher inside `serve --teams`), or none for a loop of its own (`ofsted-bot worker`)."""

    def __init__(
        self,
        *,
        engine: Engine,
        adapter: ChannelServiceAdapter,
        calendar: WorkingDayCalendar,
        app_id: str | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        members: ConversationMembers | None = None,
    ) -> None:
        self.engine = engine
        self.adapter = adapter
        self.calendar = calendar
        self.app_id = app_id
        self.loop = loop
        self.members = members or ConversationMembers()

    def post(self, notice: ReminderNotice) -> Posted:
        async def reminder(conversations: Any, channel: str) -> Activity:
            # The people of the visit's conversation, to name owners by and to assign from.
            names = await self.members.names(conversations, channel)
            card = cards.reminder_card(
                visit=notice.visit,
                milestone=notice.milestone,
                kind=notice.kind,
                reminder_id=notice.reminder_id,
                today=notice.today,
                calendar=self.calendar,
                names=names,
                people=sorted(names.items(), key=lambda item: item[1].lower()),
                also=notice.also,
            )
            if notice.kind == "escalation":
                # Escalated means someone was told: the contact, else whoever created the visit,
                # mentioned so that Teams notifies them (Slack sends them a direct message).
                told = notice.visit.escalation_user_id or notice.visit.created_by
                if told:
                    card = cards.mentioning(card, user_id=told, name=names.get(told, told))
            text = cards.reminder_text(
                visit=notice.visit,
                milestone=notice.milestone,
                kind=notice.kind,
                today=notice.today,
                calendar=self.calendar,
            )
            return message(text, card=card)

        return self.post_to_visit(notice.visit.id or 0, reminder)

    def post_to_visit(
        self, visit_id: int, build: Callable[[Any, str], Awaitable[Activity]]
    ) -> Posted:
        """A new post in a Teams visit's conversation: `build(conversations, channel)` makes it
        in the proactive turn (it may ask the connector who is there)."""
        with read_scope(self.engine) as session:
            where = get_visit_conversation(session=session, visit_id=visit_id)
            reference = dict(where.reference) if where is not None else None
            conversation_id = where.conversation_id if where is not None else ""
        if reference is None:
            raise PermanentPostError("this visit has no Teams conversation to post in")
        channel = conversation_without_message(conversation_id)

        async def made(conversations: Any) -> Activity:
            return await build(conversations, channel)

        try:
            activity_id = self._run(
                post_to_conversation(
                    self.adapter,
                    reference=reference,
                    app_id=self.app_id,
                    # A new post in the channel, not a reply in the thread it was made in.
                    conversation_id=channel,
                    activity=made,
                )
            )
        except aiohttp.ClientResponseError as error:
            if error.status == 429 or error.status >= 500:
                raise TransientPostError(f"Teams answered {error.status}") from error
            raise PermanentPostError(f"Teams refused the post: {error.status}") from error
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise TransientPostError(f"could not reach Teams: {type(error).__name__}") from error
        return Posted(channel_id=conversation_id, ts=activity_id)

    def find_posted(self, notice: ReminderNotice, *, since: datetime) -> Posted | None:
        return None  # no history to search (see the module's docstring)

    def report_failure(self, notice: ReminderNotice, *, error: str) -> None:
        logger.error(
            "could not post the reminder for %s (%s) in Teams: %s",
            notice.milestone.label,
            notice.visit.reference,
            error,
        )

    def _run(self, work: Coroutine[Any, Any, Result]) -> Result:
        if self.loop is None:
            return asyncio.run(asyncio.wait_for(work, POST_SECONDS))
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=POST_SECONDS)


class PlatformPoster:
    """The one poster the dispatcher is handed: Slack's for Slack visits, Teams' for Teams'."""

    def __init__(self, *, slack: Poster, teams: Poster) -> None:
        self.slack = slack
        self.teams = teams

    def _for(self, notice: ReminderNotice) -> Poster:
        return self.teams if is_teams_workspace(notice.visit.team_id) else self.slack

    def post(self, notice: ReminderNotice) -> Posted:
        return self._for(notice).post(notice)

    def find_posted(self, notice: ReminderNotice, *, since: datetime) -> Posted | None:
        return self._for(notice).find_posted(notice, since=since)

    def report_failure(self, notice: ReminderNotice, *, error: str) -> None:
        self._for(notice).report_failure(notice, error=error)
