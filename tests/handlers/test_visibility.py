"""The list's SQL filter (storage.repo.VisibleTo) and the policy (handlers.core.access.can_see)
agree on every visit, for every kind of person: the list cannot show what `show` would hide."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from handlers.core.access import Actor, Workspace, can_see
from handlers.core.visits import visit_facts
from storage import repo
from storage.models import Visit

NOW = datetime(2026, 4, 27, 12, 0, tzinfo=UTC)
HOME = "T_COUNCIL"
CHANNEL_MEMBERS = {
    "C_VISITS": frozenset({"U_CREATOR", "U_MEMBER"}),
    "G_PRIVATE": frozenset({"U_PRIVATE"}),
}

VISITS = [
    # (authority, team, channel, creator, approvers, owner, escalation)
    ("Channel", HOME, "C_VISITS", "U_CREATOR", ["U_APPROVER"], None, None),
    ("Private", HOME, "G_PRIVATE", "U_PRIVATE", [], "U_MEMBER", None),
    ("Direct", HOME, None, "U_CREATOR", ["U_APPROVER"], None, None),
    ("Owned", HOME, "D0DIRECT", "U_PRIVATE", [], "U_MEMBER", None),
    ("Escalated", HOME, "", "U_PRIVATE", [], None, "U_ESCALATION"),
    ("Elsewhere", "T_ELSEWHERE", "C_VISITS", "U_CREATOR", [], None, None),
]
PEOPLE = ["U_CREATOR", "U_MEMBER", "U_APPROVER", "U_PRIVATE", "U_ESCALATION", "U_NOBODY", "U_ADMIN"]


@pytest.mark.parametrize("user_id", PEOPLE, ids=PEOPLE)
def test_the_list_filter_and_the_policy_agree(engine, user_id: str) -> None:
    with Session(engine, expire_on_commit=False) as session:
        for name, team, channel, creator, approvers, owner, escalation in VISITS:
            visit = repo.create_visit(
                session=session,
                team_id=team,
                local_authority=name,
                visit_type="jtai",
                letter_date=date(2026, 4, 22),
                visit_dates=[],
                inspectors=[],
                created_by=creator,
                channel_id=channel,
                approvers=approvers,
                now=NOW,
                milestones=[
                    repo.NewMilestone(
                        kind="survey_deadline",
                        label="Survey",
                        due_date=date(2026, 5, 6),
                        source="letter",
                        owner_user_id=owner,
                    )
                ],
            )
            visit.escalation_user_id = escalation
            session.add(visit)
        session.commit()

        actor = Actor(workspace=Workspace(HOME), user_id=user_id, is_admin=user_id == "U_ADMIN")
        every = session.exec(select(Visit)).all()
        by_policy = sorted(
            v.reference
            for v in every
            if can_see(
                actor,
                visit_facts(session=session, visit=v),
                channel_members=CHANNEL_MEMBERS.get(v.channel_id or "", frozenset()),
            )
        )
        channels = frozenset(c for c, members in CHANNEL_MEMBERS.items() if user_id in members)
        shown_to = repo.VisibleTo(
            team_id=HOME, user_id=user_id, channel_ids=None if actor.is_admin else channels
        )
        by_sql = sorted(
            v.reference for v in repo.list_open_visits(session=session, visible_to=shown_to)
        )
        assert by_sql == by_policy
        assert repo.count_open_visits(session=session, visible_to=shown_to) == len(by_policy)
    assert ("elsewhere-2604" in by_sql) is False
