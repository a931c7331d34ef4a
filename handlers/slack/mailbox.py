"""Mail previews in Slack: posted to MAILBOX_CHANNEL, and the "Attach to an existing visit" button.

The preview is the one a shared letter gets (handlers.blocks.letter_preview_blocks), under a line
naming the sender, the subject and the received time, with one more button: Attach to an
existing visit. Create visit, Edit dates and Dismiss are the shared letter's own buttons and
listeners. Documents sent with the letter (the report) are attached in the preview's thread.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers.core.errors import UserError
from handlers.core.letters import ReportAttached, TrackedLetter
from handlers.core.mailbox import LetterInMail, attach_choices, attach_to_visit
from handlers.core.text import escape_mrkdwn
from handlers.slack import blocks
from handlers.slack.actions import clicked_preview
from handlers.slack.context import HandlerContext
from handlers.slack.delivery import settle_preview
from handlers.slack.errors import answers_errors, unless_refused
from handlers.slack.forms import metadata
from scheduler.calendar import LONDON, WorkingDayCalendar, london_date
from scheduler.dates import format_long
from scheduler.mailbox.messages import Envelope

logger = logging.getLogger(__name__)

ATTACH_TO_VISIT = "draft_attach"
ATTACH_MODAL = "mail_attach_modal"
_VISIT_FIELD = "visit"
# How far back the channel is searched for a message posted before a crash.
_HISTORY_SLACK = timedelta(minutes=5)
_HISTORY_PAGES = 5


def received_line(envelope: Envelope) -> str:
    """From whom, about what, and when (London time): the first thing a reader checks."""
    when = "received time unknown"
    if envelope.received_at is not None:
        local = envelope.received_at.astimezone(LONDON)
        when = f"received {format_long(local.date())} at {local:%H:%M}"
    subject = escape_mrkdwn(envelope.subject or "(no subject)")
    sender = escape_mrkdwn(envelope.sender or "an unknown sender")
    return f":email: From *{sender}*: “{subject}”, {when}"


def mail_lines(*, marker: str, envelope: Envelope, letter: LetterInMail) -> list[dict[str, Any]]:
    """The lines above whatever a mailed letter gets: the mail (carrying the marker), the file
    the letter was read from, what came with it, and what could not be read."""
    lines = [{**blocks.context(received_line(envelope)), "block_id": marker}]
    if letter.letter is not None:
        lines.append(blocks.context(f"Read from {escape_mrkdwn(letter.letter.filename)}"))
    else:
        lines.append(blocks.context("Read from the text of the mail"))
    if letter.others:
        names = ", ".join(escape_mrkdwn(other.filename) for other in letter.others)
        lines.append(blocks.context(f":paperclip: Also attached (in the thread): {names}"))
    for note in letter.notes:
        lines.append(blocks.context(f":warning: {escape_mrkdwn(note)}"))
    return lines


def mail_preview_blocks(
    *,
    marker: str,
    envelope: Envelope,
    letter: LetterInMail,
    draft_id: int,
    today: Any,
    calendar: WorkingDayCalendar,
) -> list[dict[str, Any]]:
    preview = blocks.letter_preview_blocks(
        facts=letter.facts, draft_id=draft_id, today=today, calendar=calendar
    )
    actions = preview[-1]
    elements = list(actions["elements"])
    # Next to Create visit, its alternative; a document with no deadlines has no Create visit.
    ids = [element.get("action_id") for element in elements]
    elements.insert(
        ids.index(blocks.CREATE_FROM_DRAFT) + 1 if blocks.CREATE_FROM_DRAFT in ids else 1,
        blocks.button(
            "Attach to an existing visit", action_id=ATTACH_TO_VISIT, value=str(draft_id)
        ),
    )
    lines = mail_lines(marker=marker, envelope=envelope, letter=letter)
    body = blocks.fit([*lines, *preview[:-1]], limit=blocks.MAX_MESSAGE_BLOCKS - 1)
    return [*body, {**actions, "elements": elements}]


class SlackMailChannel:
    """handlers.core.mailbox.MailChannel for one Slack channel."""

    def __init__(
        self, *, client: WebClient, channel_id: str, calendar: WorkingDayCalendar, clock: Any
    ) -> None:
        self.client = client
        self.channel_id = channel_id
        self.calendar = calendar
        self.clock = clock

    def find_posted(self, *, marker: str, since: datetime | None) -> str | None:
        oldest = "0" if since is None else f"{(since - _HISTORY_SLACK).timestamp():.6f}"
        cursor: str | None = None
        for _ in range(_HISTORY_PAGES):
            page = self.client.conversations_history(
                channel=self.channel_id, oldest=oldest, limit=200, cursor=cursor
            )
            for message in page.get("messages") or []:
                if any(block.get("block_id") == marker for block in message.get("blocks") or []):
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return None

    def post_preview(
        self, *, marker: str, envelope: Envelope, letter: LetterInMail, draft_id: int
    ) -> str:
        preview = mail_preview_blocks(
            marker=marker,
            envelope=envelope,
            letter=letter,
            draft_id=draft_id,
            today=london_date(self.clock()),
            calendar=self.calendar,
        )
        name = letter.letter.filename if letter.letter else envelope.subject or "the mail"
        posted = self.client.chat_postMessage(
            channel=self.channel_id,
            text=f"A letter came by email from {escape_mrkdwn(envelope.sender)}: "
            f"I read {escape_mrkdwn(name)}, please check its dates.",
            blocks=preview,
            unfurl_links=False,
        )
        return self._with_others(str(posted["ts"]), letter)

    def post_tracked(
        self, *, marker: str, envelope: Envelope, letter: LetterInMail, tracked: TrackedLetter,
        draft_id: int,
    ) -> str:
        text = f"This letter is already tracked as `{escape_mrkdwn(tracked.reference)}`."
        shown = blocks.already_tracked_blocks(tracked=tracked, draft_id=draft_id)
        return self._post_about(letter, marker=marker, envelope=envelope, text=text, shown=shown)

    def post_report_kept(
        self, *, marker: str, envelope: Envelope, letter: LetterInMail, attached: ReportAttached
    ) -> str:
        filename = letter.letter.filename if letter.letter else None
        text = f"Kept with `{escape_mrkdwn(attached.reference)}`: it is that visit's report."
        shown = blocks.report_attached_blocks(attached=attached, filename=filename)
        return self._post_about(letter, marker=marker, envelope=envelope, text=text, shown=shown)

    def _post_about(
        self,
        letter: LetterInMail,
        *,
        marker: str,
        envelope: Envelope,
        text: str,
        shown: list[dict[str, Any]],
    ) -> str:
        """What a shared file would get, under the lines that name the mail."""
        posted = self.client.chat_postMessage(
            channel=self.channel_id,
            text=text,
            blocks=[*mail_lines(marker=marker, envelope=envelope, letter=letter), *shown],
            unfurl_links=False,
        )
        return self._with_others(str(posted["ts"]), letter)

    def _with_others(self, ts: str, letter: LetterInMail) -> str:
        """The documents sent with the letter, in the thread of what was posted about it."""
        if letter.others:
            try:
                self.client.files_upload_v2(
                    channel=self.channel_id,
                    thread_ts=ts,
                    initial_comment="Sent with the letter.",
                    file_uploads=[
                        {"content": other.data, "filename": other.filename, "title": other.filename}
                        for other in letter.others
                    ],
                )
            except Exception:
                logger.exception("could not attach the documents sent with a letter")
        return ts

    def post_answer(self, *, marker: str, envelope: Envelope, text: str) -> str:
        answer = [
            {**blocks.context(received_line(envelope)), "block_id": marker},
            blocks.section(f":no_entry_sign: {escape_mrkdwn(text)}"),
        ]
        posted = self.client.chat_postMessage(
            channel=self.channel_id,
            text=f"Mail from {escape_mrkdwn(envelope.sender)}: {escape_mrkdwn(text)}",
            blocks=answer,
            unfurl_links=False,
        )
        return str(posted["ts"])

    def post_notice(self, *, text: str) -> None:
        self.client.chat_postMessage(
            channel=self.channel_id, text=f":warning: {escape_mrkdwn(text)}"
        )


def attach_modal(*, visits: list[tuple[str, str]], private_metadata: str) -> dict[str, Any]:
    options = [{"text": blocks.plain(label, 75), "value": reference} for reference, label in visits]
    return {
        "type": "modal",
        "callback_id": ATTACH_MODAL,
        "title": blocks.plain("Attach the letter", 24),
        "submit": blocks.plain("Attach", 24),
        "close": blocks.plain("Cancel", 24),
        "private_metadata": private_metadata,
        "blocks": [
            blocks.section("Which visit is this letter about? Its dates are not changed."),
            {
                "type": "input",
                "block_id": _VISIT_FIELD,
                "label": blocks.plain("Visit", 2000),
                "element": {"type": "static_select", "action_id": _VISIT_FIELD, "options": options},
            },
        ],
    }


def register(app: App, ctx: HandlerContext) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    @answers_errors
    def handle_attach_clicked(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        try:
            draft_id = int(body["actions"][0]["value"])
        except (KeyError, ValueError):
            raise UserError("That button is out of date.") from None
        choices = unless_refused(
            attach_choices(ctx, asker=ctx.asker(body, client), draft_id=draft_id)
        )
        channel_id, ts = clicked_preview(body) or (None, None)
        private = json.dumps({"draft_id": draft_id, "channel_id": channel_id, "ts": ts})
        view = attach_modal(visits=choices.visits, private_metadata=private)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @answers_errors
    def handle_attach_submitted(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        saved = metadata(body["view"])
        chosen = (body["view"]["state"]["values"].get(_VISIT_FIELD) or {}).get(_VISIT_FIELD) or {}
        attached = unless_refused(
            attach_to_visit(
                ctx,
                asker=ctx.asker(body, client),
                draft_id=int(saved.get("draft_id") or 0),
                reference=str((chosen.get("selected_option") or {}).get("value") or ""),
            )
        )
        settle_preview(
            client,
            (saved.get("channel_id"), saved.get("ts")),
            f":paperclip: <@{attached.attached_by}> attached this letter to visit "
            f"`{escape_mrkdwn(attached.reference)}`.",
        )

    app.action(ATTACH_TO_VISIT)(ack=acknowledge, lazy=[handle_attach_clicked])
    app.view(ATTACH_MODAL)(ack=acknowledge, lazy=[handle_attach_submitted])
