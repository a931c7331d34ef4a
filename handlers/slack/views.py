"""Modal submissions. The ack checks the form (pure) and shows field errors in the modal; the
saving happens after the ack, in a lazy listener, so a slow database never times Slack out."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from handlers.core import visits
from handlers.core.errors import UserError
from handlers.core.letters import facts_from_text
from handlers.core.results import VisitCreated
from handlers.core.text import escape_mrkdwn
from handlers.slack import blocks
from handlers.slack.context import HandlerContext
from handlers.slack.delivery import direct_message_channel, post_new_visit_timeline, settle_preview
from handlers.slack.errors import answers_errors, unless_refused
from handlers.slack.forms import (
    FormErrors,
    State,
    checking,
    files_value,
    metadata,
    read_settings_form,
    read_visit_form,
    text_value,
)
from handlers.slack.intake import SharedFile, read_shared_file, save_and_preview
from scheduler.letters import LetterFacts

NO_LETTER = "Attach the letter, or paste its text here."


def letter_submission(state: State) -> SharedFile | LetterFacts:
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


def _state(body: dict[str, Any]) -> State:
    return dict(body["view"]["state"]["values"])


def tell_visit_created(ctx: HandlerContext, client: WebClient, created: VisitCreated) -> None:
    """Settle the letter's preview (if there was one) and post the new visit's timeline."""
    user_id, visit = created.created_by, created.timeline.visit
    settle_preview(
        client,
        created.preview,
        f":white_check_mark: <@{user_id}> created visit `{visit.reference}` from this letter.",
    )
    shown, text = blocks.timeline_of(created.timeline, today=ctx.today(), calendar=ctx.calendar)
    post_new_visit_timeline(
        client=client, timeline=shown, text=text, channel_id=visit.channel_id, user_id=user_id
    )


def register(app: App, ctx: HandlerContext) -> None:
    @answers_errors
    def handle_letter_submitted(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        # The preview goes to the person's direct messages: a letter under embargo is not shown
        # to a channel until someone decides to.
        asker = ctx.asker(body, client)
        submitted = letter_submission(_state(body))
        content_hash: str | None = None
        if isinstance(submitted, SharedFile):
            facts, content_hash = read_shared_file(
                submitted, token=ctx.bot_token, origins=ctx.file_origins
            )
            filename: str | None = submitted.name
        else:
            facts, filename = submitted, None
        save_and_preview(
            ctx=ctx,
            client=client,
            facts=facts,
            created_by=asker.user_id,
            filename=filename,
            visit_channel_id=metadata(body["view"]).get("channel_id"),
            preview_channel_id=direct_message_channel(client=client, user_id=asker.user_id),
            workspace=asker.actor.workspace,
            asker=asker,
            content_hash=content_hash,
        )

    app.view(blocks.LETTER_MODAL)(ack=checking(letter_submission), lazy=[handle_letter_submitted])

    # --- Review (from a letter) and new visit (by hand): one form, one way to a visit ---------

    @answers_errors
    def handle_visit_form_submitted(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        draft_id = metadata(body["view"]).get("draft_id")
        created = visits.create_visit(
            ctx,
            asker=ctx.asker(body, client),
            form=read_visit_form(_state(body)),
            draft_id=int(draft_id) if draft_id is not None else None,
        )
        tell_visit_created(ctx, client, unless_refused(created))

    app.view(blocks.REVIEW_MODAL)(ack=checking(read_visit_form), lazy=[handle_visit_form_submitted])
    app.view(blocks.NEW_VISIT_MODAL)(
        ack=checking(read_visit_form), lazy=[handle_visit_form_submitted]
    )

    # --- Settings ---------------------------------------------------------------------------

    @answers_errors
    def handle_settings_submitted(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        asker = ctx.asker(body, client)
        meta = metadata(body["view"])
        saved = unless_refused(
            visits.save_settings(
                ctx,
                asker=asker,
                visit_id=int(meta.get("visit_id") or 0),
                form=read_settings_form(_state(body)),
                shown=meta.get("shown"),
            )
        )
        summary = (
            "unchanged: nothing to save"
            if saved.change is None
            else f"saved: {escape_mrkdwn(saved.change)}"
        )
        client.chat_postMessage(
            channel=asker.user_id, text=f"Settings for `{saved.reference}` {summary}."
        )

    app.view(blocks.SETTINGS_MODAL)(
        ack=checking(read_settings_form), lazy=[handle_settings_submitted]
    )
