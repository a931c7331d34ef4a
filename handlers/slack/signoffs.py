"""Sign-off reaches people: the approvers are sent the request (Approve / Reject in a direct
message, and a mention where it was asked), whoever asked is told the decision and its reason,
and a sign-off that waits is chased (scheduler.signoffs plans which, this posts them).

Best effort after the change is made: the change and its audit are the record; a message that
cannot be sent is logged, never undoes it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol

from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from handlers.core.results import MilestoneChanged
from handlers.core.signoffs import record_sign_off_chases
from handlers.core.text import escape_mrkdwn as escape
from handlers.core.wording import user, visit_title
from handlers.slack import blocks
from handlers.slack.delivery import direct_message_channel
from scheduler.calendar import WorkingDayCalendar
from storage.db import session_scope
from storage.teams import is_teams_workspace

logger = logging.getLogger(__name__)


class Origin(Protocol):
    """The message a click came from (handlers.slack.milestones.Origin)."""

    @property
    def channel_id(self) -> str | None: ...
    @property
    def ts(self) -> str | None: ...
    @property
    def ephemeral(self) -> bool: ...


def tell_sign_off(*, client: WebClient, changed: MilestoneChanged, origin: Origin) -> None:
    """After a sign-off is asked for or decided: tell the people it concerns."""
    news = changed.sign_off
    if news is None:
        return
    visit, milestone = changed.visit, changed.milestone
    label = f"*{escape(milestone.label)}* (`{escape(visit.reference)}`)"
    if news.decision is None:
        request = blocks.sign_off_request_blocks(
            visit=visit, milestone=milestone, requested_by=news.requested_by
        )
        text = f"{user(news.requested_by)} asks you to sign off {label}."
        for approver in news.approvers:
            _send(client, channel=approver, text=text, shown=request)
        if news.approvers:
            mention = (
                f"{', '.join(user(a) for a in news.approvers)}: {user(news.requested_by)} asks "
                f"you to sign off {label}. Each of you has it in a direct message, with Approve "
                "and Reject."
            )
        else:
            mention = (
                f"{user(news.requested_by)} asked for sign-off on {label}, but the visit has no "
                f"other approver to ask: add one with `/ofsted settings {visit.reference}`."
            )
        in_thread = (
            origin.ts
            if origin.channel_id == visit.channel_id and origin.ts and not origin.ephemeral
            else None
        )
        _send(
            client,
            channel=visit.channel_id or news.requested_by or "",
            text=mention,
            thread_ts=in_thread,
        )
        return
    if news.requested_by and news.requested_by != news.decided_by:
        mark = ":white_check_mark:" if news.decision == "approved" else ":x:"
        reason = f": {escape(' '.join(news.reason.split()))}" if news.reason else "."
        _send(
            client,
            channel=news.requested_by,
            text=f"{mark} {user(news.decided_by)} {news.decision} {label}{reason}",
        )


def _send(
    client: WebClient,
    *,
    channel: str,
    text: str,
    shown: list[dict[str, Any]] | None = None,
    thread_ts: str | None = None,
) -> None:
    if not channel:
        return
    try:
        if channel.startswith(("U", "W")):
            # A person: their direct message by its own id, so a click on it can redraw it.
            channel = direct_message_channel(client=client, user_id=channel)
        client.chat_postMessage(channel=channel, text=text, blocks=shown, thread_ts=thread_ts)
    except Exception:
        logger.warning("could not send a sign-off message to %s", channel, exc_info=True)


class SignOffChaser:
    """One pass of chasing: run by the reminder dispatcher before its own (`side_passes`)."""

    def __init__(self, *, engine: Engine, client: WebClient, calendar: WorkingDayCalendar) -> None:
        self.engine, self.client, self.calendar = engine, client, calendar

    def __call__(self, now: datetime) -> int:
        """Remind the approvers of each sign-off waiting too long; how many were reminded."""
        chased: list[tuple[str, str, list[dict[str, Any]]]] = []
        with session_scope(self.engine) as session:
            chases = record_sign_off_chases(
                session=session,
                now=now,
                calendar=self.calendar,
                # A Teams visit's approvers are not Slack users: Teams chases its own.
                chased_here=lambda visit: not is_teams_workspace(visit.team_id),
            )
            for chase in chases:
                shown = blocks.sign_off_request_blocks(
                    visit=chase.visit,
                    milestone=chase.milestone,
                    requested_by=chase.approval.requested_by,
                    chasing=True,
                )
                text = (
                    f"Still waiting for your sign-off: {escape(chase.milestone.label)} for "
                    f"{escape(visit_title(chase.visit))}."
                )
                chased.extend((approver, text, shown) for approver in chase.approvers)
        for approver, text, shown in chased:  # after the commit: the record, then the messages
            _send(self.client, channel=approver, text=text, shown=shown)
        return len(chases)
