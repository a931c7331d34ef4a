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

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from storage.models import Milestone, Reminder, Visit


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
    """Take up to `limit` reminders that are due (or whose claim expired) for this worker.

    Two statements, whatever the number: the rows are read (and, on PostgreSQL, locked, skipping
    rows another dispatcher holds), then claimed by one UPDATE. No ORM objects: a burst of a
    thousand reminders is claimed in milliseconds, not in a thousand flushed UPDATEs.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    wanted = (col(Reminder.id), col(Reminder.attempts), col(Reminder.claimed_at))
    expired = (
        select(*wanted)
        .where(col(Reminder.status) == "claimed", col(Reminder.claimed_at) < now - lease)
        .order_by(col(Reminder.due_at), col(Reminder.id))
        .limit(limit)
    )
    if postgres:
        expired = expired.with_for_update(skip_locked=True)
    rows = list(session.exec(expired).all())
    if len(rows) < limit:
        due = (
            select(*wanted)
            .where(
                col(Reminder.status) == "pending",
                col(Reminder.due_at) <= now,
                or_(col(Reminder.next_attempt_at).is_(None), col(Reminder.next_attempt_at) <= now),
            )
            .order_by(col(Reminder.due_at), col(Reminder.id))
            .limit(limit - len(rows))
        )
        if postgres:
            due = due.with_for_update(skip_locked=True)
        rows.extend(session.exec(due).all())
    if not rows:
        return []
    session.execute(
        update(Reminder)
        .where(col(Reminder.id).in_([reminder_id for reminder_id, _, _ in rows]))
        .values(
            status="claimed",
            claimed_by=worker_id,
            claimed_at=now,
            attempts=col(Reminder.attempts) + 1,
        )
        .execution_options(synchronize_session=False)
    )
    claims: list[Claim] = []
    for reminder_id, attempts, claimed_at in rows:
        tried_before = attempts > 0 and claimed_at is not None
        claims.append(Claim(reminder_id or 0, tried_before, claimed_at if tried_before else None))
    return claims


def load_claimed(
    *, session: Session, reminder_ids: list[int]
) -> list[tuple[Reminder, Milestone, Visit]]:
    """The claimed reminders with their milestones and visits, in one query (a pass may hold a
    thousand: one query each would hold back the first post by as many round trips)."""
    if not reminder_ids:
        return []
    statement = (
        select(Reminder, Milestone, Visit)
        .join(Milestone, col(Milestone.id) == col(Reminder.milestone_id))
        .join(Visit, col(Visit.id) == col(Milestone.visit_id))
        .where(col(Reminder.id).in_(reminder_ids))
    )
    return [(reminder, milestone, visit) for reminder, milestone, visit in session.exec(statement)]


def renew_claims(
    *, session: Session, reminder_ids: list[int], worker_id: str, now: datetime
) -> int:
    """Extend this worker's claims on reminders it has not posted yet (still waiting their turn
    in a channel), so that their lease does not run out and another dispatcher take them."""
    if not reminder_ids:
        return 0
    result = session.execute(
        update(Reminder)
        .where(
            col(Reminder.id).in_(reminder_ids),
            col(Reminder.status) == "claimed",
            col(Reminder.claimed_by) == worker_id,
        )
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _settle(*, session: Session, reminder_id: int, worker_id: str, **values: object) -> bool:
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
    *,
    session: Session,
    reminder_id: int,
    worker_id: str,
    channel_id: str,
    message_ts: str,
    now: datetime,
) -> bool:
    return _settle(
        session=session,
        reminder_id=reminder_id,
        worker_id=worker_id,
        status="sent",
        channel_id=channel_id,
        message_ts=message_ts,
        sent_at=now,
        last_error=None,
        next_attempt_at=None,
    )


def release_for_retry(
    *, session: Session, reminder_id: int, worker_id: str, error: str, retry_at: datetime
) -> bool:
    # claimed_at stays: the next attempt looks in the channel from then on before posting.
    return _settle(
        session=session,
        reminder_id=reminder_id,
        worker_id=worker_id,
        status="pending",
        last_error=error[:2000],
        next_attempt_at=retry_at,
        claimed_by=None,
    )


def mark_reminder_failed(*, session: Session, reminder_id: int, worker_id: str, error: str) -> bool:
    return _settle(
        session=session,
        reminder_id=reminder_id,
        worker_id=worker_id,
        status="failed",
        last_error=error[:2000],
    )


def cancel_claimed_reminder(
    *, session: Session, reminder_id: int, worker_id: str, why: str
) -> bool:
    """A reminder whose milestone was done, waived or closed after it was claimed."""
    return _settle(
        session=session,
        reminder_id=reminder_id,
        worker_id=worker_id,
        status="cancelled",
        last_error=why,
    )


def next_reminder_due_at(*, session: Session) -> datetime | None:
    """When the dispatcher should next wake: the soonest pending reminder (or retry).

    Both steps walk the (status, due_at) index, whatever the number of rows. A retry waits
    until after its due time (it was claimed once it was due, then put off), so a retry that
    comes sooner than the first reminder due afresh must itself have fallen due before that one:
    only the few pending rows due earlier are looked at for it.
    """
    first_due = session.exec(
        select(Reminder.due_at)
        .where(col(Reminder.status) == "pending", col(Reminder.next_attempt_at).is_(None))
        .order_by(col(Reminder.due_at))
        .limit(1)
    ).first()
    retries = select(func.min(Reminder.next_attempt_at)).where(
        col(Reminder.status) == "pending", col(Reminder.next_attempt_at).is_not(None)
    )
    if first_due is not None:
        retries = retries.where(col(Reminder.due_at) < first_due)
    first_retry = session.exec(retries).one()
    candidates = [moment for moment in (first_due, first_retry) if moment is not None]
    return min(candidates) if candidates else None
