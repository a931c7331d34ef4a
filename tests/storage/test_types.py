"""UTCDateTime: UTC in, aware UTC out, on both databases; naive datetimes refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import StatementError
from sqlmodel import Session, col, select

from storage.models import Reminder, Visit
from storage.repo import NewReminder, add_reminders, list_milestones
from storage.types import UTCDateTime

LONDON = ZoneInfo("Europe/London")

_metadata = MetaData()
_moments = Table(
    "utc_moments",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime(), nullable=True),
)


@pytest.fixture
def moments(engine: Engine) -> Iterator[Engine]:
    """A scratch table with one UTCDateTime column, outside the application schema."""
    _metadata.create_all(engine)
    yield engine
    _metadata.drop_all(engine)


def _store_and_read(engine: Engine, value: datetime | None) -> datetime | None:
    with engine.begin() as connection:
        key = connection.execute(insert(_moments).values(at=value)).inserted_primary_key
        assert key is not None
        row_id = key[0]
    with engine.connect() as connection:
        read: datetime | None = connection.execute(
            select(_moments.c.at).where(_moments.c.id == row_id)
        ).scalar_one()
    return read


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (datetime(2021, 6, 22, 8, 0, tzinfo=UTC), datetime(2021, 6, 22, 8, 0, tzinfo=UTC)),
        (
            datetime(2021, 6, 22, 9, 0, tzinfo=LONDON),
            datetime(2021, 6, 22, 8, 0, tzinfo=UTC),
        ),
        (
            datetime(2021, 12, 22, 9, 0, tzinfo=LONDON),
            datetime(2021, 12, 22, 9, 0, tzinfo=UTC),
        ),
        (
            datetime(2021, 6, 22, 23, 30, 15, 123456, tzinfo=timezone(timedelta(hours=-5))),
            datetime(2021, 6, 23, 4, 30, 15, 123456, tzinfo=UTC),
        ),
    ],
    ids=["utc", "london-bst", "london-gmt", "minus-five-microseconds"],
)
def test_datetimes_come_back_aware_in_utc(
    moments: Engine, stored: datetime, expected: datetime
) -> None:
    read = _store_and_read(moments, stored)

    assert read == expected
    assert read is not None
    assert read.utcoffset() == timedelta(0)
    assert (read.hour, read.minute) == (expected.hour, expected.minute)


def test_none_stays_none(moments: Engine) -> None:
    assert _store_and_read(moments, None) is None


def test_naive_datetime_is_refused_before_it_reaches_the_database(moments: Engine) -> None:
    with pytest.raises(StatementError) as caught:
        _store_and_read(moments, datetime(2021, 6, 22, 9, 0))

    assert isinstance(caught.value.orig, ValueError)
    assert "naive" in str(caught.value.orig)
    with moments.connect() as connection:
        assert connection.execute(select(_moments.c.id)).first() is None


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "pg"])
def test_bind_refuses_naive_datetime(dialect: object) -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2021, 6, 22, 9, 0), dialect)  # type: ignore[arg-type]


def test_column_is_timestamp_with_time_zone_on_postgresql() -> None:
    compiled = UTCDateTime().compile(dialect=postgresql.dialect())

    assert compiled == "TIMESTAMP WITH TIME ZONE"


def test_comparisons_in_queries_use_utc(make_visit: Callable[..., Visit], session: Session) -> None:
    """09:00 in London during BST is 08:00 UTC: a reminder due then is due at 09:00 BST."""
    visit = make_visit()
    assert visit.id is not None
    milestone = list_milestones(session=session, visit_id=visit.id)[0]
    assert milestone.id is not None
    add_reminders(
        session=session,
        milestone_id=milestone.id,
        reminders=[NewReminder(datetime(2021, 6, 22, 8, 0, tzinfo=UTC), "ahead", 5)],
    )
    session.commit()

    def due_by(moment: datetime) -> int:
        statement = select(col(Reminder.id)).where(col(Reminder.due_at) <= moment)
        return len(session.exec(statement).all())

    assert due_by(datetime(2021, 6, 22, 9, 0, tzinfo=LONDON)) == 1
    assert due_by(datetime(2021, 6, 22, 8, 59, tzinfo=LONDON)) == 0
    assert due_by(datetime(2021, 6, 22, 3, 0, tzinfo=timezone(timedelta(hours=-5)))) == 1
    session.rollback()
