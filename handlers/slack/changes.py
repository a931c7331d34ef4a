"""Changing a visit after creation, from Slack: the menu options on a timeline's line and under a
reminder (Change date…, Confirm the expected date, Waive…, Undo), their modals, and the commands
`/ofsted add <visit>` and `/ofsted reopen <visit>`.

A translation only: each becomes one call of handlers.core.changes, whose result redraws the
message the click came from, as the other milestone buttons do (handlers.slack.milestones).
Registered before those, its listener takes only the menu options that are its own.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers.core import changes, visits
from handlers.core.commandline import Command
from handlers.core.errors import UserError
from handlers.core.results import MilestoneChanged, Refusal
from handlers.slack import blocks
from handlers.slack.actions import clicked_preview
from handlers.slack.context import HandlerContext
from handlers.slack.delivery import post_new_visit_timeline, settle_preview
from handlers.slack.errors import answers_errors, unless_refused
from handlers.slack.forms import FormErrors, choice_value, date_value, metadata, text_value
from handlers.slack.milestones import Origin, redraw


def _is_change_option(body: dict[str, Any]) -> bool:
    option = (body.get("actions") or [{}])[0].get("selected_option") or {}
    return str(option.get("value") or "").startswith(blocks.CHANGE_VERBS)


def _show(
    *,
    ctx: HandlerContext,
    changed: MilestoneChanged,
    origin: Origin,
    client: WebClient,
    respond: Any,
) -> None:
    """Redraw the message the change came from (a reminder, a channel or ephemeral timeline)."""
    drawn = redraw(ctx=ctx, changed=changed, origin=origin)
    if drawn is None:
        return
    shown, text = drawn
    if origin.channel_id and origin.ts and not origin.ephemeral:
        client.chat_update(channel=origin.channel_id, ts=origin.ts, text=text, blocks=shown)
    elif respond is not None:
        respond(text=text, blocks=shown, replace_original=True)


def register(app: App, ctx: HandlerContext) -> None:
    @answers_errors
    def handle_change_option(
        *, body: dict[str, Any], client: WebClient, respond: Any, **_: Any
    ) -> None:
        action = body["actions"][0]
        verb, value = str(action["selected_option"]["value"]).rsplit(":", 1)
        milestone_id, user_id = int(value), body["user"]["id"]
        origin = Origin.from_action(body)
        asker = ctx.asker(body, client)
        key = f"{action.get('action_ts')}:{user_id}:{verb}:{value}"
        if verb in (blocks.CHANGE_DATE, blocks.WAIVE):
            # Who may open it is asked now; who may submit it, again when it is submitted.
            action_name = (
                "milestone_due_date_changed" if verb == blocks.CHANGE_DATE else "milestone_waived"
            )
            opened = unless_refused(
                changes.open_change_form(
                    ctx, asker=asker, milestone_id=milestone_id, action=action_name
                )
            )
            build = blocks.change_date_modal if verb == blocks.CHANGE_DATE else blocks.waive_modal
            view = build(
                milestone=opened.milestone, visit=opened.visit, origin=origin.as_metadata()
            )
            client.views_open(trigger_id=body["trigger_id"], view=view)
            return
        if verb == blocks.CONFIRM_DATE:
            changed = changes.confirm_date(ctx, asker=asker, milestone_id=milestone_id, key=key)
        else:
            changed = changes.undo_milestone(ctx, asker=asker, milestone_id=milestone_id, key=key)
        _show(
            ctx=ctx, changed=unless_refused(changed), origin=origin, client=client, respond=respond
        )

    app.action(blocks.MILESTONE_MENU, matchers=[_is_change_option])(
        ack=_acknowledge, lazy=[handle_change_option]
    )

    def check_date(ack: Ack, body: dict[str, Any]) -> None:
        state = body["view"]["state"]["values"]
        errors = _date_errors(state)
        if not text_value(state, "reason"):
            errors["reason"] = "Say why, so the audit trail shows it."
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()

    @answers_errors
    def handle_modal_submitted(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        view, user_id = body["view"], body["user"]["id"]
        state, meta = view["state"]["values"], metadata(view)
        key = f"view:{view['id']}:{user_id}"
        asker = ctx.asker(body, client)
        milestone_id = int(meta.get("milestone_id") or 0)
        reason = text_value(state, "reason")
        changed: MilestoneChanged | Refusal
        if view["callback_id"] == blocks.CHANGE_DATE_MODAL:
            new_date = date_value(state, "due")
            if new_date is None:
                raise UserError("Pick the new date.")  # the ack showed it already
            changed = changes.change_date(
                ctx,
                asker=asker,
                milestone_id=milestone_id,
                new_date=new_date,
                reason=reason,
                key=key,
            )
        else:
            changed = changes.waive_milestone(
                ctx, asker=asker, milestone_id=milestone_id, reason=reason, key=key
            )
        _show(
            ctx=ctx,
            changed=unless_refused(changed),
            origin=Origin.from_metadata(meta),
            client=client,
            respond=None,
        )

    app.view(blocks.CHANGE_DATE_MODAL)(ack=check_date, lazy=[handle_modal_submitted])
    app.view(blocks.WAIVE_MODAL)(ack=_check_reason, lazy=[handle_modal_submitted])

    @answers_errors
    def handle_added(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        view, user_id = body["view"], body["user"]["id"]
        state, meta = view["state"]["values"], metadata(view)
        due = date_value(state, "due")
        if due is None:
            raise UserError("Pick the milestone's date.")  # the ack showed it already
        added = unless_refused(
            changes.add_milestone(
                ctx,
                asker=ctx.asker(body, client),
                reference=str(meta.get("reference") or ""),
                label=text_value(state, "label"),
                due=due,
                event=choice_value(state, "nature") == "event",
                key=f"view:{view['id']}:{user_id}",
            )
        )
        client.chat_postMessage(
            channel=added.visit.channel_id or user_id,
            text=(
                f"<@{user_id}> added *{blocks.escape(added.milestone.label)}* to "
                f"`{added.visit.reference}`."
            ),
            blocks=blocks.timeline_blocks(
                visit=added.visit,
                milestones=added.milestones,
                today=ctx.today(),
                calendar=ctx.calendar,
            ),
        )

    app.view(blocks.ADD_MILESTONE_MODAL)(ack=_check_added, lazy=[handle_added])

    @answers_errors
    def handle_track_as_record(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        """ "Track as a record" on the preview of a letter whose every date has passed."""
        try:
            draft_id = int(body["actions"][0]["value"])
        except (KeyError, ValueError):
            raise UserError("That button is out of date. Share the letter again.") from None
        created = unless_refused(
            visits.create_visit_from_draft(
                ctx,
                asker=ctx.asker(body, client),
                draft_id=draft_id,
                clicked_preview=clicked_preview(body),
                as_record=True,
            )
        )
        user_id, visit = created.created_by, created.timeline.visit
        settle_preview(
            client,
            created.preview,
            f":file_cabinet: <@{user_id}> kept this letter as a record: `{visit.reference}`, "
            "closed, with no reminders (`/ofsted reopen` brings it back).",
        )
        shown, text = blocks.timeline_of(
            created.timeline, today=ctx.today(), calendar=ctx.calendar
        )
        post_new_visit_timeline(
            client=client, timeline=shown, text=text, channel_id=visit.channel_id, user_id=user_id
        )

    app.action(blocks.TRACK_AS_RECORD)(ack=_acknowledge, lazy=[handle_track_as_record])


def handle_add(
    *, ctx: HandlerContext, command: Command, body: dict[str, Any], client: WebClient, **_: Any
) -> None:
    """`/ofsted add <visit>`: the form for a milestone of the council's own (managers only)."""
    shown = unless_refused(
        changes.open_add_form(ctx, asker=ctx.asker(body, client), reference=command.visit or "")
    )
    client.views_open(
        trigger_id=body["trigger_id"], view=blocks.add_milestone_modal(visit=shown.visit)
    )


def handle_reopen(
    *,
    ctx: HandlerContext,
    command: Command,
    body: dict[str, Any],
    client: WebClient,
    respond: Any,
    **_: Any,
) -> None:
    """`/ofsted reopen <visit>`."""
    reopened = unless_refused(
        changes.reopen_visit(ctx, asker=ctx.asker(body, client), reference=command.visit or "")
    )
    respond(
        text=(
            f":arrows_counterclockwise: Reopened `{reopened.reference}`: its open milestones are "
            "reminded again."
        )
    )


def _check_reason(ack: Ack, body: dict[str, Any]) -> None:
    if not text_value(body["view"]["state"]["values"], "reason"):
        ack(response_action="errors", errors={"reason": "Say why, so the audit trail shows it."})
        return
    ack()


def _check_added(ack: Ack, body: dict[str, Any]) -> None:
    state = body["view"]["state"]["values"]
    errors = _date_errors(state)
    if not text_value(state, "label"):
        errors["label"] = "Say what the milestone is."
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()


def _date_errors(state: dict[str, Any]) -> dict[str, str]:
    try:
        picked = date_value(state, "due")
    except FormErrors as error:
        return dict(error.errors)
    return {} if picked else {"due": "Pick the date."}


def _acknowledge(ack: Ack) -> None:
    ack()
