"""What every listener is handed: the database, the settings, the calendar and the clock.

The clock is an input like any other, so a test can say what "now" is; listeners never read
the system time themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from handlers.slack.errors import Refused
from handlers.slack.members import Asker, ChannelMembers, actor_from
from scheduler.calendar import WorkingDayCalendar, london_date
from scheduler.planning import ReminderDefaults
from storage.changes import ReadCache
from storage.db import read_scope, session_scope


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class HandlerContext:
    engine: Engine
    bot_token: str | None
    # Where shared files may be downloaded with the bot token (Settings.file_origins); none by
    # default, so a context made without settings sends the token nowhere.
    file_origins: tuple[str, ...] = ()
    defaults: ReminderDefaults = field(default_factory=ReminderDefaults)
    clock: Callable[[], datetime] = field(default=system_clock)
    # Answers that only read, kept while nothing is committed (build_app watches the database;
    # without a watch every answer is read afresh).
    answers: ReadCache[Any, Any] = field(default_factory=lambda: ReadCache(watch=None))
    # The bot's administrators (OFSTED_ADMINS): they see and manage every visit of their workspace.
    admins: frozenset[str] = frozenset()
    members: ChannelMembers = field(default_factory=ChannelMembers)

    def asker(self, body: dict[str, Any], client: Any) -> Asker:
        """Who sent this request, and the means to check which channels they are in."""
        return Asker(actor=actor_from(body, admins=self.admins), client=client, members=self.members)

    @property
    def calendar(self) -> WorkingDayCalendar:
        return self.defaults.calendar

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """Today in London: the date a council officer is living in."""
        return london_date(self.clock())

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work. A `Refused` raised in it still commits what was written (the refusal's
        own audit event), then goes on to be answered: refuse before changing anything."""
        refused: Refused | None = None
        with session_scope(self.engine) as session:
            try:
                yield session
            except Refused as error:
                refused = error
        if refused is not None:
            raise refused

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """For answers that only read (list, show, Home, exports): no wait for writers."""
        with read_scope(self.engine) as session:
            yield session
