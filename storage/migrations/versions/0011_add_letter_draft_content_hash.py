"""Keep each shared letter's content hash: `letter_drafts.content_hash`.

The same document shared twice (two colleagues, or the text then the PDF's bytes again) is
recognised as the letter of a visit already tracked, instead of becoming a second visit that
posts every reminder again. Rows stored before have no hash: they are recognised by authority,
visit type and letter date only.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("letter_drafts") as batch:
        batch.add_column(sa.Column("content_hash", sa.String(), nullable=True))
        batch.create_index("ix_letter_drafts_content_hash", ["content_hash"])


def downgrade() -> None:
    with op.batch_alter_table("letter_drafts") as batch:
        batch.drop_index("ix_letter_drafts_content_hash")
        batch.drop_column("content_hash")
