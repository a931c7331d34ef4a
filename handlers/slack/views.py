"""Modal submissions. The ack checks the form (pure) and shows field errors in the modal; the
saving happens after the ack, in a lazy listener, so a slow database never times Slack out."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers.slack import blocks
from handlers.slack.context import HandlerContext
from handlers.slack.delivery import direct_message_channel, post_new_visit_timeline, settle_preview
from handlers.slack.errors import UserError, answers_errors
from handlers.slack.forms import (
    FormErrors,
    files_value,
    metadata,
    read_settings_form,
    read_visit_form,
    text_value,
)
from handlers.slack.intake import SharedFile, facts_from_file, facts_from_text, save_and_preview
from handlers.core.visits import create_visit_from_form, require_manager, visit_timeline
from scheduler.planning import replan_visit
from storage import repo
from storage.models import Visit

logger = logging.getLogger(__name__)

NO_LETTER = "Attach the letter, or paste its text here."


def letter_submission(state: dict[str, Any]) -> SharedFile | dict[str, Any]:
    """The attached file (read after the ack: it must be downloaded), or a pasted letter's facts.

    Pure and quick: a pasted text is at most 3,000 characters. FormErrors says what to fix.
    """
    files = files_value(state, "letter_file")
    if files:
        return SharedFile.from_slack(files[0])
    text = text_value(state, "letter_text")
    if not text:
        raise FormErrors({"letter_text": NO_LETTER})
    try:
        return facts_from_text(text)
    except UserError as error:
        raise FormErrors({"letter_text": error.message[:2000]}) from None


def _settings_now(*, ctx: HandlerContext, visit: Visit, approvers: list[str]) -> str:
    """The settings as `/ofsted settings` would show them now (see blocks.settings_fingerprint)."""
    return blocks.settings_fingerprint(
        channel_id=visit.channel_id,
        approvers=approvers,
        escalation_user_id=visit.escalation_user_id,
        reminder_time=visit.reminder_time or ctx.defaults.reminder_time.strftime("%H:%M"),
        reminder_offsets=visit.reminder_offsets or ",".join(str(n) for n in ctx.defaults.offsets),
    )


def _state(body: dict[str, Any]) -> dict[str, Any]:
    return dict(body["view"]["state"]["values"])


def register(app: App, ctx: HandlerContext) -> None:
    # --- /ofsted letter -------------------------------------------------------------------

    def check_letter(ack: Ack, body: dict[str, Any]) -> None:
        try:
            letter_submission(_state(body))
        except FormErrors as error:
            ack(response_action="errors", errors=error.errors)
            return
        ack()

    @answers_errors
    def handle_letter_submitted(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        # The preview goes to the person's direct messages: a letter under embargo is not shown
        # to a channel until someone decides to.
        asker = ctx.asker(body, client)
        user_id = asker.user_id
        submitted = letter_submission(_state(body))
        if isinstance(submitted, SharedFile):
            facts, filename = facts_from_file(submitted, token=ctx.bot_token, origins=ctx.file_origins), submitted.name
        else:
            facts, filename = submitted, None
        save_and_preview(
            ctx=ctx, client=client, facts=facts, created_by=user_id, filename=filename,
            visit_channel_id=metadata(body["view"]).get("channel_id"),
            preview_channel_id=direct_message_channel(client=client, user_id=user_id),
            workspace=asker.actor.workspace,
        )

    app.view(blocks.LETTER_MODAL)(ack=check_letter, lazy=[handle_letter_submitted])

    # --- Review (from a letter) and new visit (by hand) ---------------------------------------

    def check_visit_form(ack: Ack, body: dict[str, Any]) -> None:
        try:
            read_visit_form(_state(body))
        except FormErrors as error:
            ack(response_action="errors", errors=error.errors)
            return
        ack()

    @answers_errors
    def handle_visit_form_submitted(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        asker = ctx.asker(body, client)
        user_id = asker.user_id
        form = read_visit_form(_state(body))
        draft_id = metadata(body["view"]).get("draft_id")
        now = ctx.now()
        with ctx.session() as session:
            facts_milestones: list[dict[str, Any]] = []
            inspectors: list[str] = []
            preview: tuple[str | None, str | None] = (None, None)
            draft = None
            if draft_id is not None:
                draft = repo.get_letter_draft(session=session, draft_id=int(draft_id), team_id=asker.team_id)
                if draft is None or not repo.resolve_letter_draft(
                    session=session, draft_id=int(draft_id), status="created", actor_user_id=user_id, now=now
                ):
                    raise UserError("This letter was already made into a visit or dismissed: nothing new was created.")
                facts_milestones, inspectors = draft.facts["milestones"], draft.facts["inspectors"]
                preview = (draft.preview_channel_id, draft.preview_ts)
            visit = create_visit_from_form(
                session=session, form=form, facts_milestones=facts_milestones, inspectors=inspectors,
                actor_user_id=user_id, now=now, defaults=ctx.defaults, workspace=asker.actor.workspace,
            )
            if draft is not None:
                draft.visit_id = visit.id
                session.add(draft)
            timeline, text = visit_timeline(ctx=ctx, session=session, visit=visit)
            reference, channel_id = visit.reference, visit.channel_id
        settle_preview(client, preview, f":white_check_mark: <@{user_id}> created visit `{reference}` from this letter.")
        post_new_visit_timeline(client=client, timeline=timeline, text=text, channel_id=channel_id, user_id=user_id)

    app.view(blocks.REVIEW_MODAL)(ack=check_visit_form, lazy=[handle_visit_form_submitted])
    app.view(blocks.NEW_VISIT_MODAL)(ack=check_visit_form, lazy=[handle_visit_form_submitted])

    # --- Settings ---------------------------------------------------------------------------

    def check_settings(ack: Ack, body: dict[str, Any]) -> None:
        try:
            read_settings_form(_state(body))
        except FormErrors as error:
            ack(response_action="errors", errors=error.errors)
            return
        ack()

    @answers_errors
    def handle_settings_submitted(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        asker = ctx.asker(body, client)
        user_id = asker.user_id
        form = read_settings_form(_state(body))
        meta = metadata(body["view"])
        gone = "That visit no longer exists: nothing was saved."
        with ctx.session() as session:
            found = repo.get_visit_by_id(session=session, visit_id=int(meta.get("visit_id") or 0), team_id=asker.team_id)
            # Locked until saved: of two people saving at once, the second reads what the first left.
            visit = repo.lock_visit(session=session, visit_id=found.id or 0) if found is not None else None
            if visit is None:
                raise UserError(gone)
            # Asked again now: the form may have been opened by a manager and submitted by someone
            # else, or submitted again after the approvers changed.
            require_manager(
                session=session, visit=visit, asker=asker, what="settings", action="settings_changed",
                now=ctx.now(), hidden=gone,
            )
            approvers = repo.list_approvers(session=session, visit_id=visit.id or 0)
            shown_then, now_shown = meta.get("shown"), _settings_now(ctx=ctx, visit=visit, approvers=approvers)
            if shown_then and shown_then != now_shown:
                saved = repo.latest_change(
                    session=session, visit_id=visit.id or 0, milestone_id=None, actions=("settings_changed",)
                )
                answer = blocks.visit_already_changed_text(
                    reference=visit.reference, event=saved, deed="changed the settings of"
                )
                raise UserError(f"{answer} Run `/ofsted settings {visit.reference}` again to see them.")
            event = repo.update_visit_settings(
                session=session, visit=visit, channel_id=form.channel_id, reminder_time=form.reminder_time,
                reminder_offsets=form.reminder_offsets, escalation_user_id=form.escalation_user_id,
                approvers=form.approvers, actor_user_id=user_id, now=ctx.now(),
            )
            replan_visit(session=session, visit=visit, defaults=ctx.defaults, now=ctx.now())
            reference = visit.reference
        summary = "unchanged: nothing to save" if event is None else f"saved: {blocks.escape(event.note or '')}"
        client.chat_postMessage(channel=user_id, text=f"Settings for `{reference}` {summary}.")

    app.view(blocks.SETTINGS_MODAL)(ack=check_settings, lazy=[handle_settings_submitted])
