"""The dispatcher's way out to Slack: posts a reminder with its buttons, finds one already posted.

Each channel post carries message metadata naming its reminder, so that a reminder claimed but
not recorded before a crash is found in the channel's history instead of posted again.
"""

from __future__ import annotations

import logging
import urllib.error
from datetime import datetime
from typing import Any, Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.core.text import escape_mrkdwn
from handlers.slack import blocks
from handlers.slack.delivery import direct_message_channel
from scheduler.calendar import WorkingDayCalendar
from scheduler.dates import format_long
from scheduler.dispatcher import PermanentPostError, Posted, ReminderNotice, TransientPostError

logger = logging.getLogger(__name__)

METADATA_EVENT = "ofsted_reminder"
TRANSIENT_ERRORS = {
    "ratelimited",
    "service_unavailable",
    "internal_error",
    "fatal_error",
    "request_timeout",
}


class SlackPoster:
    def __init__(self, *, client: WebClient, calendar: WorkingDayCalendar) -> None:
        self.client = client
        self.calendar = calendar

    def _channel(self, notice: ReminderNotice) -> str:
        if notice.visit.channel_id:
            return notice.visit.channel_id
        # A visit with no channel is reminded to whoever created it.
        return direct_message_channel(client=self.client, user_id=notice.visit.created_by or "")

    def _content(self, notice: ReminderNotice) -> tuple[str, list[dict[str, Any]]]:
        shown = blocks.reminder_blocks(
            visit=notice.visit,
            milestone=notice.milestone,
            kind=notice.kind,
            reminder_id=notice.reminder_id,
            today=notice.today,
            calendar=self.calendar,
            also=notice.also,
        )
        text = blocks.reminder_text(
            visit=notice.visit,
            milestone=notice.milestone,
            kind=notice.kind,
            today=notice.today,
            calendar=self.calendar,
        )
        return text, shown

    def post(self, notice: ReminderNotice) -> Posted:
        text, shown = self._content(notice)
        metadata = {
            "event_type": METADATA_EVENT,
            "event_payload": {
                "reminder_id": notice.reminder_id,
                "milestone_id": notice.milestone.id,
            },
        }
        with _classified_errors():
            channel = self._channel(notice)
            response = self.client.chat_postMessage(
                channel=channel, text=text, blocks=shown, metadata=metadata
            )
        posted = Posted(channel_id=str(response["channel"]), ts=str(response["ts"]))
        self._copy_to_people(notice, text=text, shown=shown)
        return posted

    def _copy_to_people(
        self, notice: ReminderNotice, *, text: str, shown: list[dict[str, Any]]
    ) -> None:
        """The owner gets the reminder in a direct message too; an escalation goes to the contact.

        Best effort: the channel post is the reminder of record and is already out.
        """
        people = [notice.milestone.owner_user_id]
        if notice.kind == "escalation":
            # Escalated means someone was told: the contact, else whoever created the visit (the
            # message says so; the dispatcher posts it as overdue when there is neither).
            people.append(notice.visit.escalation_user_id or notice.visit.created_by)
        for user_id in dict.fromkeys(person for person in people if person):
            try:
                self.client.chat_postMessage(channel=user_id, text=text, blocks=shown)
            except Exception:
                logger.warning(
                    "could not send reminder %s to %s directly",
                    notice.reminder_id,
                    user_id,
                    exc_info=True,
                )

    def find_posted(self, notice: ReminderNotice, *, since: datetime) -> Posted | None:
        with _classified_errors():
            channel = self._channel(notice)
            cursor = None
            while True:
                page = self.client.conversations_history(
                    channel=channel,
                    oldest=f"{since.timestamp():.6f}",
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
                message: dict[str, Any]
                for message in page.get("messages", []):
                    payload: dict[str, Any] = (message.get("metadata") or {}).get(
                        "event_payload"
                    ) or {}
                    if (message.get("metadata") or {}).get(
                        "event_type"
                    ) == METADATA_EVENT and payload.get("reminder_id") == notice.reminder_id:
                        return Posted(channel_id=channel, ts=str(message["ts"]))
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return None

    def report_failure(self, notice: ReminderNotice, *, error: str) -> None:
        """Tell a person, so a reminder that cannot go out is never lost silently."""
        user_id = notice.visit.escalation_user_id or notice.visit.created_by
        if not user_id:
            return
        where = (
            f"<#{notice.visit.channel_id}>" if notice.visit.channel_id else "your direct messages"
        )
        self.client.chat_postMessage(
            channel=user_id,
            text=(
                ":warning: I could not post the reminder for "
                f"*{escape_mrkdwn(notice.milestone.label)}* "
                f"(`{notice.visit.reference}`, due {format_long(notice.milestone.due_date)}) "
                f"in {where}: {escape_mrkdwn(error)}. Check that I am still in that channel "
                "(`/invite @ofsted-bot`)."
            ),
        )


class _classified_errors:
    """Slack's answers sorted into "try again later" and "trying again will not help"."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: BaseException | None, traceback: Any) -> Literal[False]:
        # Never swallows: an error leaves as itself, or as one the dispatcher knows how to treat.
        if error is None:
            return False
        if isinstance(error, SlackApiError):
            status = getattr(error.response, "status_code", 200)
            code = error.response.get("error") if hasattr(error.response, "get") else None
            if status == 429 or status >= 500 or code in TRANSIENT_ERRORS:
                raise TransientPostError(f"Slack answered {status} {code or ''}".strip()) from error
            raise PermanentPostError(f"Slack refused the post: {code}") from error
        if isinstance(error, (urllib.error.URLError, TimeoutError, ConnectionError, OSError)):
            raise TransientPostError(f"could not reach Slack: {error}") from error
        return False
