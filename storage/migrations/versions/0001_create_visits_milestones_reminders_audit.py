"""Create visits, approvers, milestones, reminders, approvals and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

Every constraint and index is named explicitly (matching
storage.models.NAMING_CONVENTION) so both databases carry the same names.
Timestamps are TIMESTAMP WITH TIME ZONE on PostgreSQL; SQLite stores UTC text
(storage.types.UTCDateTime does the conversion).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VISIT_TYPES = (
    "focused_visit",
    "monitoring_visit",
    "standard_inspection",
    "short_inspection",
    "jtai",
    "other",
)


def _one_of(column: str, values: Sequence[str]) -> str:
    # A copy, not an import: a revision must keep meaning what it meant when written.
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(), nullable=False),
        sa.Column("local_authority", sa.String(), nullable=True),
        sa.Column("visit_type", sa.String(), nullable=False),
        sa.Column("letter_date", sa.Date(), nullable=True),
        sa.Column("visit_start", sa.Date(), nullable=True),
        sa.Column("visit_end", sa.Date(), nullable=True),
        sa.Column("inspectors", sa.JSON(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=True),
        sa.Column("escalation_user_id", sa.String(), nullable=True),
        sa.Column("reminder_time", sa.String(), nullable=True),
        sa.Column("reminder_offsets", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("closed_at", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_visits"),
        sa.UniqueConstraint("reference", name="uq_visits_reference"),
        sa.CheckConstraint(_one_of("visit_type", VISIT_TYPES), name="ck_visits_visit_type"),
        sa.CheckConstraint(_one_of("status", ("open", "closed")), name="ck_visits_status"),
    )
    op.create_index("ix_visits_status", "visits", ["status"])

    op.create_table(
        "visit_approvers",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("visit_id", "user_id", name="pk_visit_approvers"),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name="fk_visit_approvers_visit_id_visits"
        ),
    )

    op.create_table(
        "milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("owner_user_id", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("rule", sa.Text(), nullable=True),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.Column("approval_status", sa.String(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_milestones"),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name="fk_milestones_visit_id_visits"),
        sa.CheckConstraint(
            _one_of("status", ("open", "acknowledged", "done", "waived")),
            name="ck_milestones_status",
        ),
        sa.CheckConstraint(
            _one_of("source", ("letter", "rule", "manual")), name="ck_milestones_source"
        ),
        sa.CheckConstraint(
            "approval_status IS NULL OR "
            + _one_of("approval_status", ("requested", "approved", "rejected")),
            name="ck_milestones_approval_status",
        ),
    )
    op.create_index("ix_milestones_visit_id", "milestones", ["visit_id"])

    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("due_at", _timestamp(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("offset_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("claimed_at", _timestamp(), nullable=True),
        sa.Column("sent_at", _timestamp(), nullable=True),
        sa.Column("channel_id", sa.String(), nullable=True),
        sa.Column("message_ts", sa.String(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_reminders"),
        sa.ForeignKeyConstraint(
            ["milestone_id"], ["milestones.id"], name="fk_reminders_milestone_id_milestones"
        ),
        sa.UniqueConstraint(
            "milestone_id", "kind", "due_at", name="uq_reminders_milestone_id_kind_due_at"
        ),
        sa.CheckConstraint(
            _one_of("kind", ("ahead", "due_day", "catch_up", "overdue", "escalation")),
            name="ck_reminders_kind",
        ),
        sa.CheckConstraint(
            _one_of("status", ("pending", "claimed", "sent", "failed", "cancelled")),
            name="ck_reminders_status",
        ),
    )
    op.create_index("ix_reminders_milestone_id", "reminders", ["milestone_id"])
    op.create_index("ix_reminders_status_due_at", "reminders", ["status", "due_at"])

    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(), nullable=False),
        sa.Column("requested_at", _timestamp(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("decision", sa.String(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_at", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_approvals"),
        sa.ForeignKeyConstraint(
            ["milestone_id"], ["milestones.id"], name="fk_approvals_milestone_id_milestones"
        ),
        sa.CheckConstraint(
            "decision IS NULL OR " + _one_of("decision", ("approved", "rejected")),
            name="ck_approvals_decision",
        ),
    )
    op.create_index("ix_approvals_milestone_id", "approvals", ["milestone_id"])

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=True),
        sa.Column("actor_user_id", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", _timestamp(), nullable=False),
        sa.Column("idempotency_key", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name="fk_audit_events_visit_id_visits"
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"], ["milestones.id"], name="fk_audit_events_milestone_id_milestones"
        ),
        sa.UniqueConstraint("idempotency_key", name="uq_audit_events_idempotency_key"),
        sa.CheckConstraint(_one_of("outcome", ("ok", "refused")), name="ck_audit_events_outcome"),
    )
    op.create_index("ix_audit_events_visit_id", "audit_events", ["visit_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_visit_id", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index("ix_approvals_milestone_id", table_name="approvals")
    op.drop_table("approvals")
    op.drop_index("ix_reminders_status_due_at", table_name="reminders")
    op.drop_index("ix_reminders_milestone_id", table_name="reminders")
    op.drop_table("reminders")
    op.drop_index("ix_milestones_visit_id", table_name="milestones")
    op.drop_table("milestones")
    op.drop_table("visit_approvers")
    op.drop_index("ix_visits_status", table_name="visits")
    op.drop_table("visits")
