"""The audit log is append-only: the ORM refuses to change or remove a recorded event."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.models import AppendOnlyError, AuditEvent, Visit
from storage.repo import list_audit_events


@pytest.fixture
def recorded(make_visit: Callable[..., Visit], session: Session) -> AuditEvent:
    visit = make_visit()
    assert visit.id is not None
    [event] = list_audit_events(session=session, visit_id=visit.id)
    session.commit()
    return event


def _stored_notes(engine: Engine) -> list[str | None]:
    with Session(engine) as fresh:
        return list(fresh.exec(select(AuditEvent.note)))


def test_updating_an_audit_event_is_refused(
    recorded: AuditEvent, session: Session, engine: Engine
) -> None:
    before = _stored_notes(engine)
    recorded.note = "rewritten history"
    session.add(recorded)

    with pytest.raises(AppendOnlyError):
        session.flush()
    session.rollback()

    assert _stored_notes(engine) == before


def test_deleting_an_audit_event_is_refused(
    recorded: AuditEvent, session: Session, engine: Engine
) -> None:
    session.delete(recorded)

    with pytest.raises(AppendOnlyError):
        session.flush()
    session.rollback()

    assert len(_stored_notes(engine)) == 1


@pytest.mark.parametrize(
    "statement",
    [
        update(AuditEvent).values(note="rewritten history"),
        delete(AuditEvent).where(col(AuditEvent.action) == "visit_created"),
    ],
    ids=["bulk-update", "bulk-delete"],
)
def test_bulk_statements_on_audit_events_are_refused(
    recorded: AuditEvent, session: Session, engine: Engine, statement: object
) -> None:
    before = _stored_notes(engine)

    with pytest.raises(AppendOnlyError):
        session.exec(statement)  # type: ignore[call-overload]
    session.rollback()

    assert _stored_notes(engine) == before


def test_other_tables_can_still_be_updated(
    recorded: AuditEvent, session: Session, engine: Engine
) -> None:
    session.exec(update(Visit).values(channel_id="C123"))
    session.commit()

    with Session(engine) as fresh:
        assert fresh.exec(select(Visit.channel_id)).all() == ["C123"]
