"""Changing a visit after it was created: move a date, confirm an expected one, waive a milestone,
undo a Mark done, add a milestone by hand, reopen a closed visit.

One use case per change, each in the one unit of work (`ctx.change()`) that re-plans the
reminders of what it touched before it commits, so no caller can forget to. All are for the
visit's managers (access.can_manage): anyone else's attempt is audited as refused and answered
with who can. Inputs are plain values (ids, dates, text), the same from Slack or Teams.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from handlers.core.context import Change, CoreContext
from handlers.core.errors import UserError
from handlers.core.milestones import CLOSED, find_milestone
from handlers.core.people import Asker
from handlers.core.results import MilestoneChanged, MilestoneForm, Timeline
from handlers.core.text import escape_mrkdwn as escape
from handlers.core.visits import answers_refusals, find_visit, require_manager, timeline
from handlers.core.wording import visit_already_changed_text
from scheduler.dates import format_long
from scheduler.rules import CUSTOM_EVENT_KIND, CUSTOM_TASK_KIND, MilestoneNature, nature_of
from storage import repo
from storage.models import AuditEvent, Milestone, Visit

MAX_REASON = 1000
MAX_LABEL = 150


@dataclass(frozen=True)
class VisitReopened:
    reference: str


def _manageable(
    unit: Change, ctx: CoreContext, *, asker: Asker, milestone_id: int, action: str
) -> tuple[Visit, Milestone]:
    """The milestone, locked, if this person manages its visit and the visit is open."""
    session = unit.session
    visit, milestone = find_milestone(session=session, milestone_id=milestone_id, asker=asker)
    repo.lock_milestone(session=session, milestone=milestone)
    require_manager(
        session=session, visit=visit, asker=asker, what="dates", action=action, now=ctx.now()
    )
    if visit.status != "open":
        raise UserError(CLOSED.format(reference=visit.reference))
    return visit, milestone


def _changed(ctx: CoreContext, visit: Visit, milestone: Milestone) -> MilestoneChanged:
    with ctx.reading() as session:
        return MilestoneChanged(
            visit=visit,
            milestone=milestone,
            milestones=repo.list_milestones(session=session, visit_id=visit.id or 0),
            history=repo.list_milestone_events(session=session, milestone_id=milestone.id or 0),
        )


def _reason(text: str | None, *, what: str) -> str:
    reason = " ".join((text or "").split())
    if not reason:
        raise UserError(f"Say why {what}, so the audit trail shows it.")
    return reason[:MAX_REASON]


def _unchanged(session: Session, milestone: Milestone, key: str) -> None:
    """Nothing changed: a retry of this very request is answered quietly, else say so."""
    if not repo.audit_key_seen(session=session, key=key):
        raise UserError(
            f"*{escape(milestone.label)}* is already as asked: nothing was changed."
        )


@answers_refusals
def open_change_form(
    ctx: CoreContext, *, asker: Asker, milestone_id: int, action: str
) -> MilestoneForm:
    """Who may open the form behind "Change date…" or "Waive…" (`action`: the audited change it
    leads to); who may submit it is asked again when it is submitted."""
    with ctx.change() as unit:  # a refusal is written to the audit log
        visit, milestone = _manageable(
            unit, ctx, asker=asker, milestone_id=milestone_id, action=action
        )
        return MilestoneForm(visit=visit, milestone=milestone)


@answers_refusals
def open_add_form(ctx: CoreContext, *, asker: Asker, reference: str) -> Timeline:
    """Who may open the form behind `/ofsted add <visit>`: the visit's managers, while it is
    open."""
    with ctx.session() as session:  # a refusal is written to the audit log
        now = ctx.now()
        visit = find_visit(
            session=session, reference=reference, asker=asker, attempt="milestone_added", now=now
        )
        require_manager(
            session=session, visit=visit, asker=asker, what="dates", action="milestone_added",
            now=now,
        )
        if visit.status != "open":
            raise UserError(CLOSED.format(reference=visit.reference))
        return timeline(session=session, visit=visit)


Apply = Callable[[Session, Visit, Milestone, datetime], AuditEvent | None]
"""One change of a milestone, made and audited (None: it was so already); it may refuse first."""


def _changing(
    ctx: CoreContext, *, asker: Asker, milestone_id: int, action: str, key: str, apply: Apply
) -> MilestoneChanged:
    """The one shape of every change here: check who asks, change, re-plan, redraw."""
    with ctx.change() as unit:
        visit, milestone = _manageable(
            unit, ctx, asker=asker, milestone_id=milestone_id, action=action
        )
        if apply(unit.session, visit, milestone, ctx.now()) is None:
            _unchanged(unit.session, milestone, key)
        unit.touched(visit, milestone)
    return _changed(ctx, visit, milestone)


def _set_status(*, status: str, note: str, asker: Asker, key: str) -> Apply:
    def apply(
        session: Session, visit: Visit, milestone: Milestone, now: datetime
    ) -> AuditEvent | None:
        return repo.set_milestone_status(
            session=session,
            milestone=milestone,
            status=status,
            actor_user_id=asker.user_id,
            now=now,
            note=note,
            idempotency_key=key,
        )

    return apply


@answers_refusals
def change_date(
    ctx: CoreContext, *, asker: Asker, milestone_id: int, new_date: date, reason: str, key: str
) -> MilestoneChanged:
    """Move a milestone's date (Ofsted agreed an extension, or gave the real publication day):
    both dates and the reason go in the audit log, its reminders are planned again from now."""

    def apply(
        session: Session, visit: Visit, milestone: Milestone, now: datetime
    ) -> AuditEvent | None:
        why = _reason(reason, what="the date moves")
        if visit.letter_date and new_date < visit.letter_date:
            raise UserError(
                f"{format_long(new_date)} is before the letter's date "
                f"({format_long(visit.letter_date)}): pick a later date."
            )
        return repo.move_milestone_due_date(
            session=session,
            milestone=milestone,
            due_date=new_date,
            actor_user_id=asker.user_id,
            now=now,
            note=why,
            idempotency_key=key,
        )

    return _changing(
        ctx,
        asker=asker,
        milestone_id=milestone_id,
        action="milestone_due_date_changed",
        key=key,
        apply=apply,
    )


@answers_refusals
def confirm_date(
    ctx: CoreContext, *, asker: Asker, milestone_id: int, key: str
) -> MilestoneChanged:
    """An expected date becomes a confirmed one (Ofsted named the publication day)."""

    def apply(
        session: Session, visit: Visit, milestone: Milestone, now: datetime
    ) -> AuditEvent | None:
        return repo.confirm_milestone_date(
            session=session,
            milestone=milestone,
            actor_user_id=asker.user_id,
            now=now,
            idempotency_key=key,
        )

    return _changing(
        ctx,
        asker=asker,
        milestone_id=milestone_id,
        action="milestone_date_confirmed",
        key=key,
        apply=apply,
    )


@answers_refusals
def waive_milestone(
    ctx: CoreContext, *, asker: Asker, milestone_id: int, reason: str, key: str
) -> MilestoneChanged:
    """Nothing more is needed for it ("we will not complain"): no more reminders."""

    def apply(
        session: Session, visit: Visit, milestone: Milestone, now: datetime
    ) -> AuditEvent | None:
        why = _reason(reason, what="it is waived")
        if milestone.status not in ("open", "acknowledged"):
            raise UserError(
                f"*{escape(milestone.label)}* is {milestone.status} already: nothing was changed."
            )
        if (
            nature_of(milestone.kind) == MilestoneNature.WINDOW
            and milestone.needs_approval
            and milestone.approval_status != "approved"
        ):
            # Deciding not to complain is a decision like complaining: an approver signs it off.
            raise UserError(
                f"Not using *{escape(milestone.label)}* is a decision to sign off first: press "
                "*Request sign-off*, and once an approver approves it, waive it."
            )
        waive = _set_status(status="waived", note=why, asker=asker, key=key)
        return waive(session, visit, milestone, now)

    return _changing(
        ctx,
        asker=asker,
        milestone_id=milestone_id,
        action="milestone_waived",
        key=key,
        apply=apply,
    )


@answers_refusals
def undo_milestone(
    ctx: CoreContext, *, asker: Asker, milestone_id: int, key: str
) -> MilestoneChanged:
    """Undo a Mark done (or a waive): the milestone is open again and reminded again."""

    def apply(
        session: Session, visit: Visit, milestone: Milestone, now: datetime
    ) -> AuditEvent | None:
        if milestone.status not in ("done", "waived"):
            raise UserError(
                f"*{escape(milestone.label)}* is not done or waived: nothing was changed."
            )
        reopen = _set_status(status="open", note="undone", asker=asker, key=key)
        return reopen(session, visit, milestone, now)

    return _changing(
        ctx,
        asker=asker,
        milestone_id=milestone_id,
        action="milestone_reopened",
        key=key,
        apply=apply,
    )


@answers_refusals
def add_milestone(
    ctx: CoreContext,
    *,
    asker: Asker,
    reference: str,
    label: str,
    due: date,
    event: bool,
    key: str,
) -> MilestoneChanged:
    """A date of the council's own (a cabinet meeting, a briefing): a task, or an event that is
    announced on its day and never overdue."""
    with ctx.change() as unit:
        session, now = unit.session, ctx.now()
        visit = find_visit(
            session=session, reference=reference, asker=asker, attempt="milestone_added", now=now
        )
        require_manager(
            session=session, visit=visit, asker=asker, what="dates", action="milestone_added",
            now=now,
        )
        if visit.status != "open":
            raise UserError(CLOSED.format(reference=visit.reference))
        name = " ".join(label.split())[:MAX_LABEL]
        if not name:
            raise UserError("Give the milestone a name, e.g. \"Cabinet approves the plan\".")
        if repo.audit_key_seen(session=session, key=key):
            raise UserError(f"*{escape(name)}* was added already: nothing was changed.")
        milestone = repo.add_milestone(
            session=session,
            visit=visit,
            new=repo.NewMilestone(
                kind=CUSTOM_EVENT_KIND if event else CUSTOM_TASK_KIND,
                label=name,
                due_date=due,
                source="manual",
            ),
            actor_user_id=asker.user_id,
            now=now,
            idempotency_key=key,
        )
        unit.touched(visit, milestone)
    return _changed(ctx, visit, milestone)


@answers_refusals
def reopen_visit(ctx: CoreContext, *, asker: Asker, reference: str) -> VisitReopened:
    """`/ofsted reopen <visit>`: a closed visit is open again, and its open milestones are
    reminded again from now."""
    with ctx.change() as unit:
        session, now = unit.session, ctx.now()
        visit = find_visit(
            session=session, reference=reference, asker=asker, attempt="visit_reopened", now=now
        )
        require_manager(
            session=session, visit=visit, asker=asker, what="reopen", action="visit_reopened",
            now=now,
        )
        reopened = repo.reopen_visit(
            session=session, visit=visit, actor_user_id=asker.user_id, now=now
        )
        if reopened is None:
            first = repo.latest_change(
                session=session,
                visit_id=visit.id or 0,
                milestone_id=None,
                actions=("visit_reopened",),
            )
            if first is None:
                raise UserError(
                    f"`{escape(visit.reference)}` is open already: nothing was changed."
                )
            raise UserError(
                visit_already_changed_text(reference=visit.reference, event=first, deed="reopened")
            )
        unit.touched(visit)
        return VisitReopened(reference=visit.reference)
