"""Keep whether a milestone's date is expected rather than due: `milestones.estimate`.

A letter that says the report is "usually" published eight working days on gives an expected
date, as the rule's own estimate does; until now only the rule's was shown as expected, because
the flag was lost between the letter reader and the database. Rows stored before are given what
was shown for them then: expected for a publication date computed by rule.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("milestones") as batch:
        batch.add_column(
            sa.Column("estimate", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE milestones SET estimate = TRUE WHERE kind = 'embargo_lift' AND source = 'rule'"
    )


def downgrade() -> None:
    with op.batch_alter_table("milestones") as batch:
        batch.drop_column("estimate")
