"""Keeping each milestone's reminder rows in line with its dates and settings.

Called whenever something changes what should be reminded: a visit created, a due date moved,
a milestone done, waived or snoozed, a visit's reminder settings changed, a reminder posted
(the next overdue one is planned only then). The plan itself is the pure `plan_reminders`;
this module only turns it into rows: pending rows that are no longer planned are cancelled,
planned ones are added, and rows already sent are never touched, so nothing posts twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

from sqlmodel import Session

from scheduler.calendar import ENGLAND_AND_WALES, WorkingDayCalendar, london_time
from scheduler.reminders import plan_reminders
from scheduler.rules import nature_of, reminder_offsets_from, reminder_time_from
from storage import repo
from storage.models import OPEN_MILESTONE_STATUSES, Milestone, Visit


@dataclass(frozen=True)
class ReminderDefaults:
    """REMINDER_TIME and REMINDER_OFFSETS, for visits that have not set their own."""

    reminder_time: time = time(9, 0)
    offsets: tuple[int, ...] = (5, 2, 1, 0)
    escalate_after: int | None = 3
    calendar: WorkingDayCalendar = ENGLAND_AND_WALES


def visit_reminder_time(visit: Visit, defaults: ReminderDefaults) -> time:
    if not visit.reminder_time:
        return defaults.reminder_time
    return reminder_time_from(visit.reminder_time)


def visit_offsets(visit: Visit, defaults: ReminderDefaults) -> tuple[int, ...]:
    if not visit.reminder_offsets:
        return defaults.offsets
    return reminder_offsets_from(visit.reminder_offsets)


def replan_milestone(
    *,
    session: Session,
    visit: Visit,
    milestone: Milestone,
    defaults: ReminderDefaults,
    now: datetime,
) -> None:
    milestone_id = milestone.id or 0
    if visit.status != "open" or milestone.status not in OPEN_MILESTONE_STATUSES:
        repo.cancel_pending_reminders(session=session, milestone_id=milestone_id)
        return
    reminder_time = visit_reminder_time(visit, defaults)
    planned = plan_reminders(
        due=milestone.due_date,
        status=milestone.status,
        offsets=visit_offsets(visit, defaults),
        reminder_time=reminder_time,
        now=now,
        calendar=defaults.calendar,
        escalate_after=defaults.escalate_after,
        snoozed_until=milestone.snoozed_until,
        created_at=milestone.schedule_from or milestone.created_at,
        nature=nature_of(milestone.kind),
    )
    wanted = {(item.kind, item.due_at) for item in planned}
    quiet_until = (
        london_time(milestone.snoozed_until, reminder_time) if milestone.snoozed_until else None
    )
    stale = [
        reminder.id or 0
        for reminder in repo.list_reminders(session=session, milestone_id=milestone_id)
        if reminder.status == "pending"
        and (reminder.kind, reminder.due_at) not in wanted
        # A row already due is waiting for a dispatcher (or a retry): the plan, made later,
        # no longer lists it, but it must still go out, unless a snooze silences it.
        and (reminder.due_at > now or (quiet_until is not None and reminder.due_at < quiet_until))
    ]
    repo.cancel_reminders(session=session, reminder_ids=stale)
    repo.add_reminders(
        session=session,
        milestone_id=milestone.id or 0,
        reminders=[
            repo.NewReminder(due_at=item.due_at, kind=item.kind, offset_days=item.offset_days)
            for item in planned
        ],
    )


def replan_visit(
    *,
    session: Session,
    visit: Visit,
    defaults: ReminderDefaults,
    now: datetime,
    milestones: Sequence[Milestone] | None = None,
) -> None:
    for milestone in (
        milestones
        if milestones is not None
        else repo.list_milestones(session=session, visit_id=visit.id or 0)
    ):
        replan_milestone(
            session=session, visit=visit, milestone=milestone, defaults=defaults, now=now
        )
