"""Which waiting sign-offs to chase now, each recorded as today's chase: the part of chasing
that is the same in Slack (direct messages) and Teams (a card in the visit's conversation).

The plan is the pure one (scheduler.signoffs); the record is an audit event keyed by request and
day, so a second pass or a second worker chases nobody again. The front end sends, after the
commit: the record first, then the messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from scheduler.calendar import WorkingDayCalendar, london_date
from scheduler.signoffs import WaitingSignOff, chase_key, sign_offs_to_chase
from storage import repo
from storage.models import Approval, Milestone, Visit


@dataclass(frozen=True)
class SignOffChase:
    """A sign-off to chase today, and whom to ask (its approvers but the one who asked)."""

    approval: Approval
    milestone: Milestone
    visit: Visit
    approvers: list[str]


def record_sign_off_chases(
    *,
    session: Session,
    now: datetime,
    calendar: WorkingDayCalendar,
    chased_here: Callable[[Visit], bool],
) -> list[SignOffChase]:
    """The sign-offs of visits `chased_here` waiting too long and not chased today, each with
    its chase recorded (in `session`, committed by the caller)."""
    today = london_date(now)
    waiting = [
        found for found in repo.waiting_sign_offs(session=session) if chased_here(found[2])
    ]
    by_id = {approval.id: (approval, milestone, visit) for approval, milestone, visit in waiting}
    due = sign_offs_to_chase(
        (
            WaitingSignOff(
                approval_id=approval.id or 0,
                milestone_id=milestone.id or 0,
                requested_at=approval.requested_at,
            )
            for approval, milestone, visit in waiting
        ),
        now=now,
        calendar=calendar,
    )
    chases = []
    for request in due:
        approval, milestone, visit = by_id[request.approval_id]
        approvers = [
            a
            for a in repo.list_approvers(session=session, visit_id=visit.id or 0)
            if a != approval.requested_by
        ]
        event = repo.append_audit_event(
            session=session,
            visit_id=visit.id or 0,
            milestone_id=milestone.id,
            actor_user_id="ofsted-bot",
            action="approval_reminded",
            now=now,
            note=f"asked of {', '.join(approvers) or 'nobody'}",
            idempotency_key=chase_key(request, today=today),
        )
        if event is not None:  # None: chased today already
            chases.append(SignOffChase(approval, milestone, visit, approvers))
    return chases
