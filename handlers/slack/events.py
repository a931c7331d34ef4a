"""Events: the App Home tab, letters shared as files in a channel or a direct message, and
channel membership changes (bot/manifest.yml lists the events subscribed to)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers.core import visits
from handlers.core.letters import already_previewed
from handlers.slack import blocks
from handlers.slack.context import HandlerContext
from handlers.slack.errors import answers_errors
from handlers.slack.intake import SharedFile, read_shared_file, save_and_preview

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
        shown = visits.home(ctx, asker=asker)
        view = blocks.home_view(
            overdue=shown.overdue,
            due_soon=shown.due_soon,
            waiting_on_me=shown.waiting,
            today=shown.today,
            calendar=ctx.calendar,
        )
        client.views_publish(user_id=asker.user_id, view=view)

    @answers_errors
    def handle_file_shared(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        event = body["event"]
        letters = [SharedFile.from_slack(f) for f in event.get("files", [])]
        letters = [f for f in letters if f.looks_like_a_letter]
        if not letters:
            return  # a photo or a spreadsheet: not ours to comment on
        channel_id, message_ts = event["channel"], event["ts"]
        if already_previewed(ctx, channel_id=channel_id, message_ts=message_ts):
            return  # Slack delivered this event again: it has its preview already
        facts, content_hash = read_shared_file(
            letters[0], token=ctx.bot_token, origins=ctx.file_origins
        )
        asker = ctx.asker(body, client)
        save_and_preview(
            ctx=ctx,
            client=client,
            facts=facts,
            created_by=event["user"],
            filename=letters[0].name,
            visit_channel_id=channel_id,
            preview_channel_id=channel_id,
            thread_ts=message_ts,
            workspace=asker.actor.workspace,
            asker=asker,
            content_hash=content_hash,
        )

    app.event("app_home_opened")(ack=acknowledge, lazy=[handle_app_home_opened])
    app.event({"type": "message", "subtype": "file_share"})(
        ack=acknowledge, lazy=[handle_file_shared]
    )

    # Every other message in the bot's channels: acknowledged, so Slack does not retry it.
    @app.event("message")
    def ignore_other_messages(ack: Ack) -> None:
        ack()

    # Someone joined or left a channel: who may see its visits changed, so ask Slack again.
    def forget_channel_members(ack: Ack, event: dict[str, Any]) -> None:
        ctx.members.forget(str(event.get("channel") or ""))
        ack()

    app.event("member_joined_channel")(forget_channel_members)
    app.event("member_left_channel")(forget_channel_members)
