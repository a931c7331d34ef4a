"""Let a milestone close by itself, and remember when its reminder schedule last began.

`reminders.kind` may now be "closing" (an event's day or a decision window has passed: the
milestone closes once, never overdue). `milestones.schedule_from` is when the due date was last
moved, so the reminders that had passed by then are caught up once instead of lost. Existing
rows keep what they had: no closing reminders yet, and a schedule that began at creation.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_KINDS = ("ahead", "due_day", "catch_up", "overdue", "escalation")
_NEW_KINDS = (*_OLD_KINDS, "closing")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    # Written out here, not imported: a migration keeps the constraint it was written with.
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def upgrade() -> None:
    with op.batch_alter_table("milestones") as batch:
        batch.add_column(sa.Column("schedule_from", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("reminders") as batch:
        batch.drop_constraint("ck_reminders_kind", type_="check")
        batch.create_check_constraint("ck_reminders_kind", _one_of("kind", _NEW_KINDS))


def downgrade() -> None:
    op.execute("DELETE FROM reminders WHERE kind = 'closing'")
    with op.batch_alter_table("reminders") as batch:
        batch.drop_constraint("ck_reminders_kind", type_="check")
        batch.create_check_constraint("ck_reminders_kind", _one_of("kind", _OLD_KINDS))
    with op.batch_alter_table("milestones") as batch:
        batch.drop_column("schedule_from")
