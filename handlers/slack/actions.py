"""Buttons: a letter preview's Create / Edit dates / Dismiss, and a visit list's Show."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers.core import letters, visits
from handlers.core.errors import UserError
from handlers.slack import blocks
from handlers.slack.context import HandlerContext
from handlers.slack.delivery import settle_preview
from handlers.slack.errors import answers_errors, unless_refused
from handlers.slack.views import tell_visit_created


def acknowledge(ack: Ack) -> None:
    ack()


def _action(body: dict[str, Any]) -> dict[str, Any]:
    return dict(body["actions"][0])


def _draft_id(body: dict[str, Any]) -> int:
    try:
        return int(_action(body)["value"])
    except (KeyError, ValueError):
        raise UserError("That button is out of date. Share the letter again.") from None


def register(app: App, ctx: HandlerContext) -> None:
    @answers_errors
    def handle_show_visit(
        *, body: dict[str, Any], client: WebClient, respond: Any, **_: Any
    ) -> None:
        shown = unless_refused(
            visits.show_visit(ctx, asker=ctx.asker(body, client), reference=_action(body)["value"])
        )
        timeline, text = blocks.timeline_of(shown, today=ctx.today(), calendar=ctx.calendar)
        respond(text=text, blocks=timeline, response_type="ephemeral", replace_original=False)

    @answers_errors
    def handle_create_from_draft(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        created = visits.create_visit_from_draft(
            ctx,
            asker=ctx.asker(body, client),
            draft_id=_draft_id(body),
            clicked_preview=clicked_preview(body),
        )
        tell_visit_created(ctx, client, unless_refused(created))

    @answers_errors
    def handle_edit_draft(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        draft = unless_refused(
            letters.review_draft(ctx, asker=ctx.asker(body, client), draft_id=_draft_id(body))
        )
        view = blocks.review_modal(
            facts=draft.facts, draft_id=draft.draft_id, channel_id=draft.channel_id
        )
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @answers_errors
    def handle_dismiss_draft(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        dismissed = unless_refused(
            letters.dismiss_draft(
                ctx,
                asker=ctx.asker(body, client),
                draft_id=_draft_id(body),
                clicked_preview=clicked_preview(body),
            )
        )
        settle_preview(
            client,
            dismissed.preview,
            f"<@{dismissed.dismissed_by}> dismissed this letter: no visit was created.",
        )

    @answers_errors
    def handle_track_anyway(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        """ "Track it anyway" on a letter already tracked: its preview, with Create visit."""
        draft = unless_refused(
            letters.review_draft(ctx, asker=ctx.asker(body, client), draft_id=_draft_id(body))
        )
        preview = blocks.letter_preview_blocks(
            facts=draft.facts, draft_id=draft.draft_id, today=ctx.today(), calendar=ctx.calendar
        )
        where = clicked_preview(body)
        if where is not None:
            client.chat_update(
                channel=where[0], ts=where[1], text="Please check its dates.", blocks=preview
            )

    app.action(blocks.OPEN_VISIT)(ack=acknowledge, lazy=[handle_show_visit])
    app.action(blocks.TRACK_ANYWAY)(ack=acknowledge, lazy=[handle_track_anyway])
    app.action(blocks.CREATE_FROM_DRAFT)(ack=acknowledge, lazy=[handle_create_from_draft])
    app.action(blocks.EDIT_DRAFT)(ack=acknowledge, lazy=[handle_edit_draft])
    app.action(blocks.DISMISS_DRAFT)(ack=acknowledge, lazy=[handle_dismiss_draft])


def clicked_preview(body: dict[str, Any]) -> tuple[str, str] | None:
    """The preview message a button was pressed on: the click names it itself.

    The preview's ts is stored only after Slack has answered the post, in a second unit of
    work, so a click that quick finds none stored yet; the click's own container always has it.
    An ephemeral preview cannot be updated by ts: None, and the stored one (none) is kept for it.
    """
    container = body.get("container") or {}
    if (
        container.get("channel_id")
        and container.get("message_ts")
        and not container.get("is_ephemeral")
    ):
        return str(container["channel_id"]), str(container["message_ts"])
    return None
