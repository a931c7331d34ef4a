"""The dispatcher's queries: claim due reminders atomically, record what became of each.

A reminder moves pending → claimed → sent (or back to pending to retry, or failed, or
cancelled). Claiming is one short transaction: on PostgreSQL `FOR UPDATE SKIP LOCKED`, so
several dispatchers share the work without taking the same row; on SQLite the write lock
(BEGIN IMMEDIATE) makes claimers take turns. A claim that is never confirmed (the process
died between posting and recording) is taken again once its lease has run out, and the
poster then looks for the message before posting again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from storage.models import Reminder


@dataclass(frozen=True)
class Claim:
    reminder_id: int
    # True when an earlier attempt may have posted it already: its claim expired (the process
    # died), or the answer to its post was lost (a 5xx or a dropped connection after sending).
    reclaimed: bool
    previous_claim_at: datetime | None


def claim_due_reminders(
    *, session: Session, now: datetime, worker_id: str, limit: int, lease: timedelta
) -> list[Claim]:
    """Take up to `limit` reminders that are due (or whose claim expired) for this worker."""
    postgres = session.get_bind().dialect.name == "postgresql"
    due = (
        select(Reminder)
        .where(
            col(Reminder.status) == "pending",
            col(Reminder.due_at) <= now,
            or_(col(Reminder.next_attempt_at).is_(None), col(Reminder.next_attempt_at) <= now),
        )
        .order_by(col(Reminder.due_at), col(Reminder.id))
        .limit(limit)
    )
    expired = (
        select(Reminder)
        .where(col(Reminder.status) == "claimed", col(Reminder.claimed_at) < now - lease)
        .order_by(col(Reminder.due_at), col(Reminder.id))
        .limit(limit)
    )
    if postgres:
        due = due.with_for_update(skip_locked=True)
        expired = expired.with_for_update(skip_locked=True)
    claims: list[Claim] = []
    for statement in (expired, due):
        for reminder in session.exec(statement):
            if len(claims) >= limit:
                break
            tried_before = reminder.attempts > 0 and reminder.claimed_at is not None
            claims.append(Claim(reminder.id or 0, tried_before, reminder.claimed_at if tried_before else None))
            reminder.status = "claimed"
            reminder.claimed_by = worker_id
            reminder.claimed_at = now
            reminder.attempts += 1
            session.add(reminder)
    session.flush()
    return claims


def _settle(
    *, session: Session, reminder_id: int, worker_id: str, **values: object
) -> bool:
    """Change a reminder this worker holds; False if the claim was lost (lease expired)."""
    result = session.execute(
        update(Reminder)
        .where(
            col(Reminder.id) == reminder_id,
            col(Reminder.status) == "claimed",
            col(Reminder.claimed_by) == worker_id,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_reminder_sent(
    *, session: Session, reminder_id: int, worker_id: str, channel_id: str, message_ts: str,
    now: datetime,
) -> bool:
    return _settle(
        session=session, reminder_id=reminder_id, worker_id=worker_id, status="sent",
        channel_id=channel_id, message_ts=message_ts, sent_at=now, last_error=None,
        next_attempt_at=None,
    )


def release_for_retry(
    *, session: Session, reminder_id: int, worker_id: str, error: str, retry_at: datetime
) -> bool:
    # claimed_at stays: the next attempt looks in the channel from then on before posting.
    return _settle(
        session=session, reminder_id=reminder_id, worker_id=worker_id, status="pending",
        last_error=error[:2000], next_attempt_at=retry_at, claimed_by=None,
    )


def mark_reminder_failed(*, session: Session, reminder_id: int, worker_id: str, error: str) -> bool:
    return _settle(
        session=session, reminder_id=reminder_id, worker_id=worker_id, status="failed",
        last_error=error[:2000],
    )


def cancel_claimed_reminder(*, session: Session, reminder_id: int, worker_id: str, why: str) -> bool:
    """A reminder whose milestone was done, waived or closed after it was claimed."""
    return _settle(
        session=session, reminder_id=reminder_id, worker_id=worker_id, status="cancelled",
        last_error=why,
    )


def next_reminder_due_at(*, session: Session) -> datetime | None:
    """When the dispatcher should next wake: the soonest pending reminder (or retry)."""
    first_due = session.exec(
        select(Reminder.due_at)
        .where(col(Reminder.status) == "pending", col(Reminder.next_attempt_at).is_(None))
        .order_by(col(Reminder.due_at))
        .limit(1)
    ).first()
    first_retry = session.exec(
        select(Reminder.next_attempt_at)
        .where(col(Reminder.status) == "pending", col(Reminder.next_attempt_at).is_not(None))
        .order_by(col(Reminder.next_attempt_at))
        .limit(1)
    ).first()
    candidates = [moment for moment in (first_due, first_retry) if moment is not None]
    return min(candidates) if candidates else None
