"""Add mail_messages and mailbox_state: letters read from the council's mailbox, exactly once.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03


"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("uid", sa.String(), nullable=True),
        sa.Column("sender", sa.String(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fingerprint", sa.String(), nullable=True),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("posted_channel_id", sa.String(), nullable=True),
        sa.Column("posted_ts", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('claimed', 'done', 'ignored')", name="ck_mail_messages_status"
        ),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["letter_drafts.id"], name="fk_mail_messages_draft_id_letter_drafts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_mail_messages"),
        sa.UniqueConstraint("mailbox", "message_id", name="uq_mail_messages_mailbox_message_id"),
    )
    op.create_index("ix_mail_messages_fingerprint", "mail_messages", ["fingerprint"])
    op.create_table(
        "mailbox_state",
        sa.Column("mailbox", sa.String(), nullable=False),
        sa.Column("last_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outage_reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("mailbox", name="pk_mailbox_state"),
    )


def downgrade() -> None:
    op.drop_table("mailbox_state")
    op.drop_index("ix_mail_messages_fingerprint", table_name="mail_messages")
    op.drop_table("mail_messages")
