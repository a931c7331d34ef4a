"""Mail read from the council's mailbox: each message recorded once, before anything is posted.

A message is known by its mailbox and its `Message-ID`. The row is inserted (the unique
constraint decides between two `mailbox` processes) and held for a lease while its preview is
posted; it is marked done after. A process that dies holding it leaves the lease to run out, and
the next one takes the message over and finishes it: never skipped, never claimed twice at once.

`mailbox_state` holds, per mailbox, when it was last read (for /healthz, which another process
serves), the Graph delta link, and whether an outage was reported (once, whichever process saw it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CheckConstraint, Text, UniqueConstraint, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from storage.models import one_of_sql
from storage.types import UTCDateTime

MAIL_STATUSES = ("claimed", "done", "ignored")
# "duplicate": a letter already tracked; "attached": a report kept with its tracked visit.
MAIL_OUTCOMES = ("previewed", "refused", "duplicate", "attached", "ignored")


class MailMessage(SQLModel, table=True):
    """One message of the mailbox, from its claim to its preview (or its answer) in the channel."""

    __tablename__ = "mail_messages"
    __table_args__ = (
        CheckConstraint(one_of_sql("status", MAIL_STATUSES), name="status"),
        # Exactly once: the same Message-ID, delivered twice or seen by two processes, is one row.
        UniqueConstraint("mailbox", "message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str
    message_id: str
    # Where the message was found: IMAP "uidvalidity:uid", or the Graph message id.
    uid: str | None = None
    sender: str
    subject: str = Field(default="", sa_type=Text)
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = "claimed"
    outcome: str | None = None
    claimed_by: str | None = None
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    draft_id: int | None = Field(default=None, foreign_key="letter_drafts.id")
    posted_channel_id: str | None = None
    posted_ts: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MailboxState(SQLModel, table=True):
    """What every process needs to know about one mailbox."""

    __tablename__ = "mailbox_state"

    mailbox: str = Field(primary_key=True)
    last_read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Microsoft Graph's delta link: the next read asks only for what changed since.
    cursor: str | None = Field(default=None, sa_type=Text)
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outage_reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


@dataclass(frozen=True)
class Arrival:
    """A message as the mailbox first shows it, before anything is decided about it."""

    mailbox: str
    message_id: str
    uid: str | None
    sender: str
    subject: str
    received_at: datetime | None

    def row(self, **state: Any) -> MailMessage:
        return MailMessage(
            mailbox=self.mailbox, message_id=self.message_id, uid=self.uid, sender=self.sender,
            subject=self.subject, received_at=self.received_at, **state,
        )


def claim_message(
    *, session: Session, arrival: Arrival, worker: str, now: datetime, lease: timedelta
) -> MailMessage | None:
    """The message's row, held by `worker` until now + lease; None when it is not ours to post.

    None when it is done already, or another live process holds it. A row whose
    lease ran out (its process died mid-message) is taken over, with its draft and posted
    message, if any, so the new holder finishes what was begun rather than starting again.
    """
    row = arrival.row(
        status="claimed", claimed_by=worker, claimed_until=now + lease, created_at=now
    )
    try:
        with session.begin_nested():
            session.add(row)
        return row
    except IntegrityError:
        pass
    existing = find_message(
        session=session, mailbox=arrival.mailbox, message_id=arrival.message_id
    )
    if existing is None or existing.status == "done":
        return None
    # Held by a process whose lease ran out, or by this one; or left alone as from a sender
    # not allowed then, and allowed now (MAILBOX_SENDERS changed): taken, in one UPDATE.
    takeable = (
        (col(MailMessage.status) == "claimed")
        & ((col(MailMessage.claimed_until) < now) | (col(MailMessage.claimed_by) == worker))
    ) | (col(MailMessage.status) == "ignored")
    taken = session.execute(
        update(MailMessage)
        .where(col(MailMessage.id) == existing.id, takeable)
        .values(
            status="claimed", outcome=None, done_at=None, claimed_by=worker,
            claimed_until=now + lease, uid=arrival.uid,
        )
        .execution_options(synchronize_session=False)
    )
    if not taken.rowcount:  # type: ignore[attr-defined]
        return None
    session.refresh(existing)
    return existing


def find_message(*, session: Session, mailbox: str, message_id: str) -> MailMessage | None:
    statement = select(MailMessage).where(
        col(MailMessage.mailbox) == mailbox, col(MailMessage.message_id) == message_id
    )
    return session.exec(statement).first()


def get_message(*, session: Session, row_id: int) -> MailMessage | None:
    return session.get(MailMessage, row_id)


def is_settled(*, session: Session, mailbox: str, message_id: str) -> bool:
    """Whether the message is done: previewed or answered, and may leave the folder."""
    row = find_message(session=session, mailbox=mailbox, message_id=message_id)
    return row is not None and row.status == "done"


def record_ignored(*, session: Session, arrival: Arrival, now: datetime) -> bool:
    """Note a message from a sender not allowed; False if it was noted (or claimed) before."""
    row = arrival.row(status="ignored", outcome="ignored", created_at=now, done_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def attach_draft(*, session: Session, row_id: int, draft_id: int) -> None:
    """Tie the message to the draft made from it."""
    session.execute(
        update(MailMessage)
        .where(col(MailMessage.id) == row_id)
        .values(draft_id=draft_id)
        .execution_options(synchronize_session=False)
    )


def note_posted(*, session: Session, row_id: int, channel_id: str, ts: str) -> None:
    session.execute(
        update(MailMessage)
        .where(col(MailMessage.id) == row_id)
        .values(posted_channel_id=channel_id, posted_ts=ts)
        .execution_options(synchronize_session=False)
    )


def finish_message(
    *, session: Session, row_id: int, worker: str, outcome: str, now: datetime
) -> bool:
    """Mark the message done; False when the claim was lost (this process was too slow)."""
    if outcome not in MAIL_OUTCOMES:
        raise ValueError(f"unknown mail outcome {outcome!r}; expected {MAIL_OUTCOMES}")
    result = session.execute(
        update(MailMessage)
        .where(
            col(MailMessage.id) == row_id,
            col(MailMessage.status) == "claimed",
            col(MailMessage.claimed_by) == worker,
        )
        .values(status="done", outcome=outcome, done_at=now, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def list_messages(*, session: Session, mailbox: str) -> Sequence[MailMessage]:
    statement = (
        select(MailMessage).where(col(MailMessage.mailbox) == mailbox).order_by(col(MailMessage.id))
    )
    return session.exec(statement).all()


# --- the mailbox's state ---------------------------------------------------------------------


def _state(*, session: Session, mailbox: str) -> MailboxState:
    state = session.get(MailboxState, mailbox)
    if state is not None:
        return state
    try:
        with session.begin_nested():
            session.add(MailboxState(mailbox=mailbox))
    except IntegrityError:
        pass
    found = session.get(MailboxState, mailbox)
    assert found is not None
    return found


def note_read(*, session: Session, mailbox: str, now: datetime) -> bool:
    """The mailbox answered; True when it had been failing and the outage had been reported."""
    state = _state(session=session, mailbox=mailbox)
    was_reported = state.outage_reported_at is not None
    state.last_read_at = now
    state.failing_since = None
    state.outage_reported_at = None
    session.add(state)
    session.flush()
    return was_reported


def note_failure(*, session: Session, mailbox: str, now: datetime, report_after: timedelta) -> bool:
    """The mailbox did not answer; True for the one process that should report the outage.

    The outage is reported once it has lasted `report_after`, and only once: a conditional
    UPDATE, so two processes failing together report it once between them.
    """
    state = _state(session=session, mailbox=mailbox)
    if state.failing_since is None:
        state.failing_since = now
        session.add(state)
        session.flush()
    if state.outage_reported_at is not None or now - state.failing_since < report_after:
        return False
    result = session.execute(
        update(MailboxState)
        .where(col(MailboxState.mailbox) == mailbox, col(MailboxState.outage_reported_at).is_(None))
        .values(outage_reported_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def get_cursor(*, session: Session, mailbox: str) -> str | None:
    state = session.get(MailboxState, mailbox)
    return state.cursor if state is not None else None


def set_cursor(*, session: Session, mailbox: str, cursor: str | None) -> None:
    state = _state(session=session, mailbox=mailbox)
    state.cursor = cursor
    session.add(state)
    session.flush()


def last_read(*, session: Session) -> dict[str, datetime | None]:
    """When each mailbox was last read: what /healthz shows."""
    return {state.mailbox: state.last_read_at for state in session.exec(select(MailboxState))}


def stale_claims(*, session: Session, mailbox: str, now: datetime) -> Sequence[MailMessage]:
    """Messages claimed by a process whose lease ran out before it finished them."""
    statement = select(MailMessage).where(
        col(MailMessage.mailbox) == mailbox,
        col(MailMessage.status) == "claimed",
        col(MailMessage.claimed_until) < now,
    )
    return session.exec(statement).all()
