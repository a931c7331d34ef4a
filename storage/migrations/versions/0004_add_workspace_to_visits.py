"""Add the workspace (team_id, enterprise_id) to visits and to every table queried without one.

visits and letter_drafts get team_id and enterprise_id; milestones, read by id from a button,
get team_id. audit_events do not: they are append-only (adopting them would be an UPDATE) and
are only ever read through their visit, after its workspace is checked. Existing rows are left
unowned (''): a migration cannot ask Slack which workspace the installation is, so the app
adopts them into its own team (auth.test) when it starts (storage.repo.adopt_unowned_rows).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WITH_ENTERPRISE = ("visits", "letter_drafts")
TEAM_ONLY = ("milestones",)


def _team_id() -> sa.Column[str]:
    return sa.Column("team_id", sa.String(), nullable=False, server_default="")


def upgrade() -> None:
    for table in WITH_ENTERPRISE:
        with op.batch_alter_table(table) as batch:
            batch.add_column(_team_id())
            batch.add_column(sa.Column("enterprise_id", sa.String(), nullable=True))
    for table in TEAM_ONLY:
        with op.batch_alter_table(table) as batch:
            batch.add_column(_team_id())
    op.create_index("ix_visits_team_id", "visits", ["team_id"])


def downgrade() -> None:
    op.drop_index("ix_visits_team_id", table_name="visits")
    for table in TEAM_ONLY:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("team_id")
    for table in WITH_ENTERPRISE:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("enterprise_id")
            batch.drop_column("team_id")
