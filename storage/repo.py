"""Repository functions: the only queries the rest of the bot runs.

Every function takes the session and the current time as arguments. Nothing here
reads the clock or commits: the caller owns the unit of work (see
storage.db.session_scope), so a listener's change and its audit event commit or
roll back together.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select, update

from storage.models import (
    APPROVAL_DECISIONS,
    AUDIT_OUTCOMES,
    MILESTONE_SOURCES,
    MILESTONE_STATUSES,
    OPEN_MILESTONE_STATUSES,
    REMINDER_KINDS,
    UNOWNED,
    VISIT_TYPES,
    Approval,
    AuditEvent,
    LetterDraft,
    Milestone,
    Reminder,
    Visit,
    VisitApprover,
)

logger = logging.getLogger(__name__)

SYSTEM_ACTOR = "system"
"""The actor recorded when no Slack user did the thing (e.g. a visit created offline)."""

_REFERENCE_MAX_SLUG = 40
_REFERENCE_ATTEMPTS = 5


@dataclass(frozen=True)
class NewMilestone:
    """A milestone to store with a new visit, as the letter reader or a user gave it."""

    kind: str
    label: str
    due_date: date
    source: str
    evidence: str | None = None
    rule: str | None = None
    needs_approval: bool = False
    owner_user_id: str | None = None
    estimate: bool = False


@dataclass(frozen=True)
class VisibleTo:
    """The visits one person may see, as a query filter: the SQL twin of
    handlers.core.access.can_see (tests/handlers/test_visibility.py holds the two together).

    `channel_ids`: the channels, among those holding visits, that the person is a member of;
    None for an administrator, who sees every visit of the workspace. A visit kept in a direct
    message (no channel, or a `D…` one) is seen by the people it names.
    """

    team_id: str
    user_id: str
    channel_ids: frozenset[str] | None = frozenset()


def _visible(visible_to: VisibleTo) -> ColumnElement[bool]:
    in_team = col(Visit.team_id) == visible_to.team_id
    if visible_to.channel_ids is None:
        return in_team
    user_id = visible_to.user_id
    in_direct_message = or_(
        col(Visit.channel_id).is_(None),
        col(Visit.channel_id) == "",
        col(Visit.channel_id).startswith("D"),
    )
    named = or_(
        col(Visit.created_by) == user_id,
        col(Visit.escalation_user_id) == user_id,
        col(Visit.id).in_(
            select(VisitApprover.visit_id).where(col(VisitApprover.user_id) == user_id)
        ),
        col(Visit.id).in_(
            select(Milestone.visit_id).where(col(Milestone.owner_user_id) == user_id)
        ),
    )
    in_their_channels = and_(
        col(Visit.channel_id).in_(sorted(visible_to.channel_ids)), ~in_direct_message
    )
    return and_(in_team, or_(in_their_channels, and_(in_direct_message, named)))


@dataclass(frozen=True)
class NewReminder:
    """A reminder the planner wants to exist; storing it twice is harmless."""

    due_at: datetime
    kind: str
    offset_days: int


# --- visits -----------------------------------------------------------------------


def create_visit(
    *,
    session: Session,
    local_authority: str | None,
    visit_type: str,
    letter_date: date | None,
    visit_dates: Sequence[date],
    inspectors: Sequence[str],
    milestones: Sequence[NewMilestone],
    created_by: str | None,
    channel_id: str | None = None,
    approvers: Sequence[str] = (),
    now: datetime,
    team_id: str = UNOWNED,
    enterprise_id: str | None = None,
) -> Visit:
    """Store a confirmed visit with its milestones and approvers, and audit it.

    The reference is built from the authority and the letter's month so people can
    type it in a slash command (`st-helens-2106`); a second visit that would get
    the same reference is suffixed `-2`, `-3`, ...

    `team_id` (and `enterprise_id`): the workspace of the request that created it; left
    UNOWNED only by code that runs before the app knows its workspace (it adopts them at start).
    """
    _require_aware(now)
    if visit_type not in VISIT_TYPES:
        raise ValueError(f"unknown visit type {visit_type!r}; expected one of {VISIT_TYPES}")
    for milestone in milestones:
        _check_new_milestone(milestone)

    def make_visit(reference: str) -> Visit:
        return Visit(
            team_id=team_id,
            enterprise_id=enterprise_id,
            reference=reference,
            local_authority=local_authority,
            visit_type=visit_type,
            letter_date=letter_date,
            visit_start=min(visit_dates, default=None),
            visit_end=max(visit_dates, default=None),
            inspectors=list(inspectors),
            channel_id=channel_id,
            status="open",
            created_by=created_by,
            created_at=now,
        )

    visit = _insert_visit_with_free_reference(
        session=session,
        base=reference_base(local_authority=local_authority, letter_date=letter_date),
        make_visit=make_visit,
    )
    visit_id = _id(visit.id)
    for user_id in dict.fromkeys(a.strip() for a in approvers if a.strip()):
        session.add(VisitApprover(visit_id=visit_id, user_id=user_id))
    for new in milestones:
        session.add(
            Milestone(
                team_id=team_id,
                visit_id=visit_id,
                kind=new.kind,
                label=new.label,
                due_date=new.due_date,
                owner_user_id=new.owner_user_id,
                status="open",
                source=new.source,
                evidence=new.evidence,
                rule=new.rule,
                needs_approval=new.needs_approval,
                estimate=new.estimate,
                created_at=now,
                updated_at=now,
            )
        )
    append_audit_event(
        session=session,
        visit_id=visit_id,
        milestone_id=None,
        actor_user_id=created_by or SYSTEM_ACTOR,
        action="visit_created",
        now=now,
        note=f"{visit.reference}: {visit_type}, {len(milestones)} milestones",
    )
    return visit


def reference_base(*, local_authority: str | None, letter_date: date | None) -> str:
    """The reference a visit gets before any collision suffix."""
    parts = [_slug(local_authority or "") or "visit"]
    if letter_date is not None:
        parts.append(letter_date.strftime("%y%m"))
    return "-".join(parts)


def _slug(text: str) -> str:
    text = text.replace("&", " and ")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"['’`]", "", text.lower())
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(slug) > _REFERENCE_MAX_SLUG:
        slug = slug[:_REFERENCE_MAX_SLUG].rsplit("-", 1)[0]
    return slug


def _insert_visit_with_free_reference(
    *, session: Session, base: str, make_visit: Callable[[str], Visit]
) -> Visit:
    """Insert under the first free reference, retrying if another writer takes it first."""
    for _ in range(_REFERENCE_ATTEMPTS):
        reference = _free_reference(session=session, base=base)
        visit = make_visit(reference)
        try:
            with session.begin_nested():
                session.add(visit)
        except IntegrityError:
            # References are unique across workspaces: look in all of them for the one taken.
            if (
                session.exec(select(Visit.id).where(col(Visit.reference) == reference)).first()
                is None
            ):
                raise
            continue
        return visit
    raise RuntimeError(f"could not find a free reference for {base!r}")


def _free_reference(*, session: Session, base: str) -> str:
    taken = set(
        session.exec(
            select(Visit.reference).where(
                (col(Visit.reference) == base) | col(Visit.reference).startswith(base + "-")
            )
        )
    )
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


def get_visit(*, session: Session, reference: str, team_id: str) -> Visit | None:
    """A workspace's visit by the reference a user typed, ignoring case and spaces around it."""
    return session.exec(
        select(Visit).where(
            col(Visit.reference) == reference.strip().lower(), col(Visit.team_id) == team_id
        )
    ).first()


def get_visit_by_id(*, session: Session, visit_id: int, team_id: str) -> Visit | None:
    """Find a workspace's visit from an id carried in a button's value or a modal."""
    visit = session.get(Visit, visit_id)
    return visit if visit is not None and visit.team_id == team_id else None


def visit_channels(*, session: Session, team_id: str) -> set[str]:
    """The channels a workspace's open visits are tracked in (direct messages left out): the
    channels whose members a person must be among to see them."""
    statement = (
        select(Visit.channel_id)
        .where(
            col(Visit.team_id) == team_id,
            col(Visit.status) == "open",
            col(Visit.channel_id).is_not(None),
        )
        .distinct()
    )
    return {
        channel for channel in session.exec(statement) if channel and not channel.startswith("D")
    }


def adopt_unowned_rows(*, session: Session, team_id: str, enterprise_id: str | None) -> int:
    """Give rows stored before visits had a workspace to this installation's own team.

    The migration that added the workspace could not ask Slack which team the bot is installed
    in; the app does (auth.test) when it starts, then calls this. Returns how many visits it
    adopted; logs it.
    """
    adopted = session.exec(
        update(Visit)
        .where(col(Visit.team_id) == UNOWNED)
        .values(team_id=team_id, enterprise_id=enterprise_id)
    ).rowcount
    session.exec(update(Milestone).where(col(Milestone.team_id) == UNOWNED).values(team_id=team_id))
    session.exec(
        update(LetterDraft)
        .where(col(LetterDraft.team_id) == UNOWNED)
        .values(team_id=team_id, enterprise_id=enterprise_id)
    )
    if adopted:
        logger.info(
            "adopted %d visits stored before visits had a workspace into team %s", adopted, team_id
        )
    return int(adopted or 0)


def list_open_visits(
    *,
    session: Session,
    visible_to: VisibleTo,
    limit: int | None = None,
    status: str = "open",
    naming: str | None = None,
) -> list[Visit]:
    """The open visits this person may see, the one whose next open milestone falls soonest
    first; the first `limit`.

    Visits with nothing left open come last, by reference. `status="closed"`: the closed ones
    instead, the latest closed first; `naming`: only those that name this person.
    """
    next_due = (
        select(
            col(Milestone.visit_id).label("visit_id"),
            func.min(Milestone.due_date).label("next_due"),
        )
        .where(col(Milestone.status).in_(OPEN_MILESTONE_STATUSES))
        .group_by(col(Milestone.visit_id))
        .subquery()
    )
    statement = (
        select(Visit)
        .outerjoin(next_due, next_due.c.visit_id == Visit.id)
        .where(*_listed(visible_to, status=status, naming=naming))
        .order_by(
            *(
                (col(Visit.closed_at).desc(), col(Visit.reference))
                if status == "closed"
                else (next_due.c.next_due.is_(None), next_due.c.next_due, col(Visit.reference))
            )
        )
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.exec(statement))


def count_open_visits(
    *, session: Session, visible_to: VisibleTo, status: str = "open", naming: str | None = None
) -> int:
    """How many visits this person may see are open, for "…and N more" under a list cut short."""
    return session.exec(
        select(func.count())
        .select_from(Visit)
        .where(*_listed(visible_to, status=status, naming=naming))
    ).one()


def _listed(
    visible_to: VisibleTo, *, status: str, naming: str | None
) -> list[ColumnElement[bool]]:
    """A list's filter: the status asked for, what the person may see, and (`/ofsted list mine`)
    the visits that name them: created, owner of a milestone, approver or escalation contact."""
    where = [col(Visit.status) == status, _visible(visible_to)]
    if naming is not None:
        where.append(
            or_(
                col(Visit.created_by) == naming,
                col(Visit.escalation_user_id) == naming,
                col(Visit.id).in_(
                    select(VisitApprover.visit_id).where(col(VisitApprover.user_id) == naming)
                ),
                col(Visit.id).in_(
                    select(Milestone.visit_id).where(col(Milestone.owner_user_id) == naming)
                ),
            )
        )
    return where


def list_approvers(*, session: Session, visit_id: int) -> list[str]:
    """User ids allowed to approve this visit's milestones, so buttons can gate on them."""
    statement = (
        select(VisitApprover.user_id)
        .where(col(VisitApprover.visit_id) == visit_id)
        .order_by(col(VisitApprover.user_id))
    )
    return list(session.exec(statement))


def close_visit(
    *,
    session: Session,
    visit: Visit,
    actor_user_id: str,
    now: datetime,
    idempotency_key: str | None = None,
) -> AuditEvent | None:
    """Close a visit; returns the audit event, or None if it was closed already.

    One conditional UPDATE (`… WHERE status = 'open'`): of two people closing at once, one
    closes it and is audited; the other changes nothing and records nothing (see
    `_record_transition`). Pending reminders are left to the dispatcher and planner, which
    know that a closed visit is not reminded about.
    """
    _require_aware(now)
    lock_visit(session=session, visit_id=_id(visit.id))
    if visit.status == "closed" or _seen(session=session, key=idempotency_key):
        return None
    old_status = visit.status
    changed = session.execute(
        update(Visit)
        .where(col(Visit.id) == visit.id, col(Visit.status) == old_status)
        .values(status="closed", closed_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        session.refresh(visit)
        return None
    return _record_transition(
        session=session,
        visit_id=_id(visit.id),
        milestone_id=None,
        actor_user_id=actor_user_id,
        action="visit_closed",
        now=now,
        note=f"status {old_status} → closed",
        idempotency_key=idempotency_key,
    )


def lock_visit(*, session: Session, visit_id: int) -> Visit | None:
    """The visit as stored now, its row locked until the unit of work ends.

    PostgreSQL: `SELECT … FOR UPDATE`, so a second change to the same visit waits for this one
    and then reads what it left. SQLite has no row locks and needs none: a unit of work that
    writes begins IMMEDIATE (see storage.db), which already lets one writer in at a time.
    """
    statement = (
        select(Visit)
        .where(col(Visit.id) == visit_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(statement).first()


def update_visit_settings(
    *,
    session: Session,
    visit: Visit,
    channel_id: str | None,
    reminder_time: str | None,
    reminder_offsets: str | None,
    escalation_user_id: str | None,
    approvers: Sequence[str],
    actor_user_id: str,
    now: datetime,
    idempotency_key: str | None = None,
) -> AuditEvent | None:
    """Change where and when a visit's reminders go, and who signs off; audited as one event.

    Returns None when nothing changed (or the key was seen before), writing nothing. The row
    is locked first (`lock_visit`) so the old → new values audited are the ones replaced,
    even when two people save at once.
    """
    _require_aware(now)
    visit_id = _id(visit.id)
    if lock_visit(session=session, visit_id=visit_id) is None:
        return None
    wanted_approvers = sorted(dict.fromkeys(a.strip() for a in approvers if a.strip()))
    current_approvers = list_approvers(session=session, visit_id=visit_id)
    changes = [
        f"{name} {old or 'default'} → {new or 'default'}"
        for name, old, new in (
            ("channel", visit.channel_id, channel_id),
            ("reminder time", visit.reminder_time, reminder_time),
            ("reminder days", visit.reminder_offsets, reminder_offsets),
            ("escalation", visit.escalation_user_id, escalation_user_id),
        )
        if old != new
    ]
    if wanted_approvers != current_approvers:
        changes.append(
            f"approvers {', '.join(current_approvers) or 'none'} → "
            f"{', '.join(wanted_approvers) or 'none'}"
        )
    if not changes or _seen(session=session, key=idempotency_key):
        return None
    visit.channel_id = channel_id
    visit.reminder_time = reminder_time
    visit.reminder_offsets = reminder_offsets
    visit.escalation_user_id = escalation_user_id
    session.add(visit)
    for old in session.exec(select(VisitApprover).where(col(VisitApprover.visit_id) == visit_id)):
        session.delete(old)
    session.flush()
    for user_id in wanted_approvers:
        session.add(VisitApprover(visit_id=visit_id, user_id=user_id))
    session.flush()
    return _record_transition(
        session=session,
        visit_id=visit_id,
        milestone_id=None,
        actor_user_id=actor_user_id,
        action="settings_changed",
        now=now,
        note="; ".join(changes),
        idempotency_key=idempotency_key,
    )


# --- letter drafts ------------------------------------------------------------------


def save_letter_draft(
    *,
    session: Session,
    facts: dict[str, object],
    created_by: str,
    now: datetime,
    filename: str | None = None,
    channel_id: str | None = None,
    thread_ts: str | None = None,
    team_id: str = UNOWNED,
    enterprise_id: str | None = None,
    content_hash: str | None = None,
) -> LetterDraft | None:
    """Keep a letter's facts while a person checks them; nothing is a visit yet.

    None when a draft for the same shared message exists already (Slack delivered the event
    twice): the caller then posts nothing, so the channel sees one preview.
    """
    _require_aware(now)
    draft = LetterDraft(
        team_id=team_id,
        enterprise_id=enterprise_id,
        facts=facts,
        filename=filename,
        created_by=created_by,
        channel_id=channel_id,
        thread_ts=thread_ts,
        status="pending",
        created_at=now,
        content_hash=content_hash,
    )
    try:
        with session.begin_nested():
            session.add(draft)
    except IntegrityError:
        if (
            channel_id
            and thread_ts
            and find_letter_draft_for_message(
                session=session, channel_id=channel_id, thread_ts=thread_ts
            )
        ):
            return None
        raise
    return draft


def get_letter_draft(*, session: Session, draft_id: int, team_id: str) -> LetterDraft | None:
    """A workspace's letter draft, from the id its preview's buttons carry."""
    draft = session.get(LetterDraft, draft_id)
    return draft if draft is not None and draft.team_id == team_id else None


def find_letter_draft_for_message(
    *, session: Session, channel_id: str, thread_ts: str
) -> LetterDraft | None:
    """The draft already made from a shared file's message, so a Slack retry makes no second."""
    statement = select(LetterDraft).where(
        col(LetterDraft.channel_id) == channel_id, col(LetterDraft.thread_ts) == thread_ts
    )
    return session.exec(statement).first()


def set_letter_draft_preview(
    *, session: Session, draft: LetterDraft, channel_id: str, preview_ts: str
) -> None:
    """Remember the preview message, so it can be updated when the draft is acted on."""
    draft.preview_channel_id = channel_id
    draft.preview_ts = preview_ts
    session.add(draft)
    session.flush()


def resolve_letter_draft(
    *,
    session: Session,
    draft_id: int,
    status: str,
    actor_user_id: str,
    now: datetime,
    visit_id: int | None = None,
) -> bool:
    """Mark a pending draft created or dismissed; False if someone got there first.

    One conditional UPDATE, so a double click or two people clicking at once resolve the
    draft once and create one visit between them.
    """
    _require_aware(now)
    if status not in ("created", "dismissed"):
        raise ValueError(f"a draft is resolved as created or dismissed, not {status!r}")
    result = session.execute(
        update(LetterDraft)
        .where(col(LetterDraft.id) == draft_id, col(LetterDraft.status) == "pending")
        .values(status=status, resolved_by=actor_user_id, resolved_at=now, visit_id=visit_id)
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- milestones -------------------------------------------------------------------


def list_milestones(*, session: Session, visit_id: int) -> list[Milestone]:
    """A visit's milestones in date order: the order of its timeline."""
    statement = (
        select(Milestone)
        .where(col(Milestone.visit_id) == visit_id)
        .order_by(col(Milestone.due_date), col(Milestone.id))
    )
    return list(session.exec(statement))


def list_open_milestones(
    *, session: Session, visible_to: VisibleTo, due_on_or_before: date | None = None
) -> list[tuple[Visit, Milestone]]:
    """Milestones still needing action on the open visits this person may see, soonest first:
    the App Home's rows."""
    statement = (
        select(Visit, Milestone)
        .join(Milestone, col(Milestone.visit_id) == col(Visit.id))
        .where(
            col(Visit.status) == "open",
            col(Milestone.status).in_(OPEN_MILESTONE_STATUSES),
            _visible(visible_to),
        )
        .order_by(col(Milestone.due_date), col(Milestone.id))
    )
    if due_on_or_before is not None:
        statement = statement.where(col(Milestone.due_date) <= due_on_or_before)
    return [(visit, milestone) for visit, milestone in session.exec(statement)]


def list_milestones_waiting_on(
    *, session: Session, visible_to: VisibleTo
) -> list[tuple[Visit, Milestone]]:
    """Open milestones on open visits this user may see that wait on them, whatever their date:
    the ones they own, and those whose sign-off is requested on a visit they approve. Soonest
    first."""
    user_id = visible_to.user_id
    approves = select(VisitApprover.visit_id).where(col(VisitApprover.user_id) == user_id)
    statement = (
        select(Visit, Milestone)
        .join(Milestone, col(Milestone.visit_id) == col(Visit.id))
        .where(
            col(Visit.status) == "open",
            col(Milestone.status).in_(OPEN_MILESTONE_STATUSES),
            _visible(visible_to),
            or_(
                col(Milestone.owner_user_id) == user_id,
                and_(
                    col(Milestone.needs_approval).is_(True),
                    col(Milestone.approval_status) == "requested",
                    col(Milestone.visit_id).in_(approves),
                ),
            ),
        )
        .order_by(col(Milestone.due_date), col(Milestone.id))
    )
    return [(visit, milestone) for visit, milestone in session.exec(statement)]


def visits_approved_by(*, session: Session, user_id: str) -> set[int]:
    """The visits on which this user may approve, so the Home tab can show what waits on them."""
    statement = select(VisitApprover.visit_id).where(col(VisitApprover.user_id) == user_id)
    return set(session.exec(statement))


def next_open_milestones(*, session: Session, visit_ids: Sequence[int]) -> dict[int, Milestone]:
    """Each visit's soonest milestone still open, in one query, for `/ofsted list`."""
    if not visit_ids:
        return {}
    statement = (
        select(Milestone)
        .where(
            col(Milestone.visit_id).in_(visit_ids),
            col(Milestone.status).in_(OPEN_MILESTONE_STATUSES),
        )
        .order_by(col(Milestone.visit_id), col(Milestone.due_date), col(Milestone.id))
    )
    soonest: dict[int, Milestone] = {}
    for milestone in session.exec(statement):
        soonest.setdefault(milestone.visit_id, milestone)
    return soonest


def get_milestone(*, session: Session, milestone_id: int, team_id: str) -> Milestone | None:
    """Find a workspace's milestone from the id carried in a button's value."""
    milestone = session.get(Milestone, milestone_id)
    return milestone if milestone is not None and milestone.team_id == team_id else None


def set_milestone_status(
    *,
    session: Session,
    milestone: Milestone,
    status: str,
    actor_user_id: str,
    now: datetime,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> AuditEvent | None:
    """Change a milestone's status and audit it (old → new).

    Returns None, changing nothing, if the status is already that or the
    idempotency key was seen before (a retried or double-clicked button).
    """
    if status not in MILESTONE_STATUSES:
        raise ValueError(f"unknown milestone status {status!r}; expected {MILESTONE_STATUSES}")
    lock_milestone(session=session, milestone=milestone)
    return _change_milestone(
        session=session,
        milestone=milestone,
        field="status",
        new=status,
        action="milestone_status_changed",
        description=f"status {milestone.status} → {status}",
        actor_user_id=actor_user_id,
        now=now,
        note=note,
        idempotency_key=idempotency_key,
    )


def set_milestone_owner(
    *,
    session: Session,
    milestone: Milestone,
    owner_user_id: str | None,
    actor_user_id: str,
    now: datetime,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> AuditEvent | None:
    """Assign (or, with None, unassign) a milestone's owner and audit it (old → new).

    Two people assigning at once are both recorded, one after the other, each with the owner
    it really replaced: an owner is not a decision that can contradict another.
    """
    lock_milestone(session=session, milestone=milestone)
    return _change_milestone(
        session=session,
        milestone=milestone,
        field="owner_user_id",
        new=owner_user_id,
        action="milestone_owner_changed",
        description=f"owner {milestone.owner_user_id or 'none'} → {owner_user_id or 'none'}",
        actor_user_id=actor_user_id,
        now=now,
        note=note,
        idempotency_key=idempotency_key,
    )


def _change_milestone(
    *,
    session: Session,
    milestone: Milestone,
    field: str,
    new: object,
    action: str,
    description: str,
    actor_user_id: str,
    now: datetime,
    note: str | None,
    idempotency_key: str | None,
) -> AuditEvent | None:
    """One transition: `field` from its value now to `new`, audited if it happened.

    Callers lock the row first (`lock_milestone`), so the value compared and described is the
    one stored, not one read before another click committed: of two clicks at once the second
    waits for the first and then finds its change made (or its decision taken) already. The
    UPDATE is conditional on that value too (`… WHERE id = … AND field IS <old>`), so even a
    caller that forgot the lock cannot overwrite a change it did not see. Exactly one click
    changes the row and writes an `ok` event; the other gets None and the milestone as it now
    is, so its caller can say who got there first.
    """
    _require_aware(now)
    old = getattr(milestone, field)
    if old == new or _seen(session=session, key=idempotency_key):
        return None
    column = getattr(Milestone, field)
    changed = session.execute(
        update(Milestone)
        .where(col(Milestone.id) == milestone.id, column.is_not_distinct_from(old))
        .values({field: new, "updated_at": now})
        .execution_options(synchronize_session="fetch")
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        session.refresh(milestone)
        return None
    return _record_transition(
        session=session,
        visit_id=milestone.visit_id,
        milestone_id=_id(milestone.id),
        actor_user_id=actor_user_id,
        action=action,
        now=now,
        note=description if note is None else f"{description}; {note}",
        idempotency_key=idempotency_key,
    )


def lock_milestone(*, session: Session, milestone: Milestone) -> None:
    """Lock the milestone's row for this unit of work and read it afresh into `milestone` (an
    object of this session), so checks made on it next hold until the change is committed.

    PostgreSQL: `SELECT … FOR UPDATE` (a concurrent click waits here until this one commits,
    then reads what it left). SQLite has no row locks and needs none: a unit of work that
    writes began IMMEDIATE (storage.db), so it holds the database's write lock already.
    """
    session.exec(
        select(Milestone)
        .where(col(Milestone.id) == milestone.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def _seen(*, session: Session, key: str | None) -> bool:
    """Whether this very request (a Slack retry carries the same key) was recorded before."""
    return key is not None and _audit_key_exists(session=session, key=key)


def _record_transition(
    *,
    session: Session,
    visit_id: int,
    milestone_id: int | None,
    actor_user_id: str,
    action: str,
    now: datetime,
    note: str,
    idempotency_key: str | None,
) -> AuditEvent:
    """The `ok` event of a change this unit of work has just made.

    Written only after the conditional UPDATE changed a row, so a click that lost a race, or
    asked for what was already so, records nothing. Such a click is not recorded at all, not
    even as another outcome: it changed nothing, the winner's event already says who decided
    and when, the person is told so on the spot, and a trail that also listed every double
    click would bury the decisions it exists to show. No savepoint here: should the key
    collide after all, the whole unit of work (the change with it) rolls back rather than
    leave a change without its event.
    """
    event = AuditEvent(
        visit_id=visit_id,
        milestone_id=milestone_id,
        actor_user_id=actor_user_id,
        action=action,
        outcome="ok",
        note=note,
        at=now,
        idempotency_key=idempotency_key,
    )
    session.add(event)
    session.flush()
    return event


def _check_new_milestone(milestone: NewMilestone) -> None:
    if not milestone.kind.strip():
        raise ValueError("a milestone needs a kind")
    if milestone.source not in MILESTONE_SOURCES:
        raise ValueError(
            f"unknown milestone source {milestone.source!r}; expected {MILESTONE_SOURCES}"
        )


# --- audit ------------------------------------------------------------------------


def append_audit_event(
    *,
    session: Session,
    visit_id: int,
    milestone_id: int | None,
    actor_user_id: str,
    action: str,
    now: datetime,
    outcome: str = "ok",
    note: str | None = None,
    idempotency_key: str | None = None,
) -> AuditEvent | None:
    """Record what someone did; None (and nothing written) if the key was seen before.

    The key is checked by the database's unique constraint inside a savepoint, so
    two requests racing with the same key (a Slack retry arriving while the first
    is still running) record one event between them and neither transaction fails.
    """
    _require_aware(now)
    if outcome not in AUDIT_OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}; expected {AUDIT_OUTCOMES}")
    if idempotency_key is not None and _audit_key_exists(session=session, key=idempotency_key):
        return None
    event = AuditEvent(
        visit_id=visit_id,
        milestone_id=milestone_id,
        actor_user_id=actor_user_id,
        action=action,
        outcome=outcome,
        note=note,
        at=now,
        idempotency_key=idempotency_key,
    )
    if idempotency_key is None:
        session.add(event)
        session.flush()
        return event
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        if _audit_key_exists(session=session, key=idempotency_key):
            return None
        raise
    return event


def _audit_key_exists(*, session: Session, key: str) -> bool:
    statement = select(AuditEvent.id).where(col(AuditEvent.idempotency_key) == key)
    return session.exec(statement).first() is not None


def list_audit_events(*, session: Session, visit_id: int) -> list[AuditEvent]:
    """A visit's audit trail, oldest first, as the CSV export shows it."""
    statement = (
        select(AuditEvent)
        .where(col(AuditEvent.visit_id) == visit_id)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    return list(session.exec(statement))


# --- reminders --------------------------------------------------------------------


def add_reminders(
    *, session: Session, milestone_id: int, reminders: Sequence[NewReminder]
) -> list[Reminder]:
    """Store planned reminders, skipping any already stored; returns those added.

    Planning can therefore be rerun at will. A reminder that was cancelled (its
    milestone moved away and back, say) is made pending again rather than
    skipped, since the unique constraint would otherwise keep it dead forever.
    """
    existing = {
        (row.kind, row.due_at): row
        for row in list_reminders(session=session, milestone_id=milestone_id)
    }
    added: list[Reminder] = []
    for new in reminders:
        _require_aware(new.due_at)
        if new.kind not in REMINDER_KINDS:
            raise ValueError(f"unknown reminder kind {new.kind!r}; expected {REMINDER_KINDS}")
        key = (new.kind, new.due_at.astimezone(UTC))
        row = existing.get(key)
        if row is not None:
            if row.status == "cancelled":
                _revive(row, offset_days=new.offset_days)
                session.add(row)
                added.append(row)
            continue
        row = Reminder(
            milestone_id=milestone_id,
            due_at=key[1],
            kind=new.kind,
            offset_days=new.offset_days,
            status="pending",
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            if not _reminder_exists(session=session, milestone_id=milestone_id, key=key):
                raise
            continue
        existing[key] = row
        added.append(row)
    session.flush()
    return added


def _revive(row: Reminder, *, offset_days: int) -> None:
    row.status = "pending"
    row.offset_days = offset_days
    row.attempts = 0
    row.claimed_by = None
    row.claimed_at = None
    row.last_error = None


def _reminder_exists(*, session: Session, milestone_id: int, key: tuple[str, datetime]) -> bool:
    statement = select(Reminder.id).where(
        col(Reminder.milestone_id) == milestone_id,
        col(Reminder.kind) == key[0],
        col(Reminder.due_at) == key[1],
    )
    return session.exec(statement).first() is not None


def list_reminders(*, session: Session, milestone_id: int) -> list[Reminder]:
    """A milestone's reminders in the order they fall due."""
    statement = (
        select(Reminder)
        .where(col(Reminder.milestone_id) == milestone_id)
        .order_by(col(Reminder.due_at), col(Reminder.id))
    )
    return list(session.exec(statement))


def cancel_pending_reminders(*, session: Session, milestone_id: int) -> int:
    """Cancel a milestone's reminders not yet claimed; returns how many.

    One UPDATE guarded on status, so a reminder a dispatcher claims at the same
    moment is either claimed or cancelled, never both.
    """
    statement = (
        update(Reminder)
        .where(col(Reminder.milestone_id) == milestone_id, col(Reminder.status) == "pending")
        .values(status="cancelled")
    )
    return session.exec(statement).rowcount


def cancel_reminders(*, session: Session, reminder_ids: Sequence[int]) -> int:
    """Cancel these reminders if they are still pending (a claimed one is left to its claimer)."""
    if not reminder_ids:
        return 0
    statement = (
        update(Reminder)
        .where(col(Reminder.id).in_(reminder_ids), col(Reminder.status) == "pending")
        .values(status="cancelled")
    )
    return session.exec(statement).rowcount


# --- helpers ----------------------------------------------------------------------


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()} refused: give it a timezone")


def _id(value: int | None) -> int:
    """A stored row's id; rows reach here flushed, so None means a bug."""
    if value is None:
        raise RuntimeError("row has no id: it was not flushed")
    return value


# --- snoozes and sign-off -----------------------------------------------------------


def snooze_milestone(
    *,
    session: Session,
    milestone: Milestone,
    until: date,
    actor_user_id: str,
    now: datetime,
    idempotency_key: str | None = None,
) -> AuditEvent | None:
    """Silence a milestone's reminders until `until`; None if it was snoozed to then already."""
    lock_milestone(session=session, milestone=milestone)
    return _change_milestone(
        session=session,
        milestone=milestone,
        field="snoozed_until",
        new=until,
        action="milestone_snoozed",
        description=f"snoozed until {until.isoformat()}",
        actor_user_id=actor_user_id,
        now=now,
        note=None,
        idempotency_key=idempotency_key,
    )


def request_approval(
    *,
    session: Session,
    milestone: Milestone,
    actor_user_id: str,
    now: datetime,
    idempotency_key: str | None = None,
) -> AuditEvent | None:
    """Ask the visit's approvers to sign off; None if sign-off is already requested.

    Of two requests at once one is recorded, with one `Approval` row (see `_change_milestone`).
    """
    lock_milestone(session=session, milestone=milestone)
    if milestone.approval_status == "requested":
        return None
    event = _change_milestone(
        session=session,
        milestone=milestone,
        field="approval_status",
        new="requested",
        action="approval_requested",
        description=f"sign-off {milestone.approval_status or 'not requested'} → requested",
        actor_user_id=actor_user_id,
        now=now,
        note=None,
        idempotency_key=idempotency_key,
    )
    if event is not None:
        session.add(
            Approval(milestone_id=_id(milestone.id), requested_by=actor_user_id, requested_at=now)
        )
        session.flush()
    return event


def sign_off_requested_by(*, session: Session, milestone_id: int) -> str | None:
    """Who asked for the milestone's open sign-off request: they may not decide it themselves."""
    statement = (
        select(Approval.requested_by)
        .where(col(Approval.milestone_id) == milestone_id, col(Approval.decision).is_(None))
        .order_by(col(Approval.id).desc())
    )
    return session.exec(statement).first()


def decide_approval(
    *,
    session: Session,
    milestone: Milestone,
    decision: str,
    actor_user_id: str,
    now: datetime,
    reason: str | None = None,
    idempotency_key: str | None = None,
) -> AuditEvent | None:
    """Approve or reject the open request; None if there is none (decided already, or never asked).

    One decision per request: the milestone moves from `requested` by a conditional UPDATE, so
    of Approve and Reject pressed at the same instant exactly one is recorded. The caller
    checks that the actor is one of the visit's approvers: storage records, it does not decide
    who may.
    """
    if decision not in APPROVAL_DECISIONS:
        raise ValueError(f"a decision is one of {APPROVAL_DECISIONS}, not {decision!r}")
    if decision == "rejected" and not (reason or "").strip():
        raise ValueError("a rejection needs a reason")
    lock_milestone(session=session, milestone=milestone)
    request = session.exec(
        select(Approval)
        .where(col(Approval.milestone_id) == milestone.id, col(Approval.decision).is_(None))
        .order_by(col(Approval.id).desc())
    ).first()
    if request is None or milestone.approval_status != "requested":
        return None
    event = _change_milestone(
        session=session,
        milestone=milestone,
        field="approval_status",
        new=decision,
        action=f"approval_{decision}",
        description=f"sign-off requested → {decision}",
        actor_user_id=actor_user_id,
        now=now,
        note=reason,
        idempotency_key=idempotency_key,
    )
    if event is not None:
        session.execute(
            update(Approval)
            .where(col(Approval.id) == request.id, col(Approval.decision).is_(None))
            .values(decided_by=actor_user_id, decision=decision, reason=reason, decided_at=now)
            .execution_options(synchronize_session="fetch")
        )
    return event


def latest_change(
    *, session: Session, visit_id: int, milestone_id: int | None, actions: Sequence[str]
) -> AuditEvent | None:
    """The last `ok` event of these kinds: who made the state what it is, and when.

    What a click that lost a race (or came from an old message) is told: "Jo already approved
    this at 10:42; nothing was changed".
    """
    statement = select(AuditEvent).where(
        col(AuditEvent.visit_id) == visit_id,
        col(AuditEvent.action).in_(actions),
        col(AuditEvent.outcome) == "ok",
    )
    if milestone_id is not None:
        statement = statement.where(col(AuditEvent.milestone_id) == milestone_id)
    return session.exec(statement.order_by(col(AuditEvent.id).desc())).first()


def audit_key_seen(*, session: Session, key: str) -> bool:
    """Whether a request with this idempotency key was recorded: a retry, not a second click."""
    return _audit_key_exists(session=session, key=key)


def list_milestone_events(
    *, session: Session, milestone_id: int, limit: int = 5
) -> list[AuditEvent]:
    """The latest things done to one milestone, newest last: shown under its reminder."""
    statement = (
        select(AuditEvent)
        .where(col(AuditEvent.milestone_id) == milestone_id)
        .order_by(col(AuditEvent.id).desc())
        .limit(limit)
    )
    return list(reversed(list(session.exec(statement))))


# --- changes after creation (handlers.core.changes) --------------------------------------------


def move_milestone_due_date(
    *,
    session: Session,
    milestone: Milestone,
    due_date: date,
    actor_user_id: str,
    now: datetime,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> AuditEvent | None:
    """Move a milestone's date, audited with the old and the new; its reminder schedule starts
    again from `now` (those already passed for the new date are caught up once)."""
    lock_milestone(session=session, milestone=milestone)
    event = _change_milestone(
        session=session,
        milestone=milestone,
        field="due_date",
        new=due_date,
        action="milestone_due_date_changed",
        description=f"date {milestone.due_date.isoformat()} → {due_date.isoformat()}",
        actor_user_id=actor_user_id,
        now=now,
        note=note,
        idempotency_key=idempotency_key,
    )
    if event is not None:
        milestone.schedule_from = now
        session.add(milestone)
        session.flush()
    return event


def confirm_milestone_date(
    *,
    session: Session,
    milestone: Milestone,
    actor_user_id: str,
    now: datetime,
    idempotency_key: str | None = None,
) -> AuditEvent | None:
    """An expected date becomes a confirmed one; None if it was confirmed already."""
    lock_milestone(session=session, milestone=milestone)
    return _change_milestone(
        session=session,
        milestone=milestone,
        field="estimate",
        new=False,
        action="milestone_date_confirmed",
        description=f"expected date {milestone.due_date.isoformat()} confirmed",
        actor_user_id=actor_user_id,
        now=now,
        note=None,
        idempotency_key=idempotency_key,
    )


def add_milestone(
    *,
    session: Session,
    visit: Visit,
    new: NewMilestone,
    actor_user_id: str,
    now: datetime,
    idempotency_key: str | None = None,
) -> Milestone:
    """A milestone added to a visit after it was created, audited."""
    _require_aware(now)
    _check_new_milestone(new)
    milestone = Milestone(
        team_id=visit.team_id,
        visit_id=_id(visit.id),
        kind=new.kind,
        label=new.label,
        due_date=new.due_date,
        owner_user_id=new.owner_user_id,
        status="open",
        source=new.source,
        evidence=new.evidence,
        rule=new.rule,
        needs_approval=new.needs_approval,
        estimate=new.estimate,
        created_at=now,
        updated_at=now,
    )
    session.add(milestone)
    session.flush()
    _record_transition(
        session=session,
        visit_id=_id(visit.id),
        milestone_id=_id(milestone.id),
        actor_user_id=actor_user_id,
        action="milestone_added",
        now=now,
        note=f"{new.label}, {new.due_date.isoformat()}",
        idempotency_key=idempotency_key,
    )
    return milestone


def reopen_visit(
    *,
    session: Session,
    visit: Visit,
    actor_user_id: str,
    now: datetime,
    idempotency_key: str | None = None,
) -> AuditEvent | None:
    """Reopen a closed visit; None if it was open already (the twin of `close_visit`)."""
    _require_aware(now)
    lock_visit(session=session, visit_id=_id(visit.id))
    if visit.status == "open" or _seen(session=session, key=idempotency_key):
        return None
    changed = session.execute(
        update(Visit)
        .where(col(Visit.id) == visit.id, col(Visit.status) == "closed")
        .values(status="open", closed_at=None)
        .execution_options(synchronize_session="fetch")
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        session.refresh(visit)
        return None
    return _record_transition(
        session=session,
        visit_id=_id(visit.id),
        milestone_id=None,
        actor_user_id=actor_user_id,
        action="visit_reopened",
        now=now,
        note="status closed → open",
        idempotency_key=idempotency_key,
    )

# --- one visit per letter -------------------------------------------------------------------


def visit_of_document(*, session: Session, team_id: str, content_hash: str) -> Visit | None:
    """The visit made from a draft of this very document (by content hash), in this workspace."""
    statement = (
        select(Visit)
        .join(LetterDraft, col(LetterDraft.visit_id) == Visit.id)
        .where(
            col(LetterDraft.team_id) == team_id,
            col(LetterDraft.content_hash) == content_hash,
            col(Visit.team_id) == team_id,
        )
        .order_by(col(Visit.id))
        .limit(1)
    )
    return session.exec(statement).first()


def visits_of_authority(
    *, session: Session, team_id: str, local_authority: str
) -> list[Visit]:
    """The workspace's visits to this authority (its name compared case-insensitively), oldest
    first: where a letter already tracked, or a report's visit, is looked for."""
    statement = (
        select(Visit)
        .where(
            col(Visit.team_id) == team_id,
            func.lower(col(Visit.local_authority)) == local_authority.strip().lower(),
        )
        .order_by(col(Visit.id))
    )
    return list(session.exec(statement))


def draft_of_visit(*, session: Session, visit_id: int) -> LetterDraft | None:
    """The draft a visit was made from (who shared its letter, and when), if it was."""
    statement = (
        select(LetterDraft)
        .where(col(LetterDraft.visit_id) == visit_id)
        .order_by(col(LetterDraft.id))
        .limit(1)
    )
    return session.exec(statement).first()


# --- sign-off: what it waits on ---------------------------------------------------------------


def latest_approvals(*, session: Session, milestone_ids: Sequence[int]) -> dict[int, Approval]:
    """Each milestone's latest sign-off request (decided or not), by milestone id."""
    if not milestone_ids:
        return {}
    rows = session.exec(
        select(Approval)
        .where(col(Approval.milestone_id).in_(list(milestone_ids)))
        .order_by(col(Approval.milestone_id), col(Approval.id))
    )
    return {row.milestone_id: row for row in rows}


def waiting_sign_offs(*, session: Session) -> list[tuple[Approval, Milestone, Visit]]:
    """Every sign-off requested and not yet decided, on an open milestone of an open visit."""
    statement = (
        select(Approval, Milestone, Visit)
        .join(Milestone, col(Milestone.id) == Approval.milestone_id)
        .join(Visit, col(Visit.id) == Milestone.visit_id)
        .where(
            col(Approval.decision).is_(None),
            col(Milestone.approval_status) == "requested",
            col(Milestone.status).in_(OPEN_MILESTONE_STATUSES),
            col(Visit.status) == "open",
        )
        .order_by(col(Approval.id))
    )
    return [(approval, milestone, visit) for approval, milestone, visit in session.exec(statement)]
