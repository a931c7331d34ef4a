"""What the listeners do with visits, apart from Slack: find, summarise, create from a letter.

Listeners call these inside one session (one unit of work) and then make their one Slack call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from handlers.slack import blocks
from handlers.slack.blocks import HomeItem, VisitSummary
from handlers.slack.context import HandlerContext
from handlers.core.access import NOT_FOUND, Decision, VisitFacts, Workspace, can_manage
from handlers.slack.errors import Refused, UserError
from handlers.slack.forms import VisitForm
from handlers.slack.members import Asker
from handlers.core.text import escape_mrkdwn
from scheduler.planning import ReminderDefaults, replan_visit
from scheduler.rules import MILESTONE_LABELS, NEEDS_SIGN_OFF, MilestoneKind
from storage import repo
from storage.models import Milestone, Visit

HOME_HORIZON_DAYS = 30
LIST_LIMIT = 40
"""`/ofsted list` shows the open visits whose next date comes soonest, this many of them (well
inside Slack's 50 blocks a message), and says how many more there are."""


def visit_facts(*, session: Session, visit: Visit) -> VisitFacts:
    """What the access policy needs to know of a visit: where it is, who made it, who it names."""
    visit_id = visit.id or 0
    owners = {m.owner_user_id for m in repo.list_milestones(session=session, visit_id=visit_id) if m.owner_user_id}
    return VisitFacts(
        workspace=Workspace(team_id=visit.team_id, enterprise_id=visit.enterprise_id),
        channel_id=visit.channel_id,
        created_by=visit.created_by,
        approvers=frozenset(repo.list_approvers(session=session, visit_id=visit_id)),
        named=frozenset(filter(None, {*owners, visit.escalation_user_id})),
    )


def visible_to(*, session: Session, asker: Asker) -> repo.VisibleTo:
    """The query filter for what this person may see among their workspace's visits."""
    return asker.visible_to(repo.visit_channels(session=session, team_id=asker.team_id))


def no_such_visit(*, session: Session, reference: str, asker: Asker) -> UserError:
    """"I have no visit called x", with a few of the open visits this person may see."""
    shown = visible_to(session=session, asker=asker)
    known = [v.reference for v in repo.list_open_visits(session=session, visible_to=shown, limit=5)]
    hint = f" Open visits: {', '.join(f'`{r}`' for r in known)}." if known else ""
    return UserError(
        f"I have no visit called `{escape_mrkdwn(reference[:60])}`.{hint} `/ofsted list` shows them all."
    )


def find_visit(
    *, session: Session, reference: str, asker: Asker, attempt: str | None = None, now: datetime | None = None
) -> Visit:
    """The visit this person named, if it exists in their workspace and they may see it; to
    anyone else it does not exist. With `attempt` (the action they tried) and `now`, a visit
    that exists but is hidden from them records the refusal in its audit log."""
    visit = repo.get_visit(session=session, reference=reference, team_id=asker.team_id)
    if visit is None:
        raise no_such_visit(session=session, reference=reference, asker=asker)
    decision = asker.sees(visit_facts(session=session, visit=visit))
    if decision:
        return visit
    hidden = no_such_visit(session=session, reference=reference, asker=asker).message
    if attempt is None or now is None:
        raise UserError(hidden)
    raise refuse(session=session, visit=visit, user_id=asker.user_id, action=attempt, decision=decision, now=now, hidden=hidden)


def require_manager(
    *, session: Session, visit: Visit, asker: Asker, what: str, action: str, now: datetime, hidden: str | None = None
) -> None:
    """Settings, dates, close and reopen are for the visit's managers: anyone else's attempt is
    audited as refused and raised as the plain answer that says who can."""
    facts = visit_facts(session=session, visit=visit)
    decision = can_manage(asker.actor, facts, channel_members=asker.channel_members(facts), what=what)
    if not decision:
        raise refuse(
            session=session, visit=visit, user_id=asker.user_id, action=action, decision=decision, now=now,
            hidden=hidden,
        )


def refuse(
    *,
    session: Session,
    visit: Visit,
    user_id: str,
    action: str,
    decision: Decision,
    now: datetime,
    milestone_id: int | None = None,
    idempotency_key: str | None = None,
    hidden: str | None = None,
) -> Refused:
    """Audit a refused attempt (outcome `refused`) and return the answer to raise.

    Raised inside `ctx.session()`, the refusal's audit event is committed and nothing else is
    changed. Someone who may not see the visit is told `hidden`: what they would be told if it
    did not exist.
    """
    repo.append_audit_event(
        session=session, visit_id=visit.id or 0, milestone_id=milestone_id, actor_user_id=user_id, action=action,
        now=now, outcome="refused", note=decision.refusal, idempotency_key=idempotency_key,
    )
    if decision == NOT_FOUND:
        return Refused(hidden or f"I have no visit called `{visit.reference}`. `/ofsted list` shows them all.")
    return Refused(decision.refusal or "You can't do that.")


@dataclass(frozen=True)
class VisitListing:
    """The open visits whose next date is soonest, and how many are open in all."""

    summaries: list[VisitSummary]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.summaries)


def visit_listing(*, session: Session, visible_to: repo.VisibleTo, limit: int = LIST_LIMIT) -> VisitListing:
    """The first `limit` open visits this person may see, soonest next date first, cut in SQL:
    with thousands open, loading them all to show a few dozen was most of the work."""
    visits = repo.list_open_visits(session=session, visible_to=visible_to, limit=limit)
    total = len(visits) if len(visits) < limit else repo.count_open_visits(session=session, visible_to=visible_to)
    upcoming = repo.next_open_milestones(
        session=session, visit_ids=[visit.id for visit in visits if visit.id is not None]
    )
    summaries = [VisitSummary(visit=visit, next_milestone=upcoming.get(visit.id or 0)) for visit in visits]
    return VisitListing(summaries=summaries, total=total)


def new_milestones(
    *, facts_milestones: Sequence[dict[str, Any]], due_dates: dict[MilestoneKind, date] | None = None
) -> list[repo.NewMilestone]:
    """Milestones from a letter's facts; a date a person changed becomes their own ("manual")."""
    read = {MilestoneKind(m["kind"]): m for m in facts_milestones}
    wanted = due_dates if due_dates is not None else {
        kind: date.fromisoformat(m["due"]) for kind, m in read.items()
    }
    milestones = []
    for kind in MilestoneKind:
        due = wanted.get(kind)
        if due is None:
            continue
        from_letter = read.get(kind)
        unchanged = from_letter is not None and from_letter["due"] == due.isoformat()
        milestones.append(
            repo.NewMilestone(
                kind=kind.value,
                label=MILESTONE_LABELS[kind],
                due_date=due,
                source=from_letter["source"] if unchanged and from_letter else "manual",
                evidence=from_letter.get("evidence") if unchanged and from_letter else None,
                rule=from_letter.get("rule") if unchanged and from_letter else None,
                needs_approval=kind in NEEDS_SIGN_OFF,
            )
        )
    return milestones


def create_visit_from_form(
    *,
    session: Session,
    form: VisitForm,
    facts_milestones: Sequence[dict[str, Any]],
    inspectors: Sequence[str],
    actor_user_id: str,
    now: datetime,
    defaults: ReminderDefaults,
    workspace: Workspace,
) -> Visit:
    visit = repo.create_visit(
        session=session,
        local_authority=form.local_authority,
        visit_type=form.visit_type,
        letter_date=form.letter_date,
        visit_dates=list(form.visit_dates),
        inspectors=list(inspectors),
        milestones=new_milestones(facts_milestones=facts_milestones, due_dates=form.due_dates),
        created_by=actor_user_id,
        channel_id=form.channel_id,
        approvers=form.approvers,
        now=now,
        team_id=workspace.team_id,
        enterprise_id=workspace.enterprise_id,
    )
    replan_visit(session=session, visit=visit, defaults=defaults, now=now)
    return visit


def create_visit_from_facts(
    *,
    session: Session,
    facts: dict[str, Any],
    channel_id: str | None,
    actor_user_id: str,
    now: datetime,
    defaults: ReminderDefaults,
    workspace: Workspace,
) -> Visit:
    """"Create visit" on a preview: the letter's facts exactly as read."""
    if not facts["milestones"]:
        raise UserError(
            "This letter has no dates to track. Use *Edit dates* to add them, or dismiss it."
        )
    visit_dates = [date.fromisoformat(day) for day in facts["visit_dates"]]
    visit = repo.create_visit(
        session=session,
        local_authority=facts["local_authority"],
        visit_type=facts["visit_type"],
        letter_date=date.fromisoformat(facts["letter_date"]) if facts["letter_date"] else None,
        visit_dates=visit_dates,
        inspectors=facts["inspectors"],
        milestones=new_milestones(facts_milestones=facts["milestones"]),
        created_by=actor_user_id,
        channel_id=channel_id,
        now=now,
        team_id=workspace.team_id,
        enterprise_id=workspace.enterprise_id,
    )
    replan_visit(session=session, visit=visit, defaults=defaults, now=now)
    return visit


def home_items(
    *, session: Session, visible_to: repo.VisibleTo, today: date
) -> tuple[list[HomeItem], list[HomeItem], list[HomeItem]]:
    """(overdue, due in the next 30 days, waiting on this user) across the open visits they see.

    Each is its own bounded query: milestones due by the horizon, and those waiting on this
    user whatever their date; never every open milestone of every visit.
    """
    horizon = today + timedelta(days=HOME_HORIZON_DAYS)
    user_id = visible_to.user_id
    rows = repo.list_open_milestones(session=session, visible_to=visible_to, due_on_or_before=horizon)
    overdue = [HomeItem(visit, milestone) for visit, milestone in rows if milestone.due_date < today]
    due_soon = [HomeItem(visit, milestone) for visit, milestone in rows if milestone.due_date >= today]
    approver_of = repo.visits_approved_by(session=session, user_id=user_id)
    waiting = [
        HomeItem(visit, milestone, why)
        for visit, milestone in repo.list_milestones_waiting_on(session=session, visible_to=visible_to)
        if (why := _why_waiting(milestone=milestone, user_id=user_id, approver=visit.id in approver_of))
    ]
    return overdue, due_soon, waiting


def _why_waiting(*, milestone: Milestone, user_id: str, approver: bool) -> str | None:
    if approver and milestone.needs_approval and milestone.approval_status == "requested":
        return "your sign-off is requested"
    if milestone.owner_user_id == user_id:
        return "you own it"
    return None


def visit_timeline(
    *, ctx: HandlerContext, session: Session, visit: Visit, today: date | None = None
) -> tuple[list[dict[str, Any]], str]:
    """A visit's timeline as Block Kit, and the notification text that goes with it; `today`
    defaults to the context's."""
    milestones = repo.list_milestones(session=session, visit_id=visit.id or 0)
    shown = blocks.timeline_blocks(
        visit=visit, milestones=milestones, today=today or ctx.today(), calendar=ctx.calendar
    )
    return shown, blocks.timeline_text(visit=visit, milestones=milestones)
