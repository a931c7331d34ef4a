"""Drop `mail_messages.fingerprint`: mailed letters follow the one-visit-per-letter rule.

A mailed letter is recognised as tracked the way a shared one is, by its draft's content hash
(`letter_drafts.content_hash`, migration 0011) or its authority, visit type and letter date; the
mailbox's own hash of the letter's text is no longer read.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mail_messages") as batch:
        batch.drop_index("ix_mail_messages_fingerprint")
        batch.drop_column("fingerprint")


def downgrade() -> None:
    with op.batch_alter_table("mail_messages") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(), nullable=True))
        batch.create_index("ix_mail_messages_fingerprint", ["fingerprint"])
