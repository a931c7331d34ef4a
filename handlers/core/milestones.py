"""Changing a milestone: acknowledge, mark done, snooze, assign, request and decide sign-off.

Every attempt is appended to the audit log (a refused one too, marked refused). A retry of the
same request carries the same key, so it records nothing new; a double click asks for a change
that is already made, which records nothing either and is answered with who made it first.
Approve and reject are open only to the visit's approvers, never to whoever asked.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from sqlmodel import Session

from handlers.core.access import NOT_FOUND, Decision, can_act, can_decide_signoff
from handlers.core.context import CoreContext
from handlers.core.errors import Refused, UserError
from handlers.core.people import Asker
from handlers.core.results import MilestoneChanged, MilestoneForm, SignOffNews
from handlers.core.text import escape_mrkdwn as escape
from handlers.core.visits import answers_refusals, refuse, visit_facts
from handlers.core.wording import already_decided_text
from storage import repo
from storage.models import AuditEvent, Milestone, Reminder, Visit


class Verb(enum.StrEnum):
    """What a person asks of a milestone. The values are Slack's action ids too, and a refused
    attempt's audit action for the verbs that have no audited change of their own."""

    ACKNOWLEDGE = "milestone_ack"
    MARK_DONE = "milestone_done"
    SNOOZE = "milestone_snooze"
    ASSIGN = "milestone_assign"
    REQUEST_SIGN_OFF = "approval_request"
    APPROVE = "approval_approve"
    REJECT = "approval_reject"


@dataclass(frozen=True)
class MilestoneChange:
    """One request to change a milestone, from a button, a menu or a form."""

    verb: Verb
    milestone_id: int
    user_id: str
    key: str  # idempotency key: the same for a retry of this very request
    note: str | None = None
    owner_user_id: str | None = None


NO_SUCH_MILESTONE = "That milestone no longer exists."
CLOSED = "`{reference}` is closed: reopen it before changing its milestones."

DECIDING_ACTIONS: dict[Verb, tuple[str, ...]] = {
    Verb.ACKNOWLEDGE: ("milestone_status_changed",),
    Verb.MARK_DONE: ("milestone_status_changed",),
    Verb.SNOOZE: ("milestone_snoozed",),
    Verb.ASSIGN: ("milestone_owner_changed",),
    Verb.REQUEST_SIGN_OFF: ("approval_requested",),
    Verb.APPROVE: ("approval_approved", "approval_rejected"),
    Verb.REJECT: ("approval_approved", "approval_rejected"),
}
"""For each verb, the audited changes that can have made a request for it come too late."""

ATTEMPTED_ACTIONS = {
    Verb.APPROVE: "approval_approved",
    Verb.REJECT: "approval_rejected",
    Verb.MARK_DONE: "milestone_status_changed",
}


def attempted_action(verb: Verb) -> str:
    """The audit action a refused attempt is recorded under."""
    return ATTEMPTED_ACTIONS.get(verb, verb.value)


def find_milestone(*, session: Session, milestone_id: int, asker: Asker) -> tuple[Visit, Milestone]:
    """The milestone a button or a form names, in the asker's workspace; whether they may act on
    it is for the caller to ask (and audit)."""
    milestone = repo.get_milestone(
        session=session, milestone_id=milestone_id, team_id=asker.team_id
    )
    visit = (
        repo.get_visit_by_id(session=session, visit_id=milestone.visit_id, team_id=asker.team_id)
        if milestone
        else None
    )
    if milestone is None or visit is None:
        raise UserError(NO_SUCH_MILESTONE)
    return visit, milestone


def may_change(
    *, session: Session, visit: Visit, milestone: Milestone, verb: Verb, asker: Asker
) -> Decision:
    """Checked at the moment of the change, whatever message or form the request came from."""
    facts = visit_facts(session=session, visit=visit)
    members = asker.channel_members(facts)
    if verb in (Verb.APPROVE, Verb.REJECT):
        requested_by = repo.sign_off_requested_by(session=session, milestone_id=milestone.id or 0)
        return can_decide_signoff(
            asker.actor, facts, channel_members=members, requested_by=requested_by
        )
    return can_act(asker.actor, facts, channel_members=members)


@answers_refusals
def open_milestone_form(
    ctx: CoreContext, *, asker: Asker, verb: Verb, milestone_id: int
) -> MilestoneForm:
    """Who may open the form behind "Mark done…", "Assign owner…" or "Sign-off…"; who may submit
    it is asked again when it is submitted."""
    with ctx.session() as session:  # a refusal is written to the audit log
        visit, milestone = find_milestone(session=session, milestone_id=milestone_id, asker=asker)
        decision = may_change(
            session=session, visit=visit, milestone=milestone, verb=verb, asker=asker
        )
        if not decision:
            raise refuse(
                session=session,
                visit=visit,
                milestone_id=milestone.id,
                user_id=asker.user_id,
                action=attempted_action(verb),
                decision=decision,
                now=ctx.now(),
                hidden=NO_SUCH_MILESTONE,
            )
        may_decide = False
        if verb == Verb.REQUEST_SIGN_OFF and milestone.approval_status == "requested":
            may_decide = bool(
                may_change(
                    session=session,
                    visit=visit,
                    milestone=milestone,
                    verb=Verb.APPROVE,
                    asker=asker,
                )
            )
        return MilestoneForm(visit=visit, milestone=milestone, may_decide=may_decide)


@answers_refusals
def change_milestone(
    ctx: CoreContext, *, asker: Asker, change: MilestoneChange, reminder_id: int | None = None
) -> MilestoneChanged:
    """Make the change asked for, or say why not. `reminder_id`: the reminder the request came
    from, if one, whose kind the redrawn reminder shows."""
    with ctx.change() as unit:
        session = unit.session
        visit, milestone = find_milestone(
            session=session, milestone_id=change.milestone_id, asker=asker
        )
        # Checked and changed under the row's lock: a request racing this one waits, then sees
        # its result.
        repo.lock_milestone(session=session, milestone=milestone)
        now = ctx.now()
        decision = may_change(
            session=session, visit=visit, milestone=milestone, verb=change.verb, asker=asker
        )
        if decision and visit.status != "open":
            raise UserError(CLOSED.format(reference=visit.reference))
        if not decision:
            refusal = NO_SUCH_MILESTONE if decision == NOT_FOUND else decision.refusal
            note = decision.refusal
        else:
            refusal = note = _refusal(milestone=milestone, change=change)
        if refusal:
            repo.append_audit_event(
                session=session,
                visit_id=visit.id or 0,
                milestone_id=milestone.id,
                actor_user_id=change.user_id,
                action=attempted_action(change.verb),
                now=now,
                outcome="refused",
                note=note,
                idempotency_key=change.key,
            )
            # Raised as Refused, the unit of work commits the refusal's audit event, nothing else.
            raise Refused(refusal)
        changed = _apply(ctx=ctx, session=session, milestone=milestone, change=change)
        if changed is None and not repo.audit_key_seen(session=session, key=change.key):
            # Someone got there first (or the message was old): nothing changed, nothing recorded.
            # A retry of this very request (its key was recorded) is redrawn without a word.
            raise UserError(_already_answer(session=session, milestone=milestone, verb=change.verb))
        unit.touched(visit, milestone)
    with ctx.reading() as session:
        reminder = session.get(Reminder, reminder_id) if reminder_id else None
        return MilestoneChanged(
            visit=visit,
            milestone=milestone,
            milestones=repo.list_milestones(session=session, visit_id=visit.id or 0),
            history=repo.list_milestone_events(session=session, milestone_id=milestone.id or 0),
            reminder_kind=reminder.kind if reminder else None,
            sign_off=(
                sign_off_news(session=session, visit=visit, milestone=milestone)
                if change.verb in SIGN_OFF_VERBS
                else None
            ),
        )


SIGN_OFF_VERBS = frozenset({Verb.REQUEST_SIGN_OFF, Verb.APPROVE, Verb.REJECT})


def sign_off_news(*, session: Session, visit: Visit, milestone: Milestone) -> SignOffNews | None:
    """Who to tell about the milestone's latest sign-off: the approvers who may decide it (not
    whoever asked), whoever asked, and the decision and its reason once made."""
    approval = repo.latest_approvals(session=session, milestone_ids=[milestone.id or 0]).get(
        milestone.id or 0
    )
    if approval is None:
        return None
    approvers = repo.list_approvers(session=session, visit_id=visit.id or 0)
    return SignOffNews(
        approvers=tuple(a for a in approvers if a != approval.requested_by),
        requested_by=approval.requested_by,
        decision=approval.decision,
        decided_by=approval.decided_by,
        reason=approval.reason,
    )


class _Common(TypedDict):
    """What every change of a milestone is told: where, which, by whom, when, and its key."""

    session: Session
    milestone: Milestone
    actor_user_id: str
    now: datetime
    idempotency_key: str | None


def _apply(
    *, ctx: CoreContext, session: Session, milestone: Milestone, change: MilestoneChange
) -> AuditEvent | None:
    common = _Common(
        session=session,
        milestone=milestone,
        actor_user_id=change.user_id,
        now=ctx.now(),
        idempotency_key=change.key,
    )
    if change.verb == Verb.ACKNOWLEDGE:
        return (
            repo.set_milestone_status(status="acknowledged", **common)
            if milestone.status == "open"
            else None
        )
    if change.verb == Verb.MARK_DONE:
        return repo.set_milestone_status(status="done", note=change.note, **common)
    if change.verb == Verb.SNOOZE:
        return repo.snooze_milestone(until=ctx.calendar.add_working_days(ctx.today(), 1), **common)
    if change.verb == Verb.ASSIGN:
        return repo.set_milestone_owner(owner_user_id=change.owner_user_id, **common)
    if change.verb == Verb.REQUEST_SIGN_OFF:
        return repo.request_approval(**common)
    verdict = "approved" if change.verb == Verb.APPROVE else "rejected"
    return repo.decide_approval(decision=verdict, reason=change.note, **common)


def _already_answer(*, session: Session, milestone: Milestone, verb: Verb) -> str:
    first = repo.latest_change(
        session=session,
        visit_id=milestone.visit_id,
        milestone_id=milestone.id,
        actions=DECIDING_ACTIONS[verb],
    )
    return already_decided_text(
        milestone=milestone, event=first, snoozed_until=milestone.snoozed_until
    )


def _refusal(*, milestone: Milestone, change: MilestoneChange) -> str | None:
    """What stops a permitted change: a sign-off nobody asked for, a rejection without a reason."""
    if change.verb in (Verb.APPROVE, Verb.REJECT):
        if milestone.approval_status is None:
            return "Nobody has asked for sign-off on this yet: press *Request sign-off* first."
        if change.verb == Verb.REJECT and not (change.note or "").strip():
            return "A rejection needs a reason."
    if (
        change.verb == Verb.MARK_DONE
        and milestone.needs_approval
        and milestone.approval_status != "approved"
    ):
        return (
            f"*{escape(milestone.label)}* needs sign-off before it is done: press *Request "
            "sign-off*, "
            "and an approver will approve it."
        )
    return None
