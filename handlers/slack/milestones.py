"""Buttons on reminders and timelines: acknowledge, mark done, snooze, assign, and sign-off.

Every click is appended to the audit log (a refused one too, marked refused) and the message is
redrawn in place to show who did what and when. A Slack retry carries the same action_ts, so it
records nothing new; a double click asks for a change that is already made, which records
nothing either. Approve and reject are open only to the visit's approvers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from handlers.slack import blocks
from handlers.slack.context import HandlerContext
from handlers.core.access import NOT_FOUND, Decision, can_act, can_decide_signoff
from handlers.slack.errors import UserError, answers_errors
from handlers.slack.forms import FormErrors, choice_value, metadata, text_value, user_value
from handlers.slack.members import Asker
from handlers.core.visits import refuse, visit_facts, visit_timeline
from scheduler.planning import replan_milestone
from storage import repo
from storage.models import AuditEvent, Milestone, Reminder, Visit


@dataclass(frozen=True)
class Click:
    """One request to change a milestone, from a button, a menu or a modal."""

    verb: str  # one of the action ids in handlers.blocks
    milestone_id: int
    user_id: str
    key: str  # idempotency key: the same for a retry of this very click
    note: str | None = None
    owner_user_id: str | None = None
    decision: str | None = None


@dataclass(frozen=True)
class Origin:
    """The message the click came from, so it can be redrawn."""

    channel_id: str | None
    ts: str | None
    message_key: str | None  # "reminder:12" or "timeline:3"
    ephemeral: bool = False

    def as_metadata(self) -> dict[str, Any]:
        return {"channel_id": self.channel_id, "ts": self.ts, "message_key": self.message_key, "ephemeral": self.ephemeral}

    @classmethod
    def from_metadata(cls, data: dict[str, Any]) -> Origin:
        return cls(data.get("channel_id"), data.get("ts"), data.get("message_key"), bool(data.get("ephemeral")))

    @classmethod
    def from_action(cls, body: dict[str, Any]) -> Origin:
        container = body.get("container") or {}
        block_id = str(body["actions"][0].get("block_id") or "")
        key = ":".join(block_id.split(":")[:2]) if block_id.startswith(("reminder:", "timeline:")) else None
        return cls(
            container.get("channel_id") or (body.get("channel") or {}).get("id"),
            container.get("message_ts"),
            key,
            bool(container.get("is_ephemeral")),
        )


NO_SUCH_MILESTONE = "That milestone no longer exists."


def find_milestone(*, session: Session, milestone_id: int, asker: Asker) -> tuple[Visit, Milestone]:
    """The milestone a button or a modal names, in the asker's workspace; whether they may act on
    it is for the caller to ask (and audit)."""
    milestone = repo.get_milestone(session=session, milestone_id=milestone_id, team_id=asker.team_id)
    visit = repo.get_visit_by_id(session=session, visit_id=milestone.visit_id, team_id=asker.team_id) if milestone else None
    if milestone is None or visit is None:
        raise UserError(NO_SUCH_MILESTONE)
    return visit, milestone


def may_click(*, session: Session, visit: Visit, milestone: Milestone, click: Click, asker: Asker) -> Decision:
    """Checked at the moment of the change, whatever message or modal the click came from."""
    facts = visit_facts(session=session, visit=visit)
    members = asker.channel_members(facts)
    if click.verb in (blocks.APPROVE, blocks.REJECT):
        requested_by = repo.sign_off_requested_by(session=session, milestone_id=milestone.id or 0)
        return can_decide_signoff(asker.actor, facts, channel_members=members, requested_by=requested_by)
    return can_act(asker.actor, facts, channel_members=members)


def apply_click(*, ctx: HandlerContext, session: Session, click: Click, asker: Asker) -> tuple[Visit, Milestone, str | None]:
    """Make the change a click asks for; returns the visit, milestone and a refusal, if refused."""
    visit, milestone = find_milestone(session=session, milestone_id=click.milestone_id, asker=asker)
    # Checked and changed under the row's lock: a click racing this one waits, then sees its result.
    repo.lock_milestone(session=session, milestone=milestone)
    now = ctx.now()
    decision = may_click(session=session, visit=visit, milestone=milestone, click=click, asker=asker)
    if decision and visit.status != "open":
        raise UserError(f"`{visit.reference}` is closed: reopen it before changing its milestones.")
    common = {"session": session, "milestone": milestone, "actor_user_id": click.user_id, "now": now, "idempotency_key": click.key}
    if not decision:
        refusal = NO_SUCH_MILESTONE if decision == NOT_FOUND else decision.refusal
        note = decision.refusal
    else:
        refusal = note = _refusal(milestone=milestone, click=click)
    if refusal:
        repo.append_audit_event(
            session=session, visit_id=visit.id or 0, milestone_id=milestone.id, actor_user_id=click.user_id,
            action=_attempted_action(click), now=now, outcome="refused", note=note, idempotency_key=click.key,
        )
        return visit, milestone, refusal
    changed: AuditEvent | None = None
    if click.verb == blocks.ACKNOWLEDGE:
        if milestone.status == "open":
            changed = repo.set_milestone_status(status="acknowledged", **common)
    elif click.verb == blocks.MARK_DONE:
        changed = repo.set_milestone_status(status="done", note=click.note, **common)
    elif click.verb == blocks.SNOOZE:
        until = ctx.calendar.add_working_days(ctx.today(), 1)
        changed = repo.snooze_milestone(until=until, **common)
    elif click.verb == blocks.ASSIGN:
        changed = repo.set_milestone_owner(owner_user_id=click.owner_user_id, **common)
    elif click.verb == blocks.REQUEST_SIGN_OFF:
        changed = repo.request_approval(**common)
    elif click.verb in (blocks.APPROVE, blocks.REJECT):
        verdict = "approved" if click.verb == blocks.APPROVE else "rejected"
        changed = repo.decide_approval(decision=verdict, reason=click.note, **common)
    if changed is None and not repo.audit_key_seen(session=session, key=click.key):
        # Someone got there first (or the message was old): nothing changed, nothing recorded.
        # A Slack retry of this very click (its key was recorded) is redrawn without a word.
        raise UserError(_already_answer(session=session, milestone=milestone, click=click))
    replan_milestone(session=session, visit=visit, milestone=milestone, defaults=ctx.defaults, now=now)
    return visit, milestone, None


DECIDING_ACTIONS = {
    blocks.ACKNOWLEDGE: ("milestone_status_changed",),
    blocks.MARK_DONE: ("milestone_status_changed",),
    blocks.SNOOZE: ("milestone_snoozed",),
    blocks.ASSIGN: ("milestone_owner_changed",),
    blocks.REQUEST_SIGN_OFF: ("approval_requested",),
    blocks.APPROVE: ("approval_approved", "approval_rejected"),
    blocks.REJECT: ("approval_approved", "approval_rejected"),
}
"""For each click, the audited changes that can have made it come too late."""


def _already_answer(*, session: Session, milestone: Milestone, click: Click) -> str:
    first = repo.latest_change(
        session=session, visit_id=milestone.visit_id, milestone_id=milestone.id,
        actions=DECIDING_ACTIONS.get(click.verb, ()),
    )
    return blocks.already_decided_text(milestone=milestone, event=first, snoozed_until=milestone.snoozed_until)


def _refusal(*, milestone: Milestone, click: Click) -> str | None:
    """What stops a permitted click: a sign-off nobody asked for, a rejection without a reason."""
    if click.verb in (blocks.APPROVE, blocks.REJECT):
        if milestone.approval_status is None:
            return "Nobody has asked for sign-off on this yet: press *Request sign-off* first."
        if click.verb == blocks.REJECT and not (click.note or "").strip():
            return "A rejection needs a reason."
    if click.verb == blocks.MARK_DONE and milestone.needs_approval and milestone.approval_status != "approved":
        return (
            f"*{blocks.escape(milestone.label)}* needs sign-off before it is done: press *Request sign-off*, "
            "and an approver will approve it."
        )
    return None


def _attempted_action(click: Click) -> str:
    return {
        blocks.APPROVE: "approval_approved",
        blocks.REJECT: "approval_rejected",
        blocks.MARK_DONE: "milestone_status_changed",
    }.get(click.verb, click.verb)


def redraw(*, ctx: HandlerContext, session: Session, visit: Visit, milestone: Milestone, origin: Origin) -> tuple[list[dict[str, Any]], str] | None:
    """The message the click came from, as it must now look."""
    key = origin.message_key or ""
    if key.startswith("reminder:"):
        reminder = session.get(Reminder, int(key.split(":")[1]))
        history = repo.list_milestone_events(session=session, milestone_id=milestone.id or 0)
        kind = reminder.kind if reminder else "ahead"
        shown = blocks.reminder_blocks(
            visit=visit, milestone=milestone, kind=kind, reminder_id=reminder.id if reminder else 0,
            today=ctx.today(), calendar=ctx.calendar, history=history,
        )
        return shown, blocks.reminder_text(visit=visit, milestone=milestone, kind=kind, today=ctx.today(), calendar=ctx.calendar)
    if key.startswith("timeline:"):
        shown, text = visit_timeline(ctx=ctx, session=session, visit=visit)
        latest = repo.list_milestone_events(session=session, milestone_id=milestone.id or 0, limit=1)
        if latest:
            shown = blocks.fit([*shown, blocks.context("Latest: " + blocks.history_lines(latest)[0])])
        return shown, text
    return None


def register(app: App, ctx: HandlerContext) -> None:
    def act(*, click: Click, origin: Origin, client: WebClient, respond: Any, asker: Asker) -> None:
        with ctx.session() as session:
            visit, milestone, refusal = apply_click(ctx=ctx, session=session, click=click, asker=asker)
            drawn = redraw(ctx=ctx, session=session, visit=visit, milestone=milestone, origin=origin)
        if refusal:
            raise UserError(refusal)
        if drawn is None:
            return
        shown, text = drawn
        if origin.channel_id and origin.ts and not origin.ephemeral:
            client.chat_update(channel=origin.channel_id, ts=origin.ts, text=text, blocks=shown)
        elif respond is not None:
            # An ephemeral message (a `/ofsted show` answer) can only be redrawn through its response_url.
            respond(text=text, blocks=shown, replace_original=True)

    def click_from(body: dict[str, Any], verb: str, value: str, **extra: Any) -> Click:
        action = body["actions"][0]
        user_id = body["user"]["id"]
        return Click(
            verb=verb, milestone_id=int(value), user_id=user_id,
            key=f"{action.get('action_ts')}:{user_id}:{verb}:{value}:{extra.get('owner_user_id') or ''}", **extra,
        )

    @answers_errors
    def handle_milestone_button(*, body: dict[str, Any], client: WebClient, respond: Any, **_: Any) -> None:
        action = body["actions"][0]
        verb = action["action_id"]
        origin = Origin.from_action(body)
        if verb == blocks.ASSIGN:
            value = str(action["block_id"]).split(":")[2]
            act(click=click_from(body, verb, value, owner_user_id=action.get("selected_user")), origin=origin, client=client, respond=respond, asker=ctx.asker(body, client))
            return
        value = str(action.get("value") or "")
        if verb in (blocks.MARK_DONE, blocks.REJECT):
            _open_modal(verb=verb, value=value, body=body, client=client, origin=origin)
            return
        act(click=click_from(body, verb, value), origin=origin, client=client, respond=respond, asker=ctx.asker(body, client))

    @answers_errors
    def handle_milestone_menu(*, body: dict[str, Any], client: WebClient, respond: Any, **_: Any) -> None:
        verb, value = str(body["actions"][0]["selected_option"]["value"]).rsplit(":", 1)
        origin = Origin.from_action(body)
        if verb in (blocks.MARK_DONE, blocks.ASSIGN, blocks.REQUEST_SIGN_OFF):
            _open_modal(verb=verb, value=value, body=body, client=client, origin=origin)
            return
        act(click=click_from(body, verb, value), origin=origin, client=client, respond=respond, asker=ctx.asker(body, client))

    def _open_modal(*, verb: str, value: str, body: dict[str, Any], client: WebClient, origin: Origin) -> None:
        asker = ctx.asker(body, client)
        with ctx.session() as session:  # a refusal is written to the audit log
            visit, milestone = find_milestone(session=session, milestone_id=int(value), asker=asker)
            # Who may open the form; who may submit it is asked again when it is submitted.
            opening = Click(verb=verb, milestone_id=milestone.id or 0, user_id=asker.user_id, key="")
            decision = may_click(session=session, visit=visit, milestone=milestone, asker=asker, click=opening)
            if not decision:
                raise refuse(
                    session=session, visit=visit, milestone_id=milestone.id, user_id=asker.user_id,
                    action=_attempted_action(opening), decision=decision, now=ctx.now(), hidden=NO_SUCH_MILESTONE,
                )
            meta = origin.as_metadata()
            if verb == blocks.MARK_DONE:
                view = blocks.done_modal(milestone=milestone, visit=visit, origin=meta)
            elif verb == blocks.ASSIGN:
                view = blocks.assign_modal(milestone=milestone, visit=visit, origin=meta)
            else:
                decision = "rejected" if verb == blocks.REJECT else None
                view = blocks.sign_off_modal(milestone=milestone, visit=visit, decision=decision, origin=meta)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    for action_id in (blocks.ACKNOWLEDGE, blocks.MARK_DONE, blocks.SNOOZE, blocks.ASSIGN, blocks.REQUEST_SIGN_OFF, blocks.APPROVE, blocks.REJECT):
        app.action(action_id)(ack=_acknowledge, lazy=[handle_milestone_button])
    app.action(blocks.MILESTONE_MENU)(ack=_acknowledge, lazy=[handle_milestone_menu])

    # --- the modals behind "Mark done…", "Assign owner…" and "Sign-off…" --------------------

    def check_sign_off(ack: Ack, body: dict[str, Any]) -> None:
        state = body["view"]["state"]["values"]
        if choice_value(state, "decision") == "rejected" and not text_value(state, "reason"):
            ack(response_action="errors", errors={"reason": "Say why it is rejected, so the owner knows what to change."})
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
            click = Click(blocks.MARK_DONE, milestone_id, user_id, key, note=text_value(state, "note") or None)
        elif callback == blocks.ASSIGN_MODAL:
            click = Click(blocks.ASSIGN, milestone_id, user_id, key, owner_user_id=user_value(state, "owner"))
        else:
            decision = choice_value(state, "decision")
            if decision == "rejected" and not text_value(state, "reason"):
                raise FormErrors({"reason": "required"})  # the ack showed it already
            verb = {"requested": blocks.REQUEST_SIGN_OFF, "approved": blocks.APPROVE, "rejected": blocks.REJECT}[decision or "requested"]
            click = Click(verb, milestone_id, user_id, key, note=text_value(state, "reason") or None)
        act(click=click, origin=Origin.from_metadata(meta), client=client, respond=None, asker=ctx.asker(body, client))

    app.view(blocks.DONE_MODAL)(ack=_acknowledge, lazy=[handle_modal_submitted])
    app.view(blocks.ASSIGN_MODAL)(ack=_acknowledge, lazy=[handle_modal_submitted])
    app.view(blocks.SIGN_OFF_MODAL)(ack=check_sign_off, lazy=[handle_modal_submitted])


def _acknowledge(ack: Ack) -> None:
    ack()
