"""The working-day calendar: Monday to Friday less England and Wales bank holidays.

The statutory definition (SI 2007/462 reg 1(2)) excludes weekends, Christmas Day, Good Friday
and every bank holiday in England and Wales, one-off days included. The `holidays` package
carries those (Christmas Day and Good Friday are in its list too), so no list is kept by hand;
`extra_holidays` exists only for a one-off day announced before the package knows of it.

Counting convention, checked against real letters (DOMAIN.md section 1): the date of the
letter is day 0, and "N working days from the date of this letter" is the Nth working day
after it, due by the end of that day, London time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
# The last instant that still belongs to a working day: "by the end of the fifth working day".
END_OF_DAY = time(23, 59, 59)


@lru_cache(maxsize=64)
def _bank_holidays_for_year(year: int) -> dict[date, str]:
    """England and Wales bank holidays of one year, with their names (one-off days included)."""
    return dict(holidays.country_holidays("GB", subdiv="ENG", years=year).items())


class WorkingDayCalendar:
    """Working days in England and Wales. Pure: every answer depends only on its arguments."""

    def __init__(self, *, extra_holidays: Iterable[date] = ()) -> None:
        self._extra = frozenset(extra_holidays)

    def is_bank_holiday(self, day: date) -> bool:
        return day in _bank_holidays_for_year(day.year) or day in self._extra

    def bank_holiday_name(self, day: date) -> str | None:
        if day in self._extra:
            return "Additional bank holiday"
        return _bank_holidays_for_year(day.year).get(day)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and not self.is_bank_holiday(day)

    def add_working_days(self, start: date, count: int) -> date:
        """The `count`th working day after `start` (before it when negative); `start` is day 0.

        `count == 0` returns `start` itself, even when it is not a working day: a letter dated
        on a Saturday is still dated then.
        """
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        day = start
        while remaining:
            day += timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days after `start` up to and including `end` (negative if earlier).

        The inverse of `add_working_days`: `working_days_between(d, add_working_days(d, n)) == n`.
        """
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            1
            for offset in range(1, (end - start).days + 1)
            if self.is_working_day(start + timedelta(days=offset))
        )

    def next_working_day(self, day: date) -> date:
        """`day` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def previous_working_day(self, day: date) -> date:
        """`day` itself if it is a working day, else the last working day before it."""
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def end_of_nth_working_day_from(self, start: date, count: int) -> datetime:
        """"By the end of the Nth working day from the date of this letter", as a London time."""
        return end_of_day(self.add_working_days(start, count))


def london_time(day: date, at: time) -> datetime:
    """A wall-clock time in London on `day`, as an aware datetime (GMT or BST as that day has it).

    Times that do not exist (01:30 on the spring-forward Sunday) are moved forward by the gap,
    and ambiguous ones (01:30 on the autumn Sunday) take the first, BST, reading; a reminder
    time is a working-day time, so neither happens in practice.
    """
    local = datetime.combine(day, at, tzinfo=LONDON)
    # zoneinfo does not normalise non-existent times; a round trip through UTC does.
    return local.astimezone(ZoneInfo("UTC")).astimezone(LONDON)


def end_of_day(day: date) -> datetime:
    """The last second of `day` in London, aware: 23:59:59 BST or GMT as the date has it."""
    return london_time(day, END_OF_DAY)


def london_date(moment: datetime) -> date:
    """The calendar date in London at an aware instant (the date a council officer sees)."""
    if moment.tzinfo is None:
        raise ValueError("london_date needs an aware datetime")
    return moment.astimezone(LONDON).date()


ENGLAND_AND_WALES = WorkingDayCalendar()
