"""Where a visit tracked in Microsoft Teams lives: its conversation, for replies and reminders.

A visit made in Teams is a row of `visits` like any other: its `team_id` is the Teams tenant
with a platform marker (`teams:<tenant id>`, see `teams_workspace`), so a Slack workspace and a
tenant can never be mistaken for each other, and every query that filters on `team_id` keeps
them apart. Its `channel_id` is the channel's conversation id (without the `;messageid=` of the
thread it was created in), or empty for a visit kept in a personal chat, as a Slack visit kept
in a direct message is.

What Teams needs besides, to post into that conversation later (the Bot Connector's service URL
and the conversation reference the SDK continues), is kept here, one row per visit. A visit
with no row here is a Slack visit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from storage.models import Visit, one_of_sql
from storage.types import UTCDateTime

TEAMS = "teams"
PLATFORMS = (TEAMS,)
TEAMS_WORKSPACE_PREFIX = "teams:"


def teams_workspace(tenant_id: str) -> str:
    """The `team_id` a Teams tenant's visits and drafts are stored under."""
    return f"{TEAMS_WORKSPACE_PREFIX}{tenant_id}"


def is_teams_workspace(team_id: str) -> bool:
    return team_id.startswith(TEAMS_WORKSPACE_PREFIX)


def conversation_without_message(conversation_id: str) -> str:
    """A channel thread's conversation id names the channel and the thread's first message
    (`19:…@thread.tacv2;messageid=1700…`); the channel is the part before `;messageid=`."""
    return conversation_id.split(";messageid=", 1)[0]


class VisitConversation(SQLModel, table=True):
    """The conversation a visit was created in, on a platform other than Slack."""

    __tablename__ = "visit_conversations"
    __table_args__ = (CheckConstraint(one_of_sql("platform", PLATFORMS), name="platform"),)

    visit_id: int = Field(foreign_key="visits.id", primary_key=True)
    platform: str
    tenant_id: str = Field(index=True)
    conversation_id: str
    # "personal", "channel" or "groupChat", as Teams says.
    conversation_type: str
    service_url: str
    # The SDK's ConversationReference as JSON: what a proactive message continues.
    reference: dict[str, Any] = Field(sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)


def save_visit_conversation(
    *,
    session: Session,
    visit_id: int,
    tenant_id: str,
    conversation_id: str,
    conversation_type: str,
    service_url: str,
    reference: dict[str, Any],
    now: datetime,
) -> VisitConversation:
    """Remember where a Teams visit lives (once: the visit was created there)."""
    row = VisitConversation(
        visit_id=visit_id,
        platform=TEAMS,
        tenant_id=tenant_id,
        conversation_id=conversation_id,
        conversation_type=conversation_type,
        service_url=service_url,
        reference=reference,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def get_visit_conversation(*, session: Session, visit_id: int) -> VisitConversation | None:
    """The Teams conversation of a visit; None for a Slack visit."""
    return session.get(VisitConversation, visit_id)


def tenant_conversations(*, session: Session, tenant_id: str) -> dict[str, str]:
    """Every open visit's channel conversation in a tenant, with its service URL: whose members
    decide who sees what (a personal chat's visit goes by the people it names instead)."""
    statement = (
        select(VisitConversation.conversation_id, VisitConversation.service_url)
        .join(Visit, col(Visit.id) == col(VisitConversation.visit_id))
        .where(
            col(VisitConversation.tenant_id) == tenant_id,
            col(VisitConversation.conversation_type) != "personal",
            col(Visit.team_id) == teams_workspace(tenant_id),
        )
        .distinct()
    )
    return {conversation: url for conversation, url in session.exec(statement).all()}
