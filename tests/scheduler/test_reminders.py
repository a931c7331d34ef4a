"""The reminder planner: tables of due dates and clocks, and what an officer should be told when.

Expected plans are written out by hand, in London wall-clock time, as
"YYYY-MM-DD HH:MM kind offset_days", so that a wrong day, time, kind or count fails loudly.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.calendar import ENGLAND_AND_WALES, LONDON, WorkingDayCalendar, london_date
from scheduler.reminders import (
    REMINDER_KINDS,
    PlannedReminder,
    plan_reminders,
)
from storage.models import REMINDER_KINDS as STORED_REMINDER_KINDS

NINE = time(9, 0)
DEFAULT_OFFSETS = (5, 2, 1, 0)

# Written out here rather than asked of the calendar under test.
KNOWN_BANK_HOLIDAYS = frozenset(
    {
        date(2022, 9, 19),  # state funeral of Queen Elizabeth II
        date(2022, 12, 26),
        date(2022, 12, 27),  # substitute for Christmas Day on a Sunday
        date(2023, 1, 2),  # substitute for New Year's Day on a Sunday
        date(2023, 5, 1),
        date(2023, 5, 8),  # coronation
        date(2024, 3, 29),  # Good Friday
        date(2024, 4, 1),  # Easter Monday
        date(2025, 12, 25),
        date(2025, 12, 26),
        date(2026, 1, 1),
        date(2026, 12, 25),
        date(2026, 12, 28),  # substitute for Boxing Day on a Saturday
        date(2027, 1, 1),
    }
)


def table(cases: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for parametrize: the cases and their names as ids."""
    return {"argvalues": list(cases.values()), "ids": list(cases)}


def at(
    year: int, month: int, day: int, hour: int = 9, minute: int = 0, second: int = 0
) -> datetime:
    """A London wall-clock instant."""
    return datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


DUE_FRIDAY = date(2026, 6, 12)
CREATED = at(2026, 6, 1, 10, 0)  # when the DUE_FRIDAY milestone was entered


def plan(**overrides: Any) -> list[PlannedReminder]:
    arguments: dict[str, Any] = {
        "status": "open",
        "offsets": DEFAULT_OFFSETS,
        "reminder_time": NINE,
    }
    arguments.update(overrides)
    return plan_reminders(**arguments)


def described(reminders: list[PlannedReminder]) -> list[str]:
    """The plan as London wall-clock lines; also checks every instant is given in UTC."""
    for reminder in reminders:
        assert reminder.due_at.tzinfo is UTC
    return [
        f"{r.due_at.astimezone(LONDON):%Y-%m-%d %H:%M} {r.kind} {r.offset_days}" for r in reminders
    ]


# --- regular reminders: ordinary weeks, bank holidays, due dates off working days ---------


@pytest.mark.parametrize(
    ("due", "expected"),
    **table(
        {
            "ordinary-week": (
                date(2026, 6, 12),  # Friday
                [
                    "2026-06-05 09:00 ahead 5",
                    "2026-06-10 09:00 ahead 2",
                    "2026-06-11 09:00 ahead 1",
                    "2026-06-12 09:00 due_day 0",
                    "2026-06-15 09:00 overdue -1",
                ],
            ),
            "easter-2024-due-the-tuesday-after": (
                date(2024, 4, 2),
                [
                    "2024-03-22 09:00 ahead 5",
                    "2024-03-27 09:00 ahead 2",
                    "2024-03-28 09:00 ahead 1",
                    "2024-04-02 09:00 due_day 0",
                    "2024-04-03 09:00 overdue -1",
                ],
            ),
            "easter-2024-due-good-friday": (
                date(2024, 3, 29),
                [
                    "2024-03-22 09:00 ahead 4",
                    "2024-03-27 09:00 ahead 1",
                    "2024-03-28 09:00 due_day 0",  # offset 1 falls here too: one reminder
                    "2024-04-02 09:00 overdue -1",
                ],
            ),
            "easter-2024-due-easter-monday": (
                date(2024, 4, 1),
                [
                    "2024-03-22 09:00 ahead 4",
                    "2024-03-27 09:00 ahead 1",
                    "2024-03-28 09:00 due_day 0",
                    "2024-04-02 09:00 overdue -1",
                ],
            ),
            "christmas-2025-due-christmas-day": (
                date(2025, 12, 25),
                [
                    "2025-12-18 09:00 ahead 4",
                    "2025-12-23 09:00 ahead 1",
                    "2025-12-24 09:00 due_day 0",
                    "2025-12-29 09:00 overdue -1",
                ],
            ),
            "christmas-2025-due-the-monday-after": (
                date(2025, 12, 29),
                [
                    "2025-12-18 09:00 ahead 5",
                    "2025-12-23 09:00 ahead 2",
                    "2025-12-24 09:00 ahead 1",
                    "2025-12-29 09:00 due_day 0",
                    "2025-12-30 09:00 overdue -1",
                ],
            ),
            "new-year-2026-due-new-years-day": (
                date(2026, 1, 1),
                [
                    "2025-12-23 09:00 ahead 4",
                    "2025-12-30 09:00 ahead 1",
                    "2025-12-31 09:00 due_day 0",
                    "2026-01-02 09:00 overdue -1",
                ],
            ),
            "new-year-2026-due-2-january": (
                date(2026, 1, 2),
                [
                    "2025-12-23 09:00 ahead 5",
                    "2025-12-30 09:00 ahead 2",
                    "2025-12-31 09:00 ahead 1",
                    "2026-01-02 09:00 due_day 0",
                    "2026-01-05 09:00 overdue -1",
                ],
            ),
            "year-end-2026-boxing-day-substitute": (
                date(2027, 1, 4),
                [
                    "2026-12-23 09:00 ahead 5",
                    "2026-12-30 09:00 ahead 2",
                    "2026-12-31 09:00 ahead 1",
                    "2027-01-04 09:00 due_day 0",
                    "2027-01-05 09:00 overdue -1",
                ],
            ),
            "coronation-2023": (
                date(2023, 5, 9),
                [
                    "2023-04-28 09:00 ahead 5",  # 1 May was a bank holiday as well
                    "2023-05-04 09:00 ahead 2",
                    "2023-05-05 09:00 ahead 1",
                    "2023-05-09 09:00 due_day 0",
                    "2023-05-10 09:00 overdue -1",
                ],
            ),
            "coronation-2023-due-on-the-day": (
                date(2023, 5, 8),
                [
                    "2023-04-28 09:00 ahead 4",
                    "2023-05-04 09:00 ahead 1",
                    "2023-05-05 09:00 due_day 0",
                    "2023-05-09 09:00 overdue -1",
                ],
            ),
            "state-funeral-2022": (
                date(2022, 9, 20),
                [
                    "2022-09-12 09:00 ahead 5",
                    "2022-09-15 09:00 ahead 2",
                    "2022-09-16 09:00 ahead 1",
                    "2022-09-20 09:00 due_day 0",
                    "2022-09-21 09:00 overdue -1",
                ],
            ),
            "due-on-a-saturday": (
                date(2026, 6, 13),
                [
                    "2026-06-08 09:00 ahead 4",
                    "2026-06-11 09:00 ahead 1",
                    "2026-06-12 09:00 due_day 0",  # Friday; offset 1 lands here too
                    "2026-06-15 09:00 overdue -1",  # Monday is one working day overdue
                ],
            ),
            "due-on-a-sunday": (
                date(2026, 6, 14),
                [
                    "2026-06-08 09:00 ahead 4",
                    "2026-06-11 09:00 ahead 1",
                    "2026-06-12 09:00 due_day 0",
                    "2026-06-15 09:00 overdue -1",
                ],
            ),
        }
    ),
)
def test_default_offsets_fall_on_working_days(due, expected):
    now = datetime.combine(due - timedelta(days=40), time(12, 0), tzinfo=LONDON)
    assert described(plan(due=due, now=now)) == expected


@pytest.mark.parametrize(
    ("offsets", "due", "expected"),
    **table(
        {
            "repeated-offsets": (
                (5, 5, 2, 1, 0, 0, 2),
                date(2026, 6, 12),
                [
                    "2026-06-05 09:00 ahead 5",
                    "2026-06-10 09:00 ahead 2",
                    "2026-06-11 09:00 ahead 1",
                    "2026-06-12 09:00 due_day 0",
                    "2026-06-15 09:00 overdue -1",
                ],
            ),
            "unsorted-offsets": (
                (0, 10, 1),
                date(2026, 6, 12),
                [
                    "2026-05-29 09:00 ahead 10",
                    "2026-06-11 09:00 ahead 1",
                    "2026-06-12 09:00 due_day 0",
                    "2026-06-15 09:00 overdue -1",
                ],
            ),
            "saturday-keeps-the-smallest-offset": (
                (1, 0),
                date(2026, 6, 13),
                ["2026-06-12 09:00 due_day 0", "2026-06-15 09:00 overdue -1"],
            ),
            "offset-1-before-a-bank-holiday-is-the-due-day": (
                (3, 1),
                date(2024, 4, 1),  # Easter Monday: Thursday 28 March is the last working day
                [
                    "2024-03-26 09:00 ahead 2",
                    "2024-03-28 09:00 due_day 0",
                    "2024-04-02 09:00 overdue -1",
                ],
            ),
            "no-offsets-only-the-overdue-reminder": (
                (),
                date(2026, 6, 12),
                ["2026-06-15 09:00 overdue -1"],
            ),
            "action-plan-offsets-from-domain-notes": (
                (50, 30, 10, 2),
                date(2023, 8, 16),  # Stockton: 70 working days after 9 May 2023
                [
                    "2023-06-07 09:00 ahead 50",
                    "2023-07-05 09:00 ahead 30",
                    "2023-08-02 09:00 ahead 10",
                    "2023-08-14 09:00 ahead 2",
                    "2023-08-17 09:00 overdue -1",
                ],
            ),
        }
    ),
)
def test_offsets_landing_on_one_day_give_one_reminder(offsets, due, expected):
    now = datetime.combine(due - timedelta(days=120), time(12, 0), tzinfo=LONDON)
    assert described(plan(due=due, offsets=offsets, now=now)) == expected


@pytest.mark.parametrize(
    ("due", "reminder_time", "expected_utc"),
    **table(
        {
            "summer-nine-is-eight-utc": (
                date(2026, 7, 15),
                NINE,
                [datetime(2026, 7, d, 8, 0, tzinfo=UTC) for d in (8, 13, 14, 15, 16)],
            ),
            "winter-nine-is-nine-utc": (
                date(2026, 2, 11),
                NINE,
                [datetime(2026, 2, d, 9, 0, tzinfo=UTC) for d in (4, 9, 10, 11, 12)],
            ),
            "march-2026-clocks-go-forward-on-the-29th": (
                date(2026, 4, 1),
                NINE,
                [
                    datetime(2026, 3, 25, 9, 0, tzinfo=UTC),  # GMT
                    datetime(2026, 3, 30, 8, 0, tzinfo=UTC),  # BST from here on
                    datetime(2026, 3, 31, 8, 0, tzinfo=UTC),
                    datetime(2026, 4, 1, 8, 0, tzinfo=UTC),
                    datetime(2026, 4, 2, 8, 0, tzinfo=UTC),
                ],
            ),
            "october-2026-clocks-go-back-on-the-25th": (
                date(2026, 10, 28),
                NINE,
                [
                    datetime(2026, 10, 21, 8, 0, tzinfo=UTC),  # BST
                    datetime(2026, 10, 26, 9, 0, tzinfo=UTC),  # GMT from here on
                    datetime(2026, 10, 27, 9, 0, tzinfo=UTC),
                    datetime(2026, 10, 28, 9, 0, tzinfo=UTC),
                    datetime(2026, 10, 29, 9, 0, tzinfo=UTC),
                ],
            ),
            "the-friday-before-and-monday-after-the-march-change": (
                date(2026, 3, 30),
                time(8, 30),
                [
                    datetime(2026, 3, 23, 8, 30, tzinfo=UTC),
                    datetime(2026, 3, 26, 8, 30, tzinfo=UTC),
                    datetime(2026, 3, 27, 8, 30, tzinfo=UTC),  # Friday, GMT
                    datetime(2026, 3, 30, 7, 30, tzinfo=UTC),  # Monday, BST
                    datetime(2026, 3, 31, 7, 30, tzinfo=UTC),
                ],
            ),
            "the-friday-before-and-monday-after-the-october-change": (
                date(2026, 10, 26),
                time(17, 0),
                [
                    datetime(2026, 10, 19, 16, 0, tzinfo=UTC),
                    datetime(2026, 10, 22, 16, 0, tzinfo=UTC),
                    datetime(2026, 10, 23, 16, 0, tzinfo=UTC),  # Friday, BST
                    datetime(2026, 10, 26, 17, 0, tzinfo=UTC),  # Monday, GMT
                    datetime(2026, 10, 27, 17, 0, tzinfo=UTC),
                ],
            ),
        }
    ),
)
def test_reminder_time_is_london_time_in_bst_and_gmt(due, reminder_time, expected_utc):
    now = datetime.combine(due - timedelta(days=30), time(12, 0), tzinfo=LONDON)
    reminders = plan(due=due, reminder_time=reminder_time, now=now)
    assert [reminder.due_at for reminder in reminders] == expected_utc
    assert all(reminder.due_at.tzinfo is UTC for reminder in reminders)


WINDOWS = {
    "state-funeral-2022": (date(2022, 9, 5), date(2022, 10, 7)),
    "christmas-2022-sunday-substitutes": (date(2022, 12, 12), date(2023, 1, 13)),
    "coronation-2023": (date(2023, 4, 17), date(2023, 5, 26)),
    "easter-2024": (date(2024, 3, 18), date(2024, 4, 19)),
    "christmas-new-year-2025-26": (date(2025, 12, 8), date(2026, 1, 16)),
    "year-end-2026": (date(2026, 12, 7), date(2027, 1, 15)),
}


@pytest.mark.parametrize(("first", "last"), list(WINDOWS.values()), ids=list(WINDOWS))
@pytest.mark.parametrize("offsets", [DEFAULT_OFFSETS, (10, 3, 1), (0,)], ids=str)
def test_never_on_a_weekend_or_bank_holiday_for_any_due_date_in_the_window(first, last, offsets):
    due = first
    while due <= last:
        for now in (at(first.year - 1, 6, 1, 12), datetime.combine(due, time(12), tzinfo=LONDON)):
            for reminder in plan(due=due, offsets=offsets, now=now):
                day = london_date(reminder.due_at)
                assert day.weekday() < 5, (due, reminder)
                assert day not in KNOWN_BANK_HOLIDAYS, (due, reminder)
        due += timedelta(days=1)


# --- created late -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "now", "expected"),
    **table(
        {
            "tuesday-14:00-due-thursday": (
                date(2026, 6, 11),
                at(2026, 6, 9, 14, 0, 27),
                [
                    "2026-06-09 14:00 catch_up 2",  # offsets 5 and 2 missed: one catch-up, now
                    "2026-06-10 09:00 ahead 1",
                    "2026-06-11 09:00 due_day 0",
                    "2026-06-12 09:00 overdue -1",
                ],
            ),
            "tuesday-07:00-due-thursday-offset-2-still-to-come": (
                date(2026, 6, 11),
                at(2026, 6, 9, 7, 0),
                [
                    "2026-06-09 09:00 ahead 2",  # a catch-up would repeat it: none
                    "2026-06-10 09:00 ahead 1",
                    "2026-06-11 09:00 due_day 0",
                    "2026-06-12 09:00 overdue -1",
                ],
            ),
            "tuesday-07:00-due-friday-catch-up-at-reminder-time": (
                date(2026, 6, 12),
                at(2026, 6, 9, 7, 0),
                [
                    "2026-06-09 09:00 catch_up 3",
                    "2026-06-10 09:00 ahead 2",
                    "2026-06-11 09:00 ahead 1",
                    "2026-06-12 09:00 due_day 0",
                    "2026-06-15 09:00 overdue -1",
                ],
            ),
            "monday-evening-still-posts-now": (
                date(2026, 6, 12),
                at(2026, 6, 8, 20, 15, 59),
                [
                    "2026-06-08 20:15 catch_up 4",
                    "2026-06-10 09:00 ahead 2",
                    "2026-06-11 09:00 ahead 1",
                    "2026-06-12 09:00 due_day 0",
                    "2026-06-15 09:00 overdue -1",
                ],
            ),
            "saturday-catch-up-on-monday": (
                date(2026, 6, 11),
                at(2026, 6, 6, 12, 0),
                [
                    "2026-06-08 09:00 catch_up 3",
                    "2026-06-09 09:00 ahead 2",
                    "2026-06-10 09:00 ahead 1",
                    "2026-06-11 09:00 due_day 0",
                    "2026-06-12 09:00 overdue -1",
                ],
            ),
            "saturday-due-monday-the-due-day-reminder-suffices": (
                date(2026, 6, 8),
                at(2026, 6, 6, 12, 0),
                ["2026-06-08 09:00 due_day 0", "2026-06-09 09:00 overdue -1"],
            ),
            "on-a-bank-holiday-catch-up-would-repeat-tuesday": (
                date(2026, 5, 28),
                at(2026, 5, 25, 10, 0),  # spring bank holiday
                [
                    "2026-05-26 09:00 ahead 2",
                    "2026-05-27 09:00 ahead 1",
                    "2026-05-28 09:00 due_day 0",
                    "2026-05-29 09:00 overdue -1",
                ],
            ),
            "on-the-due-day-after-reminder-time": (
                date(2026, 6, 11),
                at(2026, 6, 11, 15, 30),
                ["2026-06-11 15:30 due_day 0", "2026-06-12 09:00 overdue -1"],
            ),
            "on-a-saturday-due-that-saturday": (
                date(2026, 6, 13),
                at(2026, 6, 13, 10, 0),
                ["2026-06-15 09:00 overdue -1"],
            ),
            "after-the-due-date-afternoon": (
                date(2026, 6, 11),
                at(2026, 6, 12, 14, 0),
                ["2026-06-15 09:00 overdue -2"],
            ),
            "after-the-due-date-early-morning": (
                date(2026, 6, 11),
                at(2026, 6, 12, 7, 0),
                ["2026-06-12 09:00 overdue -1"],
            ),
        }
    ),
)
def test_created_late(due, now, expected):
    assert described(plan(due=due, now=now)) == expected


def test_a_later_pass_given_created_at_plans_no_second_catch_up():
    created = at(2026, 6, 9, 14, 0, 27)
    first = plan(due=date(2026, 6, 11), now=created, created_at=created)
    assert described(first)[0] == "2026-06-09 14:00 catch_up 2"
    # The dispatcher posts the catch-up and Wednesday's reminder, then plans again.
    later = plan(due=date(2026, 6, 11), now=at(2026, 6, 10, 9, 0, 5), created_at=created)
    assert described(later) == ["2026-06-11 09:00 due_day 0", "2026-06-12 09:00 overdue -1"]
    # Without created_at the planner cannot tell a passed reminder from a missed one.
    forgetful = plan(due=date(2026, 6, 11), now=at(2026, 6, 10, 9, 0, 5))
    assert described(forgetful)[0] == "2026-06-10 09:00 catch_up 1"


@pytest.mark.parametrize(
    ("due", "now", "created_at", "expected"),
    **table(
        {
            "created-exactly-at-reminder-time-has-missed-it": (
                date(2026, 6, 11),
                at(2026, 6, 9, 9, 0, 0),
                None,
                [
                    "2026-06-09 09:00 catch_up 2",
                    "2026-06-10 09:00 ahead 1",
                    "2026-06-11 09:00 due_day 0",
                    "2026-06-12 09:00 overdue -1",
                ],
            ),
            "replanned-exactly-at-reminder-time-leaves-it-to-the-dispatcher": (
                DUE_FRIDAY,
                at(2026, 6, 10, 9, 0, 0),
                CREATED,
                [
                    "2026-06-11 09:00 ahead 1",
                    "2026-06-12 09:00 due_day 0",
                    "2026-06-15 09:00 overdue -1",
                ],
            ),
            "replanned-a-second-before-keeps-it": (
                DUE_FRIDAY,
                at(2026, 6, 10, 8, 59, 59),
                CREATED,
                [
                    "2026-06-10 09:00 ahead 2",
                    "2026-06-11 09:00 ahead 1",
                    "2026-06-12 09:00 due_day 0",
                    "2026-06-15 09:00 overdue -1",
                ],
            ),
            "overdue-exactly-at-reminder-time-plans-the-next-day": (
                date(2026, 6, 11),
                at(2026, 6, 12, 9, 0, 0),
                CREATED,
                ["2026-06-15 09:00 overdue -2"],
            ),
        }
    ),
)
def test_an_instant_equal_to_now_is_past(due, now, created_at, expected):
    assert described(plan(due=due, now=now, created_at=created_at)) == expected


# --- overdue and escalation ----------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "now", "escalate_after", "expected"),
    **table(
        {
            "after-the-due-day-reminder": (
                date(2026, 6, 11),
                at(2026, 6, 11, 9, 0, 5),
                3,
                ["2026-06-12 09:00 overdue -1"],
            ),
            "after-the-first-overdue-post-monday-next": (
                date(2026, 6, 11),
                at(2026, 6, 12, 9, 0, 5),
                3,
                ["2026-06-15 09:00 overdue -2"],
            ),
            "third-working-day-overdue-escalates": (
                date(2026, 6, 11),
                at(2026, 6, 15, 10, 0),
                3,
                ["2026-06-16 09:00 escalation -3"],
            ),
            "and-keeps-escalating": (
                date(2026, 6, 11),
                at(2026, 6, 16, 10, 0),
                3,
                ["2026-06-17 09:00 escalation -4"],
            ),
            "threshold-5-not-yet": (
                date(2026, 6, 11),
                at(2026, 6, 15, 10, 0),
                5,
                ["2026-06-16 09:00 overdue -3"],
            ),
            "threshold-1-escalates-at-once": (
                date(2026, 6, 11),
                at(2026, 6, 11, 10, 0),
                1,
                ["2026-06-12 09:00 escalation -1"],
            ),
            "threshold-0-escalates-at-once": (
                date(2026, 6, 11),
                at(2026, 6, 11, 10, 0),
                0,
                ["2026-06-12 09:00 escalation -1"],
            ),
            "never-escalates": (
                date(2026, 6, 11),
                at(2026, 6, 22, 10, 0),
                None,
                ["2026-06-23 09:00 overdue -8"],
            ),
            "over-a-bank-holiday-weekend": (
                date(2026, 5, 22),
                at(2026, 5, 22, 10, 0),
                3,
                ["2026-05-26 09:00 overdue -1"],
            ),
            "escalation-counts-working-days-not-calendar-days": (
                date(2024, 3, 27),
                at(2024, 4, 2, 10, 0),  # Thu 28, Tue 2 April: two working days overdue
                3,
                ["2024-04-03 09:00 escalation -3"],
            ),
            "a-weekend-now-waits-for-monday": (
                date(2026, 6, 11),
                at(2026, 6, 13, 10, 0),
                None,
                ["2026-06-15 09:00 overdue -2"],
            ),
            "months-overdue": (
                date(2026, 1, 2),
                at(2026, 6, 1, 10, 0),
                3,
                # 103 working days: January to May 2026, less Good Friday, Easter Monday
                # and the two May bank holidays, plus 1 and 2 June.
                ["2026-06-02 09:00 escalation -103"],
            ),
        }
    ),
)
def test_overdue_plans_only_the_next_working_day(due, now, escalate_after, expected):
    # Created well before: what passed was posted, not missed, so no catch-up.
    created_at = datetime.combine(due - timedelta(days=30), time(12), tzinfo=LONDON)
    reminders = plan(due=due, now=now, created_at=created_at, escalate_after=escalate_after)
    assert described(reminders) == expected


# --- snooze -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "snoozed_until", "offsets", "expected"),
    **table(
        {
            "until-thursday-which-has-its-own-reminder": (
                at(2026, 6, 8, 10, 0),
                date(2026, 6, 11),
                DEFAULT_OFFSETS,
                [
                    "2026-06-11 09:00 ahead 1",
                    "2026-06-12 09:00 due_day 0",
                    "2026-06-15 09:00 overdue -1",
                ],
            ),
            "until-a-quiet-tuesday-reminds-that-day": (
                at(2026, 6, 5, 9, 0, 5),
                date(2026, 6, 9),
                DEFAULT_OFFSETS,
                [
                    "2026-06-09 09:00 catch_up 3",
                    "2026-06-10 09:00 ahead 2",
                    "2026-06-11 09:00 ahead 1",
                    "2026-06-12 09:00 due_day 0",
                    "2026-06-15 09:00 overdue -1",
                ],
            ),
            "onto-the-weekend-before-moves-to-monday": (
                at(2026, 6, 5, 9, 0, 5),
                date(2026, 6, 6),
                DEFAULT_OFFSETS,
                [
                    "2026-06-08 09:00 catch_up 4",
                    "2026-06-10 09:00 ahead 2",
                    "2026-06-11 09:00 ahead 1",
                    "2026-06-12 09:00 due_day 0",
                    "2026-06-15 09:00 overdue -1",
                ],
            ),
            "onto-the-weekend-after-the-due-date-is-overdue-on-monday": (
                at(2026, 6, 8, 10, 0),
                date(2026, 6, 13),
                DEFAULT_OFFSETS,
                ["2026-06-15 09:00 overdue -1"],
            ),
            "until-the-due-day": (
                at(2026, 6, 8, 10, 0),
                DUE_FRIDAY,
                DEFAULT_OFFSETS,
                ["2026-06-12 09:00 due_day 0", "2026-06-15 09:00 overdue -1"],
            ),
            "until-the-due-day-without-a-due-day-offset": (
                at(2026, 6, 8, 10, 0),
                DUE_FRIDAY,
                (5, 2),
                ["2026-06-12 09:00 due_day 0", "2026-06-15 09:00 overdue -1"],
            ),
            "while-overdue-past-the-escalation-threshold": (
                at(2026, 6, 15, 10, 0),
                date(2026, 6, 18),
                DEFAULT_OFFSETS,
                ["2026-06-18 09:00 escalation -4"],
            ),
            "expired-snooze-changes-nothing": (
                at(2026, 6, 8, 10, 0),
                date(2026, 6, 2),
                DEFAULT_OFFSETS,
                [
                    "2026-06-10 09:00 ahead 2",
                    "2026-06-11 09:00 ahead 1",
                    "2026-06-12 09:00 due_day 0",
                    "2026-06-15 09:00 overdue -1",
                ],
            ),
            "on-the-snooze-day-after-the-snoozed-reminder-was-posted": (
                at(2026, 6, 9, 9, 0, 5),
                date(2026, 6, 9),
                DEFAULT_OFFSETS,
                [
                    "2026-06-10 09:00 ahead 2",
                    "2026-06-11 09:00 ahead 1",
                    "2026-06-12 09:00 due_day 0",
                    "2026-06-15 09:00 overdue -1",
                ],
            ),
        }
    ),
)
def test_snooze(now, snoozed_until, offsets, expected):
    reminders = plan(
        due=DUE_FRIDAY, offsets=offsets, now=now, created_at=CREATED, snoozed_until=snoozed_until
    )
    assert described(reminders) == expected


def test_snooze_onto_a_bank_holiday_moves_to_the_next_working_day():
    reminders = plan(
        due=date(2026, 5, 29),
        now=at(2026, 5, 21, 9, 0, 5),  # just after the offset-5 reminder
        created_at=at(2026, 5, 18, 10, 0),
        snoozed_until=date(2026, 5, 25),  # spring bank holiday
    )
    assert described(reminders) == [
        "2026-05-26 09:00 catch_up 3",
        "2026-05-27 09:00 ahead 2",
        "2026-05-28 09:00 ahead 1",
        "2026-05-29 09:00 due_day 0",
        "2026-06-01 09:00 overdue -1",
    ]


def test_a_pass_during_the_snooze_plans_the_same_snooze_reminder():
    """The snoozed day's reminder must survive a replan, or the snooze would lose it."""
    kwargs: dict[str, Any] = {
        "due": DUE_FRIDAY,
        "offsets": (5,),
        "created_at": CREATED,
        "snoozed_until": date(2026, 6, 10),
    }
    when_snoozed = plan(now=at(2026, 6, 5, 9, 0, 5), **kwargs)
    during = plan(now=at(2026, 6, 9, 16, 0), **kwargs)
    assert described(when_snoozed) == ["2026-06-10 09:00 catch_up 2", "2026-06-15 09:00 overdue -1"]
    assert during == when_snoozed


# --- status, validation, idempotence ------------------------------------------------


@pytest.mark.parametrize(
    ("status", "now", "count"),
    **table(
        {
            "open": ("open", at(2026, 6, 1, 12), 5),
            "acknowledged-is-planned-alike": ("acknowledged", at(2026, 6, 1, 12), 5),
            "done": ("done", at(2026, 6, 1, 12), 0),
            "waived": ("waived", at(2026, 6, 1, 12), 0),
            "done-while-overdue": ("done", at(2026, 6, 17, 12), 0),
            "waived-while-overdue": ("waived", at(2026, 6, 17, 12), 0),
        }
    ),
)
def test_done_and_waived_milestones_get_nothing(status, now, count):
    assert len(plan(due=DUE_FRIDAY, status=status, now=now)) == count


@pytest.mark.parametrize(
    "overrides",
    **table(
        {
            "naive-now": {"now": datetime(2026, 6, 1, 12)},
            "naive-created-at": {"created_at": datetime(2026, 6, 1, 12)},
            "aware-reminder-time": {"reminder_time": time(9, tzinfo=UTC)},
            "negative-offset": {"offsets": (2, -1)},
            "negative-threshold": {"escalate_after": -1},
            "unknown-status": {"status": "closed"},
        }
    ),
)
def test_refuses_what_it_cannot_plan(overrides):
    arguments: dict[str, Any] = {"due": DUE_FRIDAY, "now": at(2026, 6, 1, 12)}
    arguments.update(overrides)
    with pytest.raises(ValueError):
        plan(**arguments)


@pytest.mark.parametrize(
    ("due", "now", "snoozed_until"),
    **table(
        {
            "ahead": (DUE_FRIDAY, at(2026, 6, 1, 12, 0, 1), None),
            "catch-up-now": (date(2026, 6, 11), at(2026, 6, 9, 14, 0, 1), None),
            "catch-up-at-reminder-time": (DUE_FRIDAY, at(2026, 6, 9, 7, 0, 1), None),
            "overdue": (DUE_FRIDAY, at(2026, 6, 17, 12, 0, 1), None),
            "snoozed": (DUE_FRIDAY, at(2026, 6, 8, 12, 0, 1), date(2026, 6, 11)),
            "catch-up-in-gmt": (date(2026, 1, 15), at(2026, 1, 13, 14, 0, 1), None),
        }
    ),
)
def test_planning_twice_seconds_apart_gives_the_same_list(due, now, snoozed_until):
    first = plan(due=due, now=now, snoozed_until=snoozed_until)
    again = plan(due=due, now=now + timedelta(seconds=41), snoozed_until=snoozed_until)
    assert first == again
    assert first == plan(due=due, now=now.astimezone(UTC), snoozed_until=snoozed_until)


def test_kinds_are_the_ones_the_reminders_table_accepts():
    assert REMINDER_KINDS == STORED_REMINDER_KINDS


# --- properties over random dates -----------------------------------------------------

PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
dues = st.dates(min_value=date(2021, 1, 1), max_value=date(2027, 12, 31))
offset_lists = st.lists(st.integers(min_value=0, max_value=30), max_size=6)
reminder_times = st.builds(time, st.integers(6, 18), st.sampled_from([0, 15, 30, 45]))
escalations = st.none() | st.integers(min_value=0, max_value=6)
statuses = st.sampled_from(["open", "acknowledged"])


@st.composite
def situations(draw: st.DrawFn) -> dict[str, Any]:
    """A milestone, a creation instant near its due date, and a later `now`."""
    due = draw(dues)
    created_at = datetime.combine(due, time(0), tzinfo=UTC) + timedelta(
        seconds=draw(st.integers(min_value=-45 * 86400, max_value=10 * 86400))
    )
    # Mostly soon after creation, where most of the plan is still to come.
    later = draw(st.integers(0, 3 * 86400) | st.integers(0, 20 * 86400))
    now = created_at + timedelta(seconds=later)
    snoozed_until = draw(st.none() | st.just(due + timedelta(days=draw(st.integers(-15, 15)))))
    return {
        "due": due,
        "status": draw(statuses),
        "offsets": draw(offset_lists),
        "reminder_time": draw(reminder_times),
        "now": now,
        "created_at": draw(st.sampled_from([created_at, None])),
        "escalate_after": draw(escalations),
        "snoozed_until": snoozed_until,
    }


@PROPERTY_SETTINGS
@given(situations())
def test_every_reminder_is_ahead_on_a_working_day_at_reminder_time_sorted_and_unique(case):
    calendar: WorkingDayCalendar = ENGLAND_AND_WALES
    reminders = plan_reminders(**case)
    now: datetime = case["now"]
    this_minute = now.astimezone(UTC).replace(second=0, microsecond=0)
    started = now if case["created_at"] is None else case["created_at"]
    started_minute = started.astimezone(UTC).replace(second=0, microsecond=0)
    instants = [reminder.due_at for reminder in reminders]
    assert instants == sorted(instants)
    assert len(set(instants)) == len(instants)
    days = [london_date(instant) for instant in instants]
    assert len(set(days)) == len(days), "two reminders on one London day"
    assert sum(r.kind in ("overdue", "escalation") for r in reminders) == 1
    assert sum(r.kind == "catch_up" for r in reminders) <= 1
    for reminder, day in zip(reminders, days, strict=True):
        assert reminder.kind in STORED_REMINDER_KINDS
        assert reminder.due_at.tzinfo is UTC
        assert calendar.is_working_day(day)
        assert reminder.offset_days == calendar.working_days_between(day, case["due"])
        local = reminder.due_at.astimezone(LONDON).time()
        if reminder.due_at > now:
            assert local == case["reminder_time"]
        else:
            # The one exception: a catch-up posted at once, on the minute of creation.
            assert reminder.kind in ("catch_up", "due_day")
            assert reminder.due_at == started_minute >= this_minute
            assert local >= case["reminder_time"]
        if reminder.kind == "catch_up":
            assert reminder.offset_days > 0
        if case["snoozed_until"] is not None:
            snooze_day = calendar.next_working_day(case["snoozed_until"])
            snooze_instant = datetime.combine(snooze_day, case["reminder_time"], tzinfo=LONDON)
            assert reminder.due_at >= snooze_instant
        if reminder.offset_days < 0:
            threshold = case["escalate_after"]
            escalated = threshold is not None and -reminder.offset_days >= threshold
            assert reminder.kind == ("escalation" if escalated else "overdue")
        elif reminder.kind != "catch_up":
            assert reminder.kind == ("ahead" if reminder.offset_days > 0 else "due_day")


@PROPERTY_SETTINGS
@given(situations(), st.integers(min_value=0, max_value=12 * 86400))
def test_planning_again_later_never_loses_a_reminder_still_to_come(case, later_seconds):
    case["created_at"] = case["created_at"] or case["now"]
    first = plan_reminders(**case)
    later_now = case["now"] + timedelta(seconds=later_seconds)
    again = plan_reminders(**{**case, "now": later_now})
    assert all(r in again for r in first if r.due_at > later_now)
    assert all(r.due_at > later_now for r in again if r not in first)
    assert plan_reminders(**case) == first


@PROPERTY_SETTINGS
@given(dues, offset_lists, st.sampled_from(["done", "waived"]))
def test_finished_milestones_never_get_a_reminder(due, offsets, status):
    now = datetime.combine(due - timedelta(days=20), time(12), tzinfo=LONDON)
    assert plan(due=due, offsets=offsets, status=status, now=now) == []
