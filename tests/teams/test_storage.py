"""Where Teams visits live, on SQLite and PostgreSQL: a conversation kept per visit, found per
tenant, and never mixed with Slack's workspaces or another tenant's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.repo import create_visit
from storage.teams import (
    conversation_without_message,
    get_visit_conversation,
    is_teams_workspace,
    save_visit_conversation,
    teams_workspace,
    tenant_conversations,
)

NOW = datetime(2026, 4, 29, 8, 0, tzinfo=UTC)


def a_visit(session: Session, *, team_id: str, channel_id: str | None) -> int:
    visit = create_visit(
        session=session,
        local_authority="Saxonford",
        visit_type="focused_visit",
        letter_date=None,
        visit_dates=[],
        inspectors=[],
        milestones=[],
        created_by="29:alice",
        channel_id=channel_id,
        now=NOW,
        team_id=team_id,
    )
    return visit.id or 0


def keep(
    session: Session, visit_id: int, *, tenant: str, conversation: str, kind: str = "channel"
) -> None:
    save_visit_conversation(
        session=session,
        visit_id=visit_id,
        tenant_id=tenant,
        conversation_id=conversation,
        conversation_type=kind,
        service_url="https://smba.trafficmanager.net/uk/",
        reference={"conversation": {"id": conversation}},
        now=NOW,
    )


def test_a_tenants_channel_conversations_are_found_and_no_one_elses(engine: Engine) -> None:
    with Session(engine) as session:
        keep(
            session,
            a_visit(session, team_id=teams_workspace("t1"), channel_id="19:a@thread.tacv2"),
            tenant="t1",
            conversation="19:a@thread.tacv2",
        )
        keep(
            session,
            a_visit(session, team_id=teams_workspace("t1"), channel_id=None),
            tenant="t1",
            conversation="a:personal",
            kind="personal",
        )
        keep(
            session,
            a_visit(session, team_id=teams_workspace("t2"), channel_id="19:b@thread.tacv2"),
            tenant="t2",
            conversation="19:b@thread.tacv2",
        )
        slack_visit = a_visit(session, team_id="T0SLACK", channel_id="C01VISITS")
        session.commit()

        assert tenant_conversations(session=session, tenant_id="t1") == {
            "19:a@thread.tacv2": "https://smba.trafficmanager.net/uk/"
        }
        assert get_visit_conversation(session=session, visit_id=slack_visit) is None


def test_a_visit_keeps_one_conversation(engine: Engine) -> None:
    with Session(engine) as session:
        visit_id = a_visit(session, team_id=teams_workspace("t1"), channel_id="19:a@thread.tacv2")
        keep(session, visit_id, tenant="t1", conversation="19:a@thread.tacv2")
        session.commit()

        with pytest.raises(IntegrityError):
            keep(session, visit_id, tenant="t1", conversation="19:other@thread.tacv2")


@pytest.mark.parametrize(
    ("conversation", "channel"),
    [
        ("19:a@thread.tacv2;messageid=1700000000000", "19:a@thread.tacv2"),
        ("19:a@thread.tacv2", "19:a@thread.tacv2"),
        ("a:1xYz-personal", "a:1xYz-personal"),
    ],
    ids=["channel thread", "channel", "personal chat"],
)
def test_a_threads_conversation_is_its_channel(conversation: str, channel: str) -> None:
    assert conversation_without_message(conversation) == channel


def test_a_tenant_is_never_a_slack_workspace() -> None:
    assert is_teams_workspace(teams_workspace("T0SLACK"))
    assert not is_teams_workspace("T0SLACK")
