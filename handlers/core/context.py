"""What every use case is handed: the database, the reminder defaults, the administrators, the
clock; and the one unit of work in which a use case changes storage and re-plans reminders.

The clock is an input like any other, so a test can say what "now" is; use cases never read
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

from handlers.core.errors import Refused
from scheduler.calendar import WorkingDayCalendar, london_date
from scheduler.planning import ReminderDefaults, replan_milestone, replan_visit
from storage.changes import ReadCache
from storage.db import read_scope, session_scope
from storage.models import Milestone, Visit


def system_clock() -> datetime:
    return datetime.now(UTC)


class Change:
    """One unit of work that changes visits: what it touched is re-planned before it commits.

    Re-planning reminders is here, once, rather than at every place that changes a visit or a
    milestone: a use case says what it touched, and the plan follows.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._visits: dict[int, Visit] = {}
        self._milestones: dict[int, tuple[Visit, Milestone]] = {}

    def touched(self, visit: Visit, milestone: Milestone | None = None) -> None:
        if milestone is None:
            self._visits[visit.id or 0] = visit
        else:
            self._milestones[milestone.id or 0] = (visit, milestone)

    def replan(self, *, defaults: ReminderDefaults, now: datetime) -> None:
        for visit in self._visits.values():
            replan_visit(session=self.session, visit=visit, defaults=defaults, now=now)
        for visit, milestone in self._milestones.values():
            if (visit.id or 0) not in self._visits:
                replan_milestone(
                    session=self.session,
                    visit=visit,
                    milestone=milestone,
                    defaults=defaults,
                    now=now,
                )


class Dated:
    """The calendar and the clock a context answers by (the core's, or a front end's that hands
    them on to the core): now, and today in London."""

    defaults: ReminderDefaults
    clock: Callable[[], datetime]

    @property
    def calendar(self) -> WorkingDayCalendar:
        return self.defaults.calendar

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """Today in London: the date a council officer is living in."""
        return london_date(self.clock())


@dataclass(frozen=True)
class CoreContext(Dated):
    engine: Engine
    defaults: ReminderDefaults = field(default_factory=ReminderDefaults)
    clock: Callable[[], datetime] = field(default=system_clock)
    # Answers that only read, kept while nothing is committed (build_app watches the database;
    # without a watch every answer is read afresh).
    answers: ReadCache[Any, Any] = field(default_factory=lambda: ReadCache(watch=None))
    # The bot's administrators (OFSTED_ADMINS): they see and manage every visit of their workspace.
    admins: frozenset[str] = frozenset()

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
    def change(self) -> Iterator[Change]:
        """A unit of work that changes visits: the reminders of what it touched are re-planned
        in the same transaction, after the use case's own writes."""
        with self.session() as session:
            change = Change(session)
            yield change
            change.replan(defaults=self.defaults, now=self.now())

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """For answers that only read (list, show, Home, exports): no wait for writers."""
        with read_scope(self.engine) as session:
            yield session
