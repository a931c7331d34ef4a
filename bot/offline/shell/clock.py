"""The bot's clock in the shell, which `later` moves on."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

from scheduler.calendar import LONDON


class ShellClock:
    """The bot's clock: real time, or from 09:00 London on a chosen day; `later` moves it on
    so a newcomer can see reminders fall due without waiting for them."""

    def __init__(self, day: date | None = None) -> None:
        real_now = datetime.now(UTC)
        self.start = (
            real_now if day is None else datetime.combine(day, clock_time(9, 0), tzinfo=LONDON)
        )
        self._started = time.monotonic()

    def __call__(self) -> datetime:
        return (self.start + timedelta(seconds=time.monotonic() - self._started)).astimezone(UTC)

    def jump_to(self, moment: datetime) -> None:
        self.start, self._started = moment, time.monotonic()
