"""Events: the App Home tab, and letters shared as files in a channel or a direct message."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers.slack import blocks
from handlers.slack.context import HandlerContext
from handlers.slack.errors import answers_errors
from handlers.slack.intake import SharedFile, facts_from_file, save_and_preview
from handlers.core.visits import home_items, visible_to
from storage import repo

logger = logging.getLogger(__name__)


def acknowledge(ack: Ack) -> None:
    ack()


def register(app: App, ctx: HandlerContext) -> None:
    @answers_errors
    def handle_app_home_opened(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        event = body["event"]
        if event.get("tab", "home") != "home":
            return
        asker = ctx.asker(body, client)
        user_id = asker.user_id
        today = ctx.today()
        with ctx.reading() as session:
            shown_to = visible_to(session=session, asker=asker)
            overdue, due_soon, waiting = home_items(session=session, visible_to=shown_to, today=today)
            view = blocks.home_view(
                overdue=overdue, due_soon=due_soon, waiting_on_me=waiting, today=today, calendar=ctx.calendar
            )
        client.views_publish(user_id=user_id, view=view)

    @answers_errors
    def handle_file_shared(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        event = body["event"]
        letters = [SharedFile.from_slack(f) for f in event.get("files", [])]
        letters = [f for f in letters if f.looks_like_a_letter]
        if not letters:
            return  # a photo or a spreadsheet: not ours to comment on
        channel_id, message_ts = event["channel"], event["ts"]
        with ctx.session() as session:
            if repo.find_letter_draft_for_message(session=session, channel_id=channel_id, thread_ts=message_ts):
                return  # Slack delivered this event again: it has its preview already
        facts = facts_from_file(letters[0], token=ctx.bot_token, origins=ctx.file_origins)
        save_and_preview(
            ctx=ctx, client=client, facts=facts, created_by=event["user"], filename=letters[0].name,
            visit_channel_id=channel_id, preview_channel_id=channel_id, thread_ts=message_ts,
            workspace=ctx.asker(body, client).actor.workspace,
        )

    app.event("app_home_opened")(ack=acknowledge, lazy=[handle_app_home_opened])
    app.event({"type": "message", "subtype": "file_share"})(ack=acknowledge, lazy=[handle_file_shared])

    # Every other message in the bot's channels: acknowledged, so Slack does not retry it.
    @app.event("message")
    def ignore_other_messages(ack: Ack) -> None:
        ack()

    @app.event("file_shared")
    def ignore_file_shared(ack: Ack) -> None:
        ack()  # the message event with the file carries everything; this one would double it

    # Someone joined or left a channel: who may see its visits changed, so ask Slack again.
    def forget_channel_members(ack: Ack, event: dict[str, Any]) -> None:
        ctx.members.forget(str(event.get("channel") or ""))
        ack()

    app.event("member_joined_channel")(forget_channel_members)
    app.event("member_left_channel")(forget_channel_members)
