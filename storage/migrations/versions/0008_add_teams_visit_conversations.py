"""Add visit_conversations: where a visit tracked in Microsoft Teams lives.

A Teams visit is a row of visits like a Slack one (team_id `teams:<tenant id>`); this table
keeps, for such a visit only, the Bot Connector service URL and the conversation reference that
replies and reminders go to. No existing row changes.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
# Re-chained at merge onto whatever is the head then.
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visit_conversations",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("conversation_id", sa.String(), nullable=False),
        sa.Column("conversation_type", sa.String(), nullable=False),
        sa.Column("service_url", sa.String(), nullable=False),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("platform IN ('teams')", name="ck_visit_conversations_platform"),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name="fk_visit_conversations_visit_id_visits"
        ),
        sa.PrimaryKeyConstraint("visit_id", name="pk_visit_conversations"),
    )
    op.create_index("ix_visit_conversations_tenant_id", "visit_conversations", ["tenant_id"])


def downgrade() -> None:
    op.drop_index("ix_visit_conversations_tenant_id", table_name="visit_conversations")
    op.drop_table("visit_conversations")
