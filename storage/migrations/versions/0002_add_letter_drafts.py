"""Add letter drafts: letters read and previewed, waiting for "Create visit".

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "letter_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("filename", sa.String(), nullable=True),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=True),
        sa.Column("thread_ts", sa.String(), nullable=True),
        sa.Column("preview_channel_id", sa.String(), nullable=True),
        sa.Column("preview_ts", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_by", sa.String(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'created', 'dismissed')", name="ck_letter_drafts_status"
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name="fk_letter_drafts_visit_id_visits"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_letter_drafts"),
        sa.UniqueConstraint(
            "channel_id", "thread_ts", name="uq_letter_drafts_channel_id_thread_ts"
        ),
    )


def downgrade() -> None:
    op.drop_table("letter_drafts")
