"""Buttons: a letter preview's Create / Edit dates / Dismiss, and a visit list's Show."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers.slack import blocks
from handlers.slack.context import HandlerContext
from handlers.slack.delivery import post_new_visit_timeline, settle_preview
from handlers.slack.errors import UserError, answers_errors
from handlers.core.visits import create_visit_from_facts, find_visit, visit_timeline
from storage import repo
from storage.models import LetterDraft


def acknowledge(ack: Ack) -> None:
    ack()


def _action(body: dict[str, Any]) -> dict[str, Any]:
    return dict(body["actions"][0])


def _draft_id(body: dict[str, Any]) -> int:
    try:
        return int(_action(body)["value"])
    except (KeyError, ValueError):
        raise UserError("That button is out of date. Share the letter again.") from None


def _draft(session: Any, body: dict[str, Any], *, team_id: str) -> LetterDraft:
    draft = repo.get_letter_draft(session=session, draft_id=_draft_id(body), team_id=team_id)
    if draft is None:
        raise UserError("I can't find that letter any more. Share it again.")
    return draft


def _already(draft: Any) -> str:
    outcome = "made into a visit" if draft.status == "created" else "dismissed"
    return f"This letter was already {outcome} by <@{draft.resolved_by}>."


def register(app: App, ctx: HandlerContext) -> None:
    @answers_errors
    def handle_show_visit(*, body: dict[str, Any], client: WebClient, respond: Any, **_: Any) -> None:
        asker = ctx.asker(body, client)
        with ctx.session() as session:  # a refusal is written to the audit log
            visit = find_visit(
                session=session, reference=_action(body)["value"], asker=asker, attempt="visit_shown", now=ctx.now()
            )
            shown, text = visit_timeline(ctx=ctx, session=session, visit=visit)
        respond(text=text, blocks=shown, response_type="ephemeral", replace_original=False)

    @answers_errors
    def handle_create_from_draft(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        asker = ctx.asker(body, client)
        user_id = asker.user_id
        with ctx.session() as session:
            draft = _draft(session, body, team_id=asker.team_id)
            now = ctx.now()
            if not repo.resolve_letter_draft(
                session=session, draft_id=draft.id or 0, status="created", actor_user_id=user_id, now=now
            ):
                session.refresh(draft)
                raise UserError(_already(draft))
            visit = create_visit_from_facts(
                session=session, facts=draft.facts, channel_id=draft.channel_id, actor_user_id=user_id, now=now,
                defaults=ctx.defaults, workspace=asker.actor.workspace,
            )
            draft.visit_id = visit.id
            session.add(draft)
            timeline, text = visit_timeline(ctx=ctx, session=session, visit=visit)
            preview = clicked_preview(body, draft)
            reference, channel_id = visit.reference, visit.channel_id
        settle_preview(client, preview, f":white_check_mark: <@{user_id}> created visit `{reference}` from this letter.")
        post_new_visit_timeline(client=client, timeline=timeline, text=text, channel_id=channel_id, user_id=user_id)

    @answers_errors
    def handle_edit_draft(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        asker = ctx.asker(body, client)
        with ctx.session() as session:
            draft = _draft(session, body, team_id=asker.team_id)
            if draft.status != "pending":
                raise UserError(_already(draft))
            view = blocks.review_modal(facts=draft.facts, draft_id=draft.id or 0, channel_id=draft.channel_id)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @answers_errors
    def handle_dismiss_draft(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        asker = ctx.asker(body, client)
        user_id = asker.user_id
        with ctx.session() as session:
            draft = _draft(session, body, team_id=asker.team_id)
            if not repo.resolve_letter_draft(
                session=session, draft_id=draft.id or 0, status="dismissed", actor_user_id=user_id, now=ctx.now()
            ):
                session.refresh(draft)
                raise UserError(_already(draft))
            preview = clicked_preview(body, draft)
        settle_preview(client, preview, f"<@{user_id}> dismissed this letter: no visit was created.")

    app.action(blocks.OPEN_VISIT)(ack=acknowledge, lazy=[handle_show_visit])
    app.action(blocks.CREATE_FROM_DRAFT)(ack=acknowledge, lazy=[handle_create_from_draft])
    app.action(blocks.EDIT_DRAFT)(ack=acknowledge, lazy=[handle_edit_draft])
    app.action(blocks.DISMISS_DRAFT)(ack=acknowledge, lazy=[handle_dismiss_draft])


def clicked_preview(body: dict[str, Any], draft: LetterDraft) -> tuple[str | None, str | None]:
    """The preview message a button was pressed on: the click names it itself.

    The preview's ts is stored only after Slack has answered the post, in a second unit of
    work, so a click that quick finds none stored yet; the click's own container always has it.
    An ephemeral preview cannot be updated by ts, so the stored one (none) is kept for it.
    """
    container = body.get("container") or {}
    if container.get("channel_id") and container.get("message_ts") and not container.get("is_ephemeral"):
        return str(container["channel_id"]), str(container["message_ts"])
    return draft.preview_channel_id, draft.preview_ts
