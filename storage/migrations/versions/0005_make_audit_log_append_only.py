"""Make audit_events append-only in the database: triggers refuse UPDATE and DELETE.

The ORM hook in storage.models only stops our own code; these triggers stop everything that
reaches the database, a plain SQL `UPDATE audit_events …` included. The downgrade drops them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_MESSAGE = "audit_events is append-only: rows cannot be updated or deleted"
"""The error both databases raise; tests look for "append-only" in it."""

_SQLITE_TRIGGERS = {
    "audit_events_no_update": "UPDATE",
    "audit_events_no_delete": "DELETE",
}
_POSTGRES_FUNCTION = "audit_events_refuse_change"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION {_POSTGRES_FUNCTION}() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$
            """
        )
        # Row triggers for UPDATE and DELETE, and a statement trigger for TRUNCATE (which
        # fires no row triggers): the whole log cannot be emptied behind the rows' backs either.
        op.execute(
            f"""
            CREATE TRIGGER audit_events_no_update_or_delete
            BEFORE UPDATE OR DELETE ON audit_events
            FOR EACH ROW EXECUTE FUNCTION {_POSTGRES_FUNCTION}()
            """
        )
        op.execute(
            f"""
            CREATE TRIGGER audit_events_no_truncate
            BEFORE TRUNCATE ON audit_events
            FOR EACH STATEMENT EXECUTE FUNCTION {_POSTGRES_FUNCTION}()
            """
        )
        return
    for name, change in _SQLITE_TRIGGERS.items():
        op.execute(
            f"""
            CREATE TRIGGER {name} BEFORE {change} ON audit_events
            BEGIN
                SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}');
            END
            """
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update_or_delete ON audit_events")
        op.execute(f"DROP FUNCTION IF EXISTS {_POSTGRES_FUNCTION}()")
        return
    for name in _SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
