"""Visits: find one as a person may see it, create one (by hand, or from a letter's draft),
change its settings, close it; the list and the Home tab's items.

Each public use case takes typed inputs and the person asking (`Asker`), checks the access
policy, changes storage in one unit of work (`CoreContext.change`, which re-plans reminders),
appends the audit event, and returns a typed result or a `Refusal`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import wraps
from typing import ParamSpec, TypeVar

from sqlmodel import Session

from handlers.core.access import NOT_FOUND, Decision, VisitFacts, Workspace, can_manage
from handlers.core.context import Change, CoreContext
from handlers.core.errors import Refused, UserError
from handlers.core.people import Asker
from handlers.core.results import (
    Home,
    HomeItem,
    Refusal,
    SettingsSaved,
    SettingsShown,
    Timeline,
    VisitClosed,
    VisitCreated,
    VisitListing,
    VisitSummary,
)
from handlers.core.text import escape_mrkdwn
from handlers.core.wording import (
    people_mentioned,
    settings_fingerprint,
    sign_off_text,
    visit_already_changed_text,
)
from scheduler.calendar import london_date
from scheduler.letters import LetterFacts, checked_milestones
from scheduler.rules import (
    MilestoneKind,
    MilestoneNature,
    nature_of,
    reminder_offsets_text,
    reminder_time_text,
)
from storage import repo
from storage.models import LetterDraft, Milestone, Visit

HOME_HORIZON_DAYS = 30
LIST_LIMIT = 40
"""`/ofsted list` shows the open visits whose next date comes soonest, this many of them (well
inside Slack's 50 blocks a message), and says how many more there are."""

P = ParamSpec("P")
R = TypeVar("R")


def answers_refusals(use_case: Callable[P, R]) -> Callable[P, R | Refusal]:
    """A use case's clear answers, raised from wherever they are found, returned as a `Refusal`."""

    @wraps(use_case)
    def returning_refusals(*args: P.args, **kwargs: P.kwargs) -> R | Refusal:
        try:
            return use_case(*args, **kwargs)
        except UserError as error:
            return Refusal(error.message)

    return returning_refusals


# --- Typed inputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitForm:
    """A visit as entered or corrected in a form."""

    local_authority: str
    visit_type: str
    letter_date: date | None
    visit_dates: tuple[date, ...]
    due_dates: dict[MilestoneKind, date] = field(default_factory=dict)
    channel_id: str | None = None
    approvers: tuple[str, ...] = ()


@dataclass(frozen=True)
class SettingsForm:
    channel_id: str | None
    reminder_time: str  # "09:00", checked
    reminder_offsets: str  # "5,2,1,0", checked
    approvers: tuple[str, ...]
    escalation_user_id: str | None


# --- Finding a visit as a person may see it ----------------------------------------------------


def visit_facts(*, session: Session, visit: Visit) -> VisitFacts:
    """What the access policy needs to know of a visit: where it is, who made it, who it names."""
    visit_id = visit.id or 0
    owners = {
        m.owner_user_id
        for m in repo.list_milestones(session=session, visit_id=visit_id)
        if m.owner_user_id
    }
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
    """ "I have no visit called x", with a few of the open visits this person may see."""
    shown = visible_to(session=session, asker=asker)
    known = [v.reference for v in repo.list_open_visits(session=session, visible_to=shown, limit=5)]
    hint = f" Open visits: {', '.join(f'`{r}`' for r in known)}." if known else ""
    return UserError(
        f"I have no visit called `{escape_mrkdwn(reference[:60])}`.{hint} `/ofsted list` shows "
        "them all."
    )


def find_visit(
    *,
    session: Session,
    reference: str,
    asker: Asker,
    attempt: str | None = None,
    now: datetime | None = None,
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
    raise refuse(
        session=session,
        visit=visit,
        user_id=asker.user_id,
        action=attempt,
        decision=decision,
        now=now,
        hidden=hidden,
    )


def require_manager(
    *,
    session: Session,
    visit: Visit,
    asker: Asker,
    what: str,
    action: str,
    now: datetime,
    hidden: str | None = None,
) -> None:
    """Settings, dates, close and reopen are for the visit's managers: anyone else's attempt is
    audited as refused and raised as the plain answer that says who can."""
    facts = visit_facts(session=session, visit=visit)
    decision = can_manage(
        asker.actor, facts, channel_members=asker.channel_members(facts), what=what
    )
    if not decision:
        raise refuse(
            session=session,
            visit=visit,
            user_id=asker.user_id,
            action=action,
            decision=decision,
            now=now,
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
        session=session,
        visit_id=visit.id or 0,
        milestone_id=milestone_id,
        actor_user_id=user_id,
        action=action,
        now=now,
        outcome="refused",
        note=decision.refusal,
        idempotency_key=idempotency_key,
    )
    if decision == NOT_FOUND:
        return Refused(
            hidden or f"I have no visit called `{visit.reference}`. `/ofsted list` shows them all."
        )
    return Refused(decision.refusal or "You can't do that.")


def timeline(*, session: Session, visit: Visit) -> Timeline:
    milestones = repo.list_milestones(session=session, visit_id=visit.id or 0)
    decided = repo.latest_approvals(
        session=session, milestone_ids=[m.id for m in milestones if m.id and m.needs_approval]
    )
    return Timeline(
        visit=visit,
        milestones=milestones,
        sign_offs={
            milestone_id: sign_off_text(approval)
            for milestone_id, approval in decided.items()
            if approval.decision
        },
    )


@answers_refusals
def show_visit(ctx: CoreContext, *, asker: Asker, reference: str) -> Timeline:
    """A visit's timeline, for someone who may see it (an attempt by anyone else is audited)."""
    with ctx.session() as session:  # a refusal is written to the audit log
        visit = find_visit(
            session=session, reference=reference, asker=asker, attempt="visit_shown", now=ctx.now()
        )
        return timeline(session=session, visit=visit)


# --- Creating a visit --------------------------------------------------------------------------


def _store_visit(
    *,
    change: Change,
    facts: LetterFacts | None,
    form: VisitForm | None,
    channel_id: str | None,
    asker: Asker,
    now: datetime,
) -> Visit:
    """The one way a visit is made: from a form, from a letter's facts, or from both (a letter's
    dates as a person checked them). Its reminders are planned as the unit of work ends."""
    checked = checked_milestones(
        facts.milestones if facts else (), form.due_dates if form else None
    )
    workspace = asker.actor.workspace
    visit = repo.create_visit(
        session=change.session,
        local_authority=form.local_authority if form else facts.local_authority if facts else None,
        visit_type=form.visit_type if form else facts.visit_type.value if facts else "other",
        letter_date=form.letter_date if form else facts.letter_date if facts else None,
        visit_dates=list(form.visit_dates if form else facts.visit_dates if facts else ()),
        inspectors=list(facts.inspectors if facts else ()),
        milestones=[
            repo.NewMilestone(
                kind=fact.kind.value,
                label=fact.label,
                due_date=fact.due,
                source=fact.source,
                evidence=fact.evidence,
                rule=fact.rule,
                needs_approval=fact.needs_sign_off,
                estimate=fact.estimate,
            )
            for fact in checked
        ],
        created_by=asker.user_id,
        channel_id=channel_id,
        approvers=form.approvers if form else (),
        now=now,
        team_id=workspace.team_id,
        enterprise_id=workspace.enterprise_id,
    )
    change.touched(visit)
    return visit


DRAFT_GONE = "I can't find that letter any more. Share it again."
DRAFT_TAKEN = "This letter was already made into a visit or dismissed: nothing new was created."


def already_resolved(draft: LetterDraft) -> str:
    outcome = "made into a visit" if draft.status == "created" else "dismissed"
    return f"This letter was already {outcome} by <@{draft.resolved_by}>."


def take_draft(
    *, session: Session, draft_id: int, asker: Asker, status: str, now: datetime, taken: str | None
) -> LetterDraft:
    """The pending draft, resolved (created or dismissed) by this person; a clear answer if it is
    gone or someone resolved it first (`taken`, or who did it)."""
    draft = repo.get_letter_draft(session=session, draft_id=draft_id, team_id=asker.team_id)
    if draft is None:
        raise UserError(taken or DRAFT_GONE)
    if not repo.resolve_letter_draft(
        session=session, draft_id=draft_id, status=status, actor_user_id=asker.user_id, now=now
    ):
        session.refresh(draft)
        raise UserError(taken or already_resolved(draft))
    return draft


@answers_refusals
def create_visit(
    ctx: CoreContext,
    *,
    asker: Asker,
    form: VisitForm,
    draft_id: int | None = None,
    keep_with_visit: KeepWithVisit | None = None,
) -> VisitCreated:
    """A visit from a form: typed by hand, or a letter's draft with the dates as a person checked
    them ("Edit dates", then "Create visit"). `keep_with_visit`: as for a draft, below."""
    now = ctx.now()
    with ctx.change() as change:
        draft = None
        if draft_id is not None:
            draft = take_draft(
                session=change.session,
                draft_id=draft_id,
                asker=asker,
                status="created",
                now=now,
                taken=DRAFT_TAKEN,
            )
        facts = LetterFacts.from_json(draft.facts) if draft is not None else None
        visit = _store_visit(
            change=change, facts=facts, form=form, channel_id=form.channel_id, asker=asker, now=now
        )
        if keep_with_visit is not None:
            keep_with_visit.keep(change.session, visit)
        return _created(change=change, visit=visit, draft=draft, asker=asker)


@answers_refusals
def create_visit_from_draft(
    ctx: CoreContext,
    *,
    asker: Asker,
    draft_id: int,
    clicked_preview: tuple[str | None, str | None] | None = None,
    keep_with_visit: KeepWithVisit | None = None,
    as_record: bool = False,
) -> VisitCreated:
    """ "Create visit" on a letter's preview: the letter's facts exactly as read.

    `as_record` ("Track as a record", offered when every date has passed): the visit is kept
    closed from the start, so nothing is reminded; `/ofsted reopen` brings it to life.

    `keep_with_visit`: what a front end stores with the new visit in the same unit of work, and
    which channel the visit is in when that is not the one the letter came to (Teams: the
    conversation to post in; a personal chat is no channel).
    """
    now = ctx.now()
    with ctx.change() as change:
        draft = take_draft(
            session=change.session,
            draft_id=draft_id,
            asker=asker,
            status="created",
            now=now,
            taken=None,
        )
        facts = LetterFacts.from_json(draft.facts)
        if not facts.milestones:
            raise UserError(
                "This letter has no dates to track. Use *Edit dates* to add them, or dismiss it."
            )
        channel_id = keep_with_visit.channel_id if keep_with_visit else draft.channel_id
        visit = _store_visit(
            change=change, facts=facts, form=None, channel_id=channel_id, asker=asker, now=now
        )
        if keep_with_visit is not None:
            keep_with_visit.keep(change.session, visit)
        if as_record:
            keep_as_record(change=change, visit=visit, facts=facts, asker=asker, now=now)
        return _created(
            change=change, visit=visit, draft=draft, asker=asker, clicked_preview=clicked_preview
        )


def keep_as_record(
    *, change: Change, visit: Visit, facts: LetterFacts, asker: Asker, now: datetime
) -> None:
    """A letter whose every date has passed, kept for the record: closed at once, no reminders."""
    today = london_date(now)
    if any(milestone.due >= today for milestone in facts.milestones):
        raise UserError(
            "Some of this letter's dates are still to come: press *Create visit* to be reminded."
        )
    repo.close_visit(session=change.session, visit=visit, actor_user_id=asker.user_id, now=now)
    repo.append_audit_event(
        session=change.session,
        visit_id=visit.id or 0,
        milestone_id=None,
        actor_user_id=asker.user_id,
        action="visit_kept_as_record",
        now=now,
        note="every date had passed: kept as a record, no reminders",
    )
    change.touched(visit)


@dataclass(frozen=True)
class KeepWithVisit:
    """A front end's own record of a new visit, kept in the visit's own unit of work."""

    channel_id: str | None
    keep: Callable[[Session, Visit], None]


def _created(
    *,
    change: Change,
    visit: Visit,
    draft: LetterDraft | None,
    asker: Asker,
    clicked_preview: tuple[str | None, str | None] | None = None,
) -> VisitCreated:
    preview: tuple[str | None, str | None] = (None, None)
    if draft is not None:
        draft.visit_id = visit.id
        change.session.add(draft)
        preview = clicked_preview or (draft.preview_channel_id, draft.preview_ts)
    change.session.flush()
    return VisitCreated(
        timeline=timeline(session=change.session, visit=visit),
        created_by=asker.user_id,
        preview=preview,
        facts=LetterFacts.from_json(draft.facts) if draft is not None else None,
    )


# --- Settings, closing ---------------------------------------------------------------------


def _settings_shown(*, ctx: CoreContext, visit: Visit, approvers: list[str]) -> SettingsShown:
    return SettingsShown(
        visit=visit,
        approvers=approvers,
        escalation_user_id=visit.escalation_user_id,
        reminder_time=visit.reminder_time or reminder_time_text(ctx.defaults.reminder_time),
        reminder_offsets=visit.reminder_offsets or reminder_offsets_text(ctx.defaults.offsets),
    )


def settings_now(shown: SettingsShown) -> str:
    """The settings as a form shows them (defaults filled in), as a short fingerprint: a form
    carries the one it showed, so a save made meanwhile by someone else is not overwritten."""
    return settings_fingerprint(
        channel_id=shown.visit.channel_id,
        approvers=shown.approvers,
        escalation_user_id=shown.escalation_user_id,
        reminder_time=shown.reminder_time,
        reminder_offsets=shown.reminder_offsets,
    )


@answers_refusals
def open_settings(ctx: CoreContext, *, asker: Asker, reference: str) -> SettingsShown:
    """A visit's settings for its managers to change; anyone else's attempt is audited."""
    with ctx.session() as session:  # a refusal is written to the audit log
        now = ctx.now()
        visit = find_visit(
            session=session, reference=reference, asker=asker, attempt="settings_changed", now=now
        )
        require_manager(
            session=session,
            visit=visit,
            asker=asker,
            what="settings",
            action="settings_changed",
            now=now,
        )
        return _settings_shown(
            ctx=ctx,
            visit=visit,
            approvers=repo.list_approvers(session=session, visit_id=visit.id or 0),
        )


VISIT_GONE = "That visit no longer exists: nothing was saved."


@answers_refusals
def save_settings(
    ctx: CoreContext, *, asker: Asker, visit_id: int, form: SettingsForm, shown: str | None
) -> SettingsSaved:
    """Save a visit's settings. `shown` is the fingerprint of what the form showed (`settings_now`):
    if someone saved in between, nothing is saved and the answer says who."""
    with ctx.change() as change:
        session = change.session
        found = repo.get_visit_by_id(session=session, visit_id=visit_id, team_id=asker.team_id)
        # Locked until saved: of two people saving at once, the second reads what the first left.
        visit = (
            repo.lock_visit(session=session, visit_id=found.id or 0) if found is not None else None
        )
        if visit is None:
            raise UserError(VISIT_GONE)
        # Asked again now: the form may have been opened by a manager and submitted by someone
        # else, or submitted again after the approvers changed.
        require_manager(
            session=session,
            visit=visit,
            asker=asker,
            what="settings",
            action="settings_changed",
            now=ctx.now(),
            hidden=VISIT_GONE,
        )
        approvers = repo.list_approvers(session=session, visit_id=visit.id or 0)
        if shown and shown != settings_now(
            _settings_shown(ctx=ctx, visit=visit, approvers=approvers)
        ):
            saved = repo.latest_change(
                session=session,
                visit_id=visit.id or 0,
                milestone_id=None,
                actions=("settings_changed",),
            )
            answer = visit_already_changed_text(
                reference=visit.reference, event=saved, deed="changed the settings of"
            )
            raise UserError(f"{answer} Run `/ofsted settings {visit.reference}` again to see them.")
        event = repo.update_visit_settings(
            session=session,
            visit=visit,
            channel_id=form.channel_id,
            reminder_time=_unless_default(
                stored=visit.reminder_time,
                saved=form.reminder_time,
                default=reminder_time_text(ctx.defaults.reminder_time),
            ),
            reminder_offsets=_unless_default(
                stored=visit.reminder_offsets,
                saved=form.reminder_offsets,
                default=reminder_offsets_text(ctx.defaults.offsets),
            ),
            escalation_user_id=form.escalation_user_id,
            approvers=form.approvers,
            actor_user_id=asker.user_id,
            now=ctx.now(),
        )
        change.touched(visit)
        return SettingsSaved(
            reference=visit.reference,
            change=None if event is None else people_mentioned(event.note or ""),
        )


def _unless_default(*, stored: str | None, saved: str, default: str) -> str | None:
    """A field the form showed with the default filled in and left alone stays the default:
    not stored, and not logged as changed ("reminder days default → 5,2,1,0")."""
    return None if stored is None and saved == default else saved


@answers_refusals
def close_visit(ctx: CoreContext, *, asker: Asker, reference: str) -> VisitClosed:
    """Close a visit: its managers only; its pending reminders are cancelled."""
    with ctx.change() as change:
        session, now = change.session, ctx.now()
        visit = find_visit(
            session=session, reference=reference, asker=asker, attempt="visit_closed", now=now
        )
        require_manager(
            session=session, visit=visit, asker=asker, what="close", action="visit_closed", now=now
        )
        closed = repo.close_visit(
            session=session, visit=visit, actor_user_id=asker.user_id, now=now
        )
        if closed is None:
            # Closed already, perhaps a moment ago by someone else: say who, change nothing.
            first = repo.latest_change(
                session=session,
                visit_id=visit.id or 0,
                milestone_id=None,
                actions=("visit_closed",),
            )
            raise UserError(
                visit_already_changed_text(reference=visit.reference, event=first, deed="closed")
            )
        change.touched(visit)  # cancels its reminders
        return VisitClosed(reference=visit.reference)


# --- The list and the Home tab -------------------------------------------------------------


def visit_listing(
    *,
    session: Session,
    visible_to: repo.VisibleTo,
    limit: int = LIST_LIMIT,
    which: str = "open",
) -> VisitListing:
    """The first `limit` open visits this person may see, soonest next date first, cut in SQL:
    with thousands open, loading them all to show a few dozen was most of the work.

    `which`: "open", "closed" (the latest closed first) or "mine" (open, naming this person).
    """
    status = "closed" if which == "closed" else "open"
    naming = visible_to.user_id if which == "mine" else None
    visits = repo.list_open_visits(
        session=session, visible_to=visible_to, limit=limit, status=status, naming=naming
    )
    total = (
        len(visits)
        if len(visits) < limit
        else repo.count_open_visits(
            session=session, visible_to=visible_to, status=status, naming=naming
        )
    )
    upcoming = repo.next_open_milestones(
        session=session, visit_ids=[visit.id for visit in visits if visit.id is not None]
    )
    summaries = [
        VisitSummary(visit=visit, next_milestone=upcoming.get(visit.id or 0)) for visit in visits
    ]
    return VisitListing(summaries=summaries, total=total, which=which)


def home_items(
    *, session: Session, visible_to: repo.VisibleTo, today: date
) -> tuple[list[HomeItem], list[HomeItem], list[HomeItem]]:
    """(overdue, due in the next 30 days, waiting on this user) across the open visits they see.

    Each is its own bounded query: milestones due by the horizon, and those waiting on this
    user whatever their date; never every open milestone of every visit.
    """
    horizon = today + timedelta(days=HOME_HORIZON_DAYS)
    user_id = visible_to.user_id
    rows = repo.list_open_milestones(
        session=session, visible_to=visible_to, due_on_or_before=horizon
    )
    # An event or a decision window whose day has passed is never overdue: it closes by itself.
    overdue = [
        HomeItem(visit, milestone)
        for visit, milestone in rows
        if milestone.due_date < today and nature_of(milestone.kind) == MilestoneNature.TASK
    ]
    due_soon = [
        HomeItem(visit, milestone) for visit, milestone in rows if milestone.due_date >= today
    ]
    approver_of = repo.visits_approved_by(session=session, user_id=user_id)
    waiting = [
        HomeItem(visit, milestone, why)
        for visit, milestone in repo.list_milestones_waiting_on(
            session=session, visible_to=visible_to
        )
        if (
            why := _why_waiting(
                milestone=milestone, user_id=user_id, approver=visit.id in approver_of
            )
        )
    ]
    return overdue, due_soon, waiting


def home(ctx: CoreContext, *, asker: Asker) -> Home:
    """What the Home tab shows this person today."""
    today = ctx.today()
    with ctx.reading() as session:
        overdue, due_soon, waiting = home_items(
            session=session, visible_to=visible_to(session=session, asker=asker), today=today
        )
    return Home(overdue=overdue, due_soon=due_soon, waiting=waiting, today=today)


def _why_waiting(*, milestone: Milestone, user_id: str, approver: bool) -> str | None:
    if approver and milestone.needs_approval and milestone.approval_status == "requested":
        return "your sign-off is requested"
    if milestone.owner_user_id == user_id:
        return "you own it"
    return None
