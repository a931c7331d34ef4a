"""A sign-off waiting in a Teams visit is chased in Teams: after two working days, once each
working day, a card in the visit's conversation @mentions its approvers (Slack's chaser,
handlers.slack.signoffs, sends direct messages, and leaves Teams visits to this one).

The plan of which to chase is the same pure one (scheduler.signoffs); the record of a day's
chase is the same audit event, keyed by request and day, so a second pass or a second worker
chases nobody again. Best effort after the record: a post that fails is logged.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from microsoft_agents.activity import Activity
from sqlalchemy.engine import Engine

from handlers.core.signoffs import record_sign_off_chases
from handlers.core.wording import visit_title
from handlers.teams import cards
from handlers.teams.members import ConversationMembers
from handlers.teams.outgoing import message
from handlers.teams.poster import TeamsPoster
from scheduler.calendar import WorkingDayCalendar
from storage.db import session_scope
from storage.teams import is_teams_workspace

logger = logging.getLogger(__name__)


class TeamsSignOffChaser:
    """One pass of chasing Teams visits' sign-offs: a side pass of the reminder dispatcher."""

    def __init__(
        self, *, engine: Engine, poster: TeamsPoster, calendar: WorkingDayCalendar
    ) -> None:
        self.engine, self.poster, self.calendar = engine, poster, calendar

    def __call__(self, now: datetime) -> int:
        """Mention the approvers of each Teams sign-off waiting too long; how many were chased."""
        chased: list[tuple[int, str, list[str], str]] = []
        with session_scope(self.engine) as session:
            chases = record_sign_off_chases(
                session=session,
                now=now,
                calendar=self.calendar,
                chased_here=lambda visit: is_teams_workspace(visit.team_id),
            )
            for chase in chases:
                visit = chase.visit
                label = (
                    f"**{cards.literal(chase.milestone.label)}** for "
                    f"{cards.literal(visit_title(visit))} (`{visit.reference}`)"
                )
                chased.append((visit.id or 0, label, chase.approvers, visit.reference))
        for visit_id, label, approvers, reference in chased:  # after the commit: record first
            try:
                self.poster.post_to_visit(
                    visit_id, _chase(label, approvers, reference, self.poster.members)
                )
            except Exception:
                logger.warning(
                    "could not chase a sign-off of %s in Teams", reference, exc_info=True
                )
        return len(chased)


def _chase(label: str, approvers: list[str], reference: str, members: ConversationMembers) -> Any:
    async def build(conversations: Any, channel: str) -> Activity:
        names = await members.names(conversations, channel)
        mentions = [cards.mention(a, names.get(a, a)) for a in approvers]
        who = ", ".join(tag for tag, _ in mentions) or "Nobody is named to sign it off"
        shown = cards.card(
            [
                cards.text_block(
                    f"{who}: still waiting for your sign-off on {label}. Approve or Reject it on "
                    f"the visit's timeline (`show {reference}`)."
                )
            ]
        )
        return message(
            f"Still waiting for sign-off: {reference}",
            card=cards.with_mentions(shown, [entity for _, entity in mentions]),
        )

    return build
