from datetime import UTC, date, datetime, time, timedelta

import pytest

from scheduler.calendar import (
    ENGLAND_AND_WALES,
    WorkingDayCalendar,
    end_of_day,
    london_date,
    london_time,
)

UTC = UTC


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2012, 6, 5), "Diamond Jubilee"),
        (date(2012, 6, 4), "Spring Bank Holiday"),  # moved for the jubilee
        (date(2020, 5, 8), "May Day"),  # moved to VE Day
        (date(2022, 6, 2), "Spring Bank Holiday"),  # moved for the platinum jubilee
        (date(2022, 6, 3), "Platinum Jubilee"),
        (date(2022, 9, 19), "State Funeral"),
        (date(2023, 5, 8), "Coronation"),
        (date(2021, 12, 27), "Christmas Day (observed)"),  # substitute days
        (date(2021, 12, 28), "Boxing Day (observed)"),
        (date(2024, 3, 29), "Good Friday"),
        (date(2024, 4, 1), "Easter Monday"),
        (date(2026, 12, 28), "Boxing Day (observed)"),
    ],
    ids=lambda value: str(value),
)
def test_england_and_wales_bank_holidays_are_not_working_days(day, name):
    assert ENGLAND_AND_WALES.is_bank_holiday(day)
    assert not ENGLAND_AND_WALES.is_working_day(day)
    assert name in (ENGLAND_AND_WALES.bank_holiday_name(day) or "")


@pytest.mark.parametrize(
    "day",
    [
        date(2021, 1, 4),  # 2 January substitute is Scotland's, not England's
        date(2024, 1, 2),  # 2 January: a Scottish bank holiday
        date(2023, 11, 30),  # St Andrew's Day: Scotland only
        date(2024, 3, 18),  # St Patrick's Day substitute: Northern Ireland only
        date(2024, 7, 12),  # Battle of the Boyne: Northern Ireland only
        date(2024, 8, 5),  # Scotland's summer holiday
        date(2024, 12, 24),  # Christmas Eve is a working day
        date(2024, 12, 27),  # so is the Friday between Christmas and New Year
    ],
    ids=str,
)
def test_other_nations_holidays_and_christmas_week_weekdays_are_working_days(day):
    assert ENGLAND_AND_WALES.is_working_day(day)


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        # The 2021 letter: complaint by the end of the 5th working day, publication 8 days on.
        (date(2021, 6, 22), 5, date(2021, 6, 29)),
        (date(2021, 6, 22), 8, date(2021, 7, 2)),
        # DOMAIN.md section 4: the 2018 letter's rules, with 27 August 2018 excluded.
        (date(2018, 8, 8), 20, date(2018, 9, 6)),
        (date(2018, 8, 8), 70, date(2018, 11, 15)),
        (date(2018, 8, 10), 20, date(2018, 9, 10)),
        (date(2018, 8, 24), 70, date(2018, 12, 3)),
        # Stockton-on-Tees: 70 working days after 9 May 2023 (coronation before, 29 May inside).
        (date(2023, 5, 9), 70, date(2023, 8, 16)),
        # Christmas and the year end: 25, 26 Dec 2025 and 1 Jan 2026 are out.
        (date(2025, 12, 22), 5, date(2025, 12, 31)),
        (date(2025, 12, 23), 5, date(2026, 1, 2)),
        (date(2021, 12, 23), 2, date(2021, 12, 29)),  # substitute days 27 and 28 Dec 2021
        # Easter 2024: Good Friday 29 March and Easter Monday 1 April.
        (date(2024, 3, 27), 2, date(2024, 4, 2)),
        # One-off days.
        (date(2022, 9, 16), 1, date(2022, 9, 20)),  # state funeral
        (date(2022, 6, 1), 1, date(2022, 6, 6)),  # both jubilee days
        (date(2023, 5, 5), 1, date(2023, 5, 9)),  # coronation
        # Weekends, day 0 and going back.
        (date(2021, 6, 25), 1, date(2021, 6, 28)),
        (date(2021, 6, 26), 0, date(2021, 6, 26)),
        (date(2021, 6, 26), 1, date(2021, 6, 28)),
        (date(2021, 6, 29), -5, date(2021, 6, 22)),
        (date(2024, 4, 2), -1, date(2024, 3, 28)),
    ],
    ids=lambda value: str(value),
)
def test_add_working_days(start, count, expected):
    assert ENGLAND_AND_WALES.add_working_days(start, count) == expected
    assert ENGLAND_AND_WALES.working_days_between(start, expected) == count


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2018, 8, 8), date(2018, 9, 10), 22),
        (date(2018, 8, 8), date(2018, 12, 3), 82),
        (date(2016, 11, 25), date(2017, 3, 9), 71),  # Kirklees (DOMAIN.md)
        (date(2021, 6, 29), date(2021, 6, 22), -5),
        (date(2021, 6, 22), date(2021, 6, 22), 0),
    ],
    ids=lambda value: str(value),
)
def test_working_days_between(start, end, expected):
    assert ENGLAND_AND_WALES.working_days_between(start, end) == expected


def test_a_one_off_holiday_the_package_does_not_know_yet_can_be_added():
    extra_day = date(2027, 6, 7)  # an ordinary Monday, pretend one-off bank holiday
    calendar = WorkingDayCalendar(extra_holidays=[extra_day])
    assert ENGLAND_AND_WALES.is_working_day(extra_day)
    assert not calendar.is_working_day(extra_day)
    assert calendar.add_working_days(date(2027, 6, 4), 1) == date(2027, 6, 8)


def test_next_and_previous_working_day_skip_a_long_weekend():
    assert ENGLAND_AND_WALES.next_working_day(date(2024, 3, 29)) == date(2024, 4, 2)
    assert ENGLAND_AND_WALES.previous_working_day(date(2024, 4, 1)) == date(2024, 3, 28)
    assert ENGLAND_AND_WALES.next_working_day(date(2024, 4, 2)) == date(2024, 4, 2)


@pytest.mark.parametrize(
    ("day", "utc_offset_hours"),
    [
        (date(2021, 3, 26), 0),  # the Friday before the clocks go forward: GMT
        (date(2021, 3, 29), 1),  # the Monday after: BST
        (date(2021, 10, 29), 1),  # the Friday before they go back: BST
        (date(2021, 11, 1), 0),  # the Monday after: GMT
    ],
    ids=str,
)
def test_end_of_working_day_is_london_time_either_side_of_a_clock_change(day, utc_offset_hours):
    end = end_of_day(day)
    assert (end.hour, end.minute, end.second) == (23, 59, 59)
    assert end.utcoffset() == timedelta(hours=utc_offset_hours)
    assert london_date(end) == day
    # One second later it is the next day in London, whatever UTC says.
    assert london_date(end + timedelta(seconds=1)) == day + timedelta(days=1)


def test_end_of_the_nth_working_day_from_a_letter_across_the_spring_clock_change():
    # A letter on Tuesday 23 March 2021 (GMT); the 5th working day is Tuesday 30 March (BST).
    deadline = ENGLAND_AND_WALES.end_of_nth_working_day_from(date(2021, 3, 23), 5)
    assert deadline.astimezone(UTC) == datetime(2021, 3, 30, 22, 59, 59, tzinfo=UTC)


def test_a_reminder_time_is_nine_in_london_in_summer_and_winter():
    summer = london_time(date(2021, 6, 29), time(9, 0)).astimezone(UTC)
    winter = london_time(date(2021, 12, 1), time(9, 0)).astimezone(UTC)
    assert (summer.hour, winter.hour) == (8, 9)


def test_a_wall_time_skipped_by_the_clocks_going_forward_moves_past_the_gap():
    moment = london_time(date(2021, 3, 28), time(1, 30))
    assert moment.astimezone(UTC) == datetime(2021, 3, 28, 1, 30, tzinfo=UTC)
    assert (moment.hour, moment.minute) == (2, 30)


def test_london_date_refuses_a_naive_datetime():
    with pytest.raises(ValueError):
        london_date(datetime(2021, 6, 22, 12, 0))
