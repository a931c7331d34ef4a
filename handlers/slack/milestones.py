"""Buttons on reminders and timelines: acknowledge, mark done, snooze, assign, and sign-off.

A translation: the click (or the modal behind "Mark done…", "Assign owner…", "Sign-off…") becomes
a `MilestoneChange` for the core (handlers.core.milestones), and its result redraws the message
the click came from, in place, to show who did what and when. A Slack retry carries the same
action_ts, so it makes the same idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers.core.milestones import MilestoneChange, Verb, change_milestone, open_milestone_form
from handlers.core.results import MilestoneChanged
from handlers.core.wording import user
from handlers.slack import blocks
from handlers.slack.context import HandlerContext
from handlers.slack.errors import answers_errors, unless_refused
from handlers.slack.forms import FormErrors, choice_value, metadata, text_value, user_value
from handlers.slack.signoffs import tell_sign_off


@dataclass(frozen=True)
class Origin:
    """The message the click came from, so it can be redrawn."""

    channel_id: str | None
    ts: str | None
    message_key: str | None  # "reminder:12" or "timeline:3"
    ephemeral: bool = False

    @property
    def reminder_id(self) -> int | None:
        """The reminder the click came from, when it came from one."""
        key = self.message_key or ""
        return int(key.split(":")[1]) if key.startswith("reminder:") else None

    def as_metadata(self) -> dict[str, Any]:
        return {
            "channel_id": self.channel_id,
            "ts": self.ts,
            "message_key": self.message_key,
            "ephemeral": self.ephemeral,
        }

    @classmethod
    def from_metadata(cls, data: dict[str, Any]) -> Origin:
        return cls(
            data.get("channel_id"),
            data.get("ts"),
            data.get("message_key"),
            bool(data.get("ephemeral")),
        )

    @classmethod
    def from_action(cls, body: dict[str, Any]) -> Origin:
        container = body.get("container") or {}
        block_id = str(body["actions"][0].get("block_id") or "")
        key = (
            ":".join(block_id.split(":")[:2])
            if block_id.startswith(("reminder:", "timeline:", "signoff:"))
            else None
        )
        return cls(
            container.get("channel_id") or (body.get("channel") or {}).get("id"),
            container.get("message_ts"),
            key,
            bool(container.get("is_ephemeral")),
        )


def redraw(
    *, ctx: HandlerContext, changed: MilestoneChanged, origin: Origin
) -> tuple[list[dict[str, Any]], str] | None:
    """The message the click came from, as it must now look."""
    key = origin.message_key or ""
    visit, milestone = changed.visit, changed.milestone
    if key.startswith("reminder:"):
        kind = changed.reminder_kind or "ahead"
        shown = blocks.reminder_blocks(
            visit=visit,
            milestone=milestone,
            kind=kind,
            reminder_id=(origin.reminder_id or 0) if changed.reminder_kind else 0,
            today=ctx.today(),
            calendar=ctx.calendar,
            history=changed.history,
        )
        return shown, blocks.reminder_text(
            visit=visit, milestone=milestone, kind=kind, today=ctx.today(), calendar=ctx.calendar
        )
    if key.startswith("signoff:"):
        news = changed.sign_off
        decided = None
        if news is not None and news.decision:
            reason = f": {' '.join(news.reason.split())}" if news.reason else ""
            decided = f"{news.decision} by {user(news.decided_by)}{reason}"
        shown = blocks.sign_off_request_blocks(
            visit=visit,
            milestone=milestone,
            requested_by=news.requested_by if news else None,
            decided=decided,
        )
        return shown, f"Sign-off: {milestone.approval_status or 'not requested'}"
    if key.startswith("timeline:"):
        shown = blocks.timeline_blocks(
            visit=visit, milestones=changed.milestones, today=ctx.today(), calendar=ctx.calendar
        )
        text = blocks.timeline_text(visit=visit, milestones=changed.milestones)
        if changed.history:
            shown = blocks.fit(
                [*shown, blocks.context("Latest: " + blocks.history_lines(changed.history[:1])[0])]
            )
        return shown, text
    return None


def register(app: App, ctx: HandlerContext) -> None:
    def act(
        *,
        body: dict[str, Any],
        change: MilestoneChange,
        origin: Origin,
        client: WebClient,
        respond: Any,
    ) -> None:
        changed = unless_refused(
            change_milestone(
                ctx, asker=ctx.asker(body, client), change=change, reminder_id=origin.reminder_id
            )
        )
        tell_sign_off(client=client, changed=changed, origin=origin)
        drawn = redraw(ctx=ctx, changed=changed, origin=origin)
        if drawn is None:
            return
        shown, text = drawn
        if origin.channel_id and origin.ts and not origin.ephemeral:
            client.chat_update(channel=origin.channel_id, ts=origin.ts, text=text, blocks=shown)
        elif respond is not None:
            # An ephemeral message (a `/ofsted show` answer) can only be redrawn through its
            # response_url.
            respond(text=text, blocks=shown, replace_original=True)
        elif changed.history and (origin.channel_id or changed.visit.channel_id):
            # A form sent from an answer only its reader saw: nothing to redraw, so say it is done.
            done = blocks.history_lines(changed.history[:1])[0]
            client.chat_postEphemeral(
                channel=origin.channel_id or changed.visit.channel_id or "",
                user=change.user_id,
                text=f":white_check_mark: Done: {done}.",
            )

    def change_from(
        body: dict[str, Any], verb: str, value: str, owner_user_id: str | None = None
    ) -> MilestoneChange:
        action = body["actions"][0]
        user_id = body["user"]["id"]
        return MilestoneChange(
            verb=Verb(verb),
            milestone_id=int(value),
            user_id=user_id,
            owner_user_id=owner_user_id,
            key=f"{action.get('action_ts')}:{user_id}:{verb}:{value}:{owner_user_id or ''}",
        )

    @answers_errors
    def handle_milestone_button(
        *, body: dict[str, Any], client: WebClient, respond: Any, **_: Any
    ) -> None:
        action = body["actions"][0]
        verb = action["action_id"]
        origin = Origin.from_action(body)
        if verb == blocks.ASSIGN:
            value = str(action["block_id"]).split(":")[2]
            change = change_from(body, verb, value, owner_user_id=action.get("selected_user"))
            act(body=body, change=change, origin=origin, client=client, respond=respond)
            return
        value = str(action.get("value") or "")
        if verb in (blocks.MARK_DONE, blocks.REJECT):
            _open_modal(verb=verb, value=value, body=body, client=client, origin=origin)
            return
        act(
            body=body,
            change=change_from(body, verb, value),
            origin=origin,
            client=client,
            respond=respond,
        )

    @answers_errors
    def handle_milestone_menu(
        *, body: dict[str, Any], client: WebClient, respond: Any, **_: Any
    ) -> None:
        verb, value = str(body["actions"][0]["selected_option"]["value"]).rsplit(":", 1)
        origin = Origin.from_action(body)
        if verb in (blocks.MARK_DONE, blocks.ASSIGN, blocks.REQUEST_SIGN_OFF):
            _open_modal(verb=verb, value=value, body=body, client=client, origin=origin)
            return
        act(
            body=body,
            change=change_from(body, verb, value),
            origin=origin,
            client=client,
            respond=respond,
        )

    def _open_modal(
        *, verb: str, value: str, body: dict[str, Any], client: WebClient, origin: Origin
    ) -> None:
        opened = unless_refused(
            open_milestone_form(
                ctx, asker=ctx.asker(body, client), verb=Verb(verb), milestone_id=int(value)
            )
        )
        visit, milestone, meta = opened.visit, opened.milestone, origin.as_metadata()
        if verb == blocks.MARK_DONE:
            view = blocks.done_modal(milestone=milestone, visit=visit, origin=meta)
        elif verb == blocks.ASSIGN:
            view = blocks.assign_modal(milestone=milestone, visit=visit, origin=meta)
        else:
            decision = "rejected" if verb == blocks.REJECT else None
            view = blocks.sign_off_modal(
                milestone=milestone,
                visit=visit,
                decision=decision,
                origin=meta,
                may_decide=opened.may_decide or verb == blocks.REJECT,
            )
        client.views_open(trigger_id=body["trigger_id"], view=view)

    for action_id in (
        blocks.ACKNOWLEDGE,
        blocks.MARK_DONE,
        blocks.SNOOZE,
        blocks.ASSIGN,
        blocks.REQUEST_SIGN_OFF,
        blocks.APPROVE,
        blocks.REJECT,
    ):
        app.action(action_id)(ack=_acknowledge, lazy=[handle_milestone_button])
    app.action(blocks.MILESTONE_MENU)(ack=_acknowledge, lazy=[handle_milestone_menu])

    # --- the modals behind "Mark done…", "Assign owner…" and "Sign-off…" --------------------

    def check_sign_off(ack: Ack, body: dict[str, Any]) -> None:
        state = body["view"]["state"]["values"]
        if choice_value(state, "decision") == "rejected" and not text_value(state, "reason"):
            ack(
                response_action="errors",
                errors={"reason": "Say why it is rejected, so the owner knows what to change."},
            )
            return
        ack()

    @answers_errors
    def handle_modal_submitted(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
        view, user_id = body["view"], body["user"]["id"]
        state, meta = view["state"]["values"], metadata(view)
        key = f"view:{view['id']}:{user_id}"
        milestone_id = int(meta.get("milestone_id") or 0)
        callback = view["callback_id"]
        if callback == blocks.DONE_MODAL:
            change = MilestoneChange(
                Verb.MARK_DONE, milestone_id, user_id, key, note=text_value(state, "note") or None
            )
        elif callback == blocks.ASSIGN_MODAL:
            change = MilestoneChange(
                Verb.ASSIGN, milestone_id, user_id, key, owner_user_id=user_value(state, "owner")
            )
        else:
            decision = choice_value(state, "decision")
            if decision == "rejected" and not text_value(state, "reason"):
                raise FormErrors({"reason": "required"})  # the ack showed it already
            verb = {
                "requested": Verb.REQUEST_SIGN_OFF,
                "approved": Verb.APPROVE,
                "rejected": Verb.REJECT,
            }[decision or "requested"]
            change = MilestoneChange(
                verb, milestone_id, user_id, key, note=text_value(state, "reason") or None
            )
        act(
            body=body, change=change, origin=Origin.from_metadata(meta), client=client, respond=None
        )

    app.view(blocks.DONE_MODAL)(ack=_acknowledge, lazy=[handle_modal_submitted])
    app.view(blocks.ASSIGN_MODAL)(ack=_acknowledge, lazy=[handle_modal_submitted])
    app.view(blocks.SIGN_OFF_MODAL)(ack=check_sign_off, lazy=[handle_modal_submitted])


def _acknowledge(ack: Ack) -> None:
    ack()
