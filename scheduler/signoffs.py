"""Chasing a sign-off that waits: pure planning, today in, the requests to remind out.

A sign-off asked for and not decided after more than two working days is reminded to the
approvers, once each working day from then on until someone decides it (or the milestone is
done or waived, or the visit closed: those are not waiting). Which were reminded on a day is
the caller's record (an audit event keyed by request and day), so a second pass that day, or a
second worker, reminds nobody again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from scheduler.calendar import WorkingDayCalendar, london_date

WAITING_WORKING_DAYS = 2
"""A sign-off is chased once it has waited more than this many working days."""


@dataclass(frozen=True)
class WaitingSignOff:
    approval_id: int
    milestone_id: int
    requested_at: datetime


def sign_offs_to_chase(
    waiting: Iterable[WaitingSignOff], *, now: datetime, calendar: WorkingDayCalendar
) -> list[WaitingSignOff]:
    """The requests to remind the approvers of today: on a working day, those asked for more
    than two working days before it (a request made on Monday is chased on Thursday)."""
    today = london_date(now)
    if not calendar.is_working_day(today):
        return []
    return [
        request
        for request in waiting
        if waited(request.requested_at, today=today, calendar=calendar) > WAITING_WORKING_DAYS
    ]


def waited(requested_at: datetime, *, today: date, calendar: WorkingDayCalendar) -> int:
    """Working days from the request's day to today."""
    return calendar.working_days_between(london_date(requested_at), today)


def chase_key(request: WaitingSignOff, *, today: date) -> str:
    """The audit key of one day's reminder of one request: recorded once, however many passes."""
    return f"sign-off-chased:{request.approval_id}:{today.isoformat()}"
