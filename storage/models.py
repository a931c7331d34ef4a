"""The tables: visits, their milestones, reminders, approvals and the audit log.

Names of constraints and indexes come from one naming convention so that the
migrations name them the same on SQLite and PostgreSQL, and a later migration can
drop or alter them by a name it knows in advance.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Text, UniqueConstraint, event, false
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, ORMExecuteState
from sqlalchemy.orm import Session as _SASession
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# Must be set before the first table class is declared: names are given as each
# constraint is attached to its table.
SQLModel.metadata.naming_convention = NAMING_CONVENTION

VISIT_TYPES = (
    "focused_visit",
    "monitoring_visit",
    "standard_inspection",
    "short_inspection",
    "jtai",
    "other",
)
VISIT_STATUSES = ("open", "closed")
MILESTONE_KINDS = (
    "complaint_deadline",
    "factual_accuracy_due",
    "embargo_lift",
    "survey_deadline",
    "action_plan_draft_due",
    "action_plan_final_due",
)
"""The standard kinds; a milestone may also carry a custom kind."""
MILESTONE_STATUSES = ("open", "acknowledged", "done", "waived")
OPEN_MILESTONE_STATUSES = ("open", "acknowledged")
"""Statuses that still need someone to act."""
MILESTONE_SOURCES = ("letter", "rule", "manual")
APPROVAL_STATUSES = ("requested", "approved", "rejected")
APPROVAL_DECISIONS = ("approved", "rejected")
REMINDER_KINDS = ("ahead", "due_day", "catch_up", "overdue", "escalation", "closing")
REMINDER_STATUSES = ("pending", "claimed", "sent", "failed", "cancelled")
AUDIT_OUTCOMES = ("ok", "refused")
UNOWNED = ""
"""The workspace of a row stored before visits had one; the app adopts such rows into its own
workspace at start (repo.adopt_unowned_rows), since a migration cannot ask Slack which it is."""


def workspace_column(*, index: bool = False) -> Any:
    """`team_id`: the Slack workspace a visit's data belongs to; every query filters on it."""
    return Field(default=UNOWNED, index=index, sa_column_kwargs={"server_default": UNOWNED})


def one_of_sql(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK that keeps a status column to its known values.

    Shared with the migrations so the constraint text cannot drift.
    """
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Visit(SQLModel, table=True):
    """One Ofsted visit or inspection of one local authority, as read from its letter."""

    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint(one_of_sql("visit_type", VISIT_TYPES), name="visit_type"),
        CheckConstraint(one_of_sql("status", VISIT_STATUSES), name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = workspace_column(index=True)
    enterprise_id: str | None = None
    reference: str = Field(unique=True)
    local_authority: str | None = None
    visit_type: str
    letter_date: date | None = None
    visit_start: date | None = None
    visit_end: date | None = None
    inspectors: list[str] = Field(default_factory=list, sa_type=JSON)
    channel_id: str | None = None
    escalation_user_id: str | None = None
    reminder_time: str | None = None
    reminder_offsets: str | None = None
    status: str = Field(default="open", index=True)
    created_by: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class VisitApprover(SQLModel, table=True):
    """A user allowed to approve or reject this visit's milestones that need sign-off."""

    __tablename__ = "visit_approvers"

    visit_id: int = Field(foreign_key="visits.id", primary_key=True)
    user_id: str = Field(primary_key=True)


class Milestone(SQLModel, table=True):
    """A dated obligation arising from a visit: a window that closes or a thing due."""

    __tablename__ = "milestones"
    __table_args__ = (
        CheckConstraint(one_of_sql("status", MILESTONE_STATUSES), name="status"),
        CheckConstraint(one_of_sql("source", MILESTONE_SOURCES), name="source"),
        CheckConstraint(
            "approval_status IS NULL OR " + one_of_sql("approval_status", APPROVAL_STATUSES),
            name="approval_status",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = workspace_column()
    visit_id: int = Field(foreign_key="visits.id", index=True)
    kind: str
    label: str
    due_date: date
    owner_user_id: str | None = None
    status: str = "open"
    source: str
    evidence: str | None = Field(default=None, sa_type=Text)
    rule: str | None = Field(default=None, sa_type=Text)
    needs_approval: bool = False
    approval_status: str | None = None
    # An expected date, not a deadline: a publication date the letter says is usual, or one
    # computed by rule. Shown as "expected".
    estimate: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    note: str | None = Field(default=None, sa_type=Text)
    # "Snooze one working day": no reminder before this day's reminder time.
    snoozed_until: date | None = None
    # When the current reminder schedule began: the moment the due date was last moved (None:
    # at creation). Reminders that had passed by then are caught up, not posted one by one.
    schedule_from: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Reminder(SQLModel, table=True):
    """One planned post about a milestone; the row is the dispatcher's unit of work.

    The unique constraint is what makes planning idempotent: planning the same
    reminder twice cannot produce two posts.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("milestone_id", "kind", "due_at"),
        Index("ix_reminders_status_due_at", "status", "due_at"),
        CheckConstraint(one_of_sql("kind", REMINDER_KINDS), name="kind"),
        CheckConstraint(one_of_sql("status", REMINDER_STATUSES), name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    milestone_id: int = Field(foreign_key="milestones.id", index=True)
    due_at: datetime = Field(sa_type=UTCDateTime)
    kind: str
    offset_days: int
    status: str = "pending"
    attempts: int = 0
    claimed_by: str | None = None
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    channel_id: str | None = None
    message_ts: str | None = None
    last_error: str | None = Field(default=None, sa_type=Text)
    # After a transient failure the reminder waits until then (backing off), still pending.
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Approval(SQLModel, table=True):
    """A request for sign-off on a milestone and, once made, its decision."""

    __tablename__ = "approvals"
    __table_args__ = (
        CheckConstraint(
            "decision IS NULL OR " + one_of_sql("decision", APPROVAL_DECISIONS),
            name="decision",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    milestone_id: int = Field(foreign_key="milestones.id", index=True)
    requested_by: str
    requested_at: datetime = Field(sa_type=UTCDateTime)
    decided_by: str | None = None
    decision: str | None = None
    reason: str | None = Field(default=None, sa_type=Text)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """One thing someone did (or tried to do) to a visit; never changed once written.

    `idempotency_key` is unique so that a Slack retry or a double click, which
    carry the same key, is recorded once.
    """

    __tablename__ = "audit_events"
    __table_args__ = (CheckConstraint(one_of_sql("outcome", AUDIT_OUTCOMES), name="outcome"),)

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visits.id", index=True)
    milestone_id: int | None = Field(default=None, foreign_key="milestones.id")
    actor_user_id: str
    action: str
    outcome: str = "ok"
    note: str | None = Field(default=None, sa_type=Text)
    at: datetime = Field(sa_type=UTCDateTime)
    idempotency_key: str | None = Field(default=None, unique=True)


LETTER_DRAFT_STATUSES = ("pending", "created", "dismissed")


class LetterDraft(SQLModel, table=True):
    """A letter read but not yet confirmed: its facts wait here for "Create visit".

    The facts are the `ofsted-bot letter --json` object; a button carries only the draft id,
    because a letter's evidence sentences do not fit in a button's 2,000 characters.
    """

    __tablename__ = "letter_drafts"
    __table_args__ = (
        CheckConstraint(one_of_sql("status", LETTER_DRAFT_STATUSES), name="status"),
        # One draft per shared file's message, however often Slack delivers the event.
        UniqueConstraint("channel_id", "thread_ts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = workspace_column()
    enterprise_id: str | None = None
    facts: dict[str, Any] = Field(sa_type=JSON)
    filename: str | None = None
    created_by: str
    channel_id: str | None = None
    thread_ts: str | None = None
    preview_channel_id: str | None = None
    preview_ts: str | None = None
    status: str = "pending"
    visit_id: int | None = Field(default=None, foreign_key="visits.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    resolved_by: str | None = None
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # SHA-256 of the document as shared (migration 0010): the same file again is recognised.
    content_hash: str | None = Field(default=None, index=True)


# The audit log is append-only in the database itself: triggers refuse UPDATE, DELETE (and, on
# PostgreSQL, TRUNCATE) on audit_events, whatever sends them (migration 0005). These ORM hooks
# are kept as well, on purpose: they stop our own code before a statement is sent, with an
# error that names the mistake, on any database, including one built from these models without
# the migrations. The triggers are what a plain SQL UPDATE meets. (A migration that rebuilds
# audit_events on SQLite, batch mode's copy-and-rename, drops its triggers with the old table
# and must create them again.)


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or remove an audit event."""


def _refuse_audit_change(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    raise AppendOnlyError(
        f"audit event {target.id} is append-only: it cannot be updated or deleted"
    )


def _refuse_bulk_audit_change(state: ORMExecuteState) -> None:
    """Cover `session.execute(update(AuditEvent))`, which skips the mapper events."""
    if not (state.is_update or state.is_delete):
        return
    if any(mapper.class_ is AuditEvent for mapper in state.all_mappers):
        raise AppendOnlyError("audit events are append-only: bulk update or delete refused")


event.listen(AuditEvent, "before_update", _refuse_audit_change)
event.listen(AuditEvent, "before_delete", _refuse_audit_change)
event.listen(_SASession, "do_orm_execute", _refuse_bulk_audit_change)
