"""Reminder planning: which posts one milestone still needs, and at what instant.

Pure, like the rest of `scheduler/`: the clock is an argument (`now`), nothing is read or
written, and the same arguments always give the same list. That matters because the
dispatcher stores the plan as `Reminder` rows keyed by (milestone, kind, due_at) and plans
again after every post: an instant that moved between two passes would be posted twice.

The shape of a plan, for a milestone due on day D with offsets 5,2,1,0 at 09:00:

* one reminder at 09:00 London on each offset's working day ("ahead", then "due_day");
  a due date that is not a working day is reminded on the working day before it;
* if the milestone was created after some of those had passed, one "catch_up" instead of them
  (a "due_day" if it falls on the due day itself);
* after D, one reminder each working day at 09:00 ("overdue", then "escalation"), but only
  the next one is planned: the dispatcher plans again once it has posted, so rows stay few;
* a snooze silences everything before 09:00 on its day and reminds once then.

That is a task's plan. An event (the embargo lift) or a decision window (the complaint window)
is never overdue: in place of the overdue reminders it gets one "closing" at 09:00 on the first
working day after its date, when it closes by itself (rules.NATURES says which is which). A
milestone whose date had passed before its schedule began (an old letter entered late) gets
one closing at once if it is an event or a window; a task is chased as overdue (the dispatcher
makes one post of a visit's reminders for dates that passed before the bot knew of them).

Every instant is at the reminder time on a working day, except a catch-up posted straight
away, which is at the minute the milestone was created.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from scheduler.calendar import (
    ENGLAND_AND_WALES,
    LONDON,
    WorkingDayCalendar,
    london_date,
    london_time,
)
from scheduler.rules import MilestoneNature

AHEAD = "ahead"
DUE_DAY = "due_day"
CATCH_UP = "catch_up"
OVERDUE = "overdue"
ESCALATION = "escalation"
CLOSING = "closing"
"""An event's day or a decision window has passed: the milestone closes by itself, once."""
REMINDER_KINDS = (AHEAD, DUE_DAY, CATCH_UP, OVERDUE, ESCALATION, CLOSING)
"""The same kinds, in the same order, as `storage.models.REMINDER_KINDS` (a test checks)."""

PLANNED_STATUSES = ("open", "acknowledged")
"""Milestone statuses that still need someone to act, so still get reminders."""
FINISHED_STATUSES = ("done", "waived")

DEFAULT_ESCALATE_AFTER = 3
"""Working days overdue from which the daily reminder escalates."""


@dataclass(frozen=True)
class PlannedReminder:
    """One post the planner wants to exist; becomes a `Reminder` row as it stands."""

    due_at: datetime
    """Aware, in UTC."""
    kind: str
    """One of `REMINDER_KINDS`."""
    offset_days: int
    """Working days left after the reminder's London day up to the due date (negative: working
    days overdue): `calendar.working_days_between(day, due)`, the count the message shows."""


def plan_reminders(
    *,
    due: date,
    status: str,
    offsets: Sequence[int],
    reminder_time: time,
    now: datetime,
    calendar: WorkingDayCalendar = ENGLAND_AND_WALES,
    escalate_after: int | None = DEFAULT_ESCALATE_AFTER,
    snoozed_until: date | None = None,
    created_at: datetime | None = None,
    nature: str = MilestoneNature.TASK,
) -> list[PlannedReminder]:
    """The reminders still to come for one milestone, sorted by `due_at`, all after `now`
    except a catch-up due at once, which sits on the minute of `now` (or of `created_at`).

    `created_at` is when this schedule began (the milestone's creation, or the moment its due
    date was last moved). Offsets that had passed by then were never going to be posted, so they
    earn one catch-up; offsets that passed after it are the dispatcher's (posted or still
    pending), not missed. It defaults to `now`, which is right only when planning at creation:
    a later pass without it would take every passed offset for a missed one and plan a second
    catch-up.

    Raises ValueError on a naive `now` or `created_at`, an aware `reminder_time`, a negative
    offset or threshold, or an unknown status.
    """
    _require_aware(now, "now")
    if created_at is not None:
        _require_aware(created_at, "created_at")
    if reminder_time.tzinfo is not None:
        raise ValueError("reminder_time is a London wall-clock time: give it without a timezone")
    if any(offset < 0 for offset in offsets):
        raise ValueError(f"offsets are working days before the due date, not {list(offsets)}")
    if escalate_after is not None and escalate_after < 0:
        raise ValueError(f"escalate_after must be 0 or more, not {escalate_after}")
    if status in FINISHED_STATUSES:
        return []
    if status not in PLANNED_STATUSES:
        raise ValueError(
            f"unknown milestone status {status!r}; expected one of "
            f"{PLANNED_STATUSES + FINISHED_STATUSES}"
        )

    def at(day: date) -> datetime:
        return _utc(london_time(day, reminder_time))

    def on(day: date, instant: datetime) -> PlannedReminder:
        return _reminder_on(
            day=day, instant=instant, due=due, calendar=calendar, escalate_after=escalate_after
        )

    start = now if created_at is None else created_at
    task = nature == MilestoneNature.TASK
    this_minute = _utc(now).replace(second=0, microsecond=0)
    if due < london_date(start) and not task:
        # Passed before anyone told the bot: it closes at once, never overdue. (A task passed
        # so is chased as overdue below; the dispatcher makes one post of a visit's many.)
        instant = _catch_up_at(start=start, reminder_time=reminder_time, calendar=calendar)
        late = -calendar.working_days_between(due, london_date(instant))
        passed = PlannedReminder(instant, CLOSING, late)
        return [passed] if instant >= this_minute else []
    # The regular reminders, one per day: offsets 1 and 0 both land on the Friday before a
    # Saturday due date. The day, not the offset that led to it, says how many working days
    # are left, so both make one "due_day" reminder counting 0.
    reminder_days = {
        calendar.previous_working_day(due)
        if offset == 0
        else calendar.add_working_days(due, -offset)
        for offset in offsets
    }
    schedule: list[PlannedReminder] = []
    missed = False
    for day in sorted(reminder_days):
        instant = at(day)
        if instant <= start:
            missed = True
        else:
            ahead = calendar.working_days_between(day, due)
            schedule.append(PlannedReminder(instant, DUE_DAY if ahead == 0 else AHEAD, ahead))

    catch_up: PlannedReminder | None = None
    if missed:
        instant = _catch_up_at(start=start, reminder_time=reminder_time, calendar=calendar)
        day = london_date(instant)
        # After the due date the overdue reminder speaks instead; on a day that already has a
        # regular reminder, a catch-up would only repeat it.
        if day <= due and day not in _london_days(schedule):
            catch_up = on(day, instant)
            schedule.append(catch_up)

    # The snooze: nothing before the reminder time on its (working) day, and one reminder then.
    # It does not depend on `now`, so a pass made during the snooze plans the same reminder.
    not_before: datetime | None = None
    if snoozed_until is not None:
        snooze_day = calendar.next_working_day(snoozed_until)
        not_before = at(snooze_day)
        silenced = [reminder for reminder in schedule if reminder.due_at < not_before]
        schedule = [reminder for reminder in schedule if reminder.due_at >= not_before]
        # After the due date, the overdue reminder below falls on the snooze day itself.
        if silenced and snooze_day <= due and snooze_day not in _london_days(schedule):
            schedule.append(on(snooze_day, not_before))

    if not task:
        # Never overdue: it closes by itself on the first working day after its date.
        closing_day = calendar.next_working_day(due + timedelta(days=1))
        late = -calendar.working_days_between(due, closing_day)
        schedule.append(PlannedReminder(at(closing_day), CLOSING, late))
        planned = [
            reminder
            for reminder in schedule
            if reminder.due_at > now or (reminder is catch_up and reminder.due_at >= this_minute)
        ]
        return sorted(planned, key=lambda reminder: reminder.due_at)

    # Overdue: only the next working day's reminder after now (and after any snooze).
    overdue_day = max(due + timedelta(days=1), london_date(now))
    if not_before is not None:
        overdue_day = max(overdue_day, london_date(not_before))
    overdue_day = calendar.next_working_day(overdue_day)
    if at(overdue_day) <= now:
        overdue_day = calendar.next_working_day(overdue_day + timedelta(days=1))
    schedule.append(on(overdue_day, at(overdue_day)))

    # A catch-up posted straight away sits on the minute, a few seconds before `now`.
    planned = [
        reminder
        for reminder in schedule
        if reminder.due_at > now or (reminder is catch_up and reminder.due_at >= this_minute)
    ]
    return sorted(planned, key=lambda reminder: reminder.due_at)


def kind_on(
    *,
    day: date,
    due: date,
    nature: str = MilestoneNature.TASK,
    calendar: WorkingDayCalendar = ENGLAND_AND_WALES,
    escalate_after: int | None = DEFAULT_ESCALATE_AFTER,
) -> tuple[str, int]:
    """The kind (and working-day count) of a reminder posted on `day`, whatever day it was
    planned for: one posted late says what is true the day it goes out, so an overdue reminder
    held up for three working days escalates, and an event's is a closing once its day passed."""
    if day > due and nature != MilestoneNature.TASK:
        return CLOSING, -calendar.working_days_between(due, day)
    reminder = _reminder_on(
        day=day, instant=datetime.min.replace(tzinfo=UTC), due=due, calendar=calendar,
        escalate_after=escalate_after,
    )
    return reminder.kind, reminder.offset_days


def _reminder_on(
    *,
    day: date,
    instant: datetime,
    due: date,
    calendar: WorkingDayCalendar,
    escalate_after: int | None,
) -> PlannedReminder:
    """A reminder on a working day that is not one of the offsets: its kind is the day's phase."""
    if day > due:
        late = calendar.working_days_between(due, day)
        escalated = escalate_after is not None and late >= escalate_after
        return PlannedReminder(instant, ESCALATION if escalated else OVERDUE, -late)
    ahead = calendar.working_days_between(day, due)
    # The last working day on or before the due date counts 0: that is its due day.
    return PlannedReminder(instant, DUE_DAY if ahead == 0 else CATCH_UP, ahead)


def _catch_up_at(*, start: datetime, reminder_time: time, calendar: WorkingDayCalendar) -> datetime:
    """When missed reminders are made up: at once if the reminder time has passed on a working
    day, else at the next reminder time. Whoever enters a late milestone expects to hear
    straight away, but nobody should be reminded before the working day starts.

    Truncated to the minute so that two passes a few seconds apart agree on the row's key.
    """
    local = start.astimezone(LONDON)
    today = local.date()
    if not calendar.is_working_day(today):
        return _utc(london_time(calendar.next_working_day(today), reminder_time))
    at_reminder_time = _utc(london_time(today, reminder_time))
    if local.time() < reminder_time:
        return at_reminder_time
    return max(_utc(start).replace(second=0, microsecond=0), at_reminder_time)


def _london_days(reminders: Sequence[PlannedReminder]) -> set[date]:
    return {london_date(reminder.due_at) for reminder in reminders}


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, not {moment.isoformat()}")
