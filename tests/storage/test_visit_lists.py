"""The queries behind `/ofsted list` and the App Home, bounded in SQL (benchmarks/scale.py: with
10,000 open visits, loading them all to show a few dozen took over a second)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session

from storage.repo import (
    NewMilestone,
    VisibleTo,
    close_visit,
    count_open_visits,
    create_visit,
    list_milestones,
    list_milestones_waiting_on,
    list_open_visits,
    request_approval,
    set_milestone_owner,
    set_milestone_status,
)
from tests.conftest import FACTORY_TEAM

EVERY_VISIT = VisibleTo(team_id=FACTORY_TEAM, user_id="U_ANYONE", channel_ids=None)
"""Every visit of the workspace, as an administrator sees them."""

NOW = datetime(2021, 6, 22, 8, 0, tzinfo=UTC)


def _visit(session: Session, name: str, *dues: date, approvers: tuple[str, ...] = ()) -> int:
    visit = create_visit(
        session=session,
        team_id=FACTORY_TEAM,
        local_authority=name,
        visit_type="focused_visit",
        letter_date=date(2021, 6, 22),
        visit_dates=[],
        inspectors=[],
        created_by="U_CREATOR",
        now=NOW,
        approvers=approvers,
        milestones=[
            NewMilestone(
                kind=f"custom_{n}",
                label=f"{name} {n}",
                due_date=due,
                source="manual",
                needs_approval=True,
            )
            for n, due in enumerate(dues)
        ],
    )
    session.commit()
    return visit.id or 0


def test_the_open_visits_list_is_cut_in_sql_soonest_first_and_counted(session):
    for day in (20, 3, 14, 9, 27):
        _visit(session, f"Borough {day:02d}", date(2021, 7, day))
    _visit(session, "Nothing Open")
    closed = _visit(session, "Closed", date(2021, 7, 1))
    visit = next(
        v for v in list_open_visits(session=session, visible_to=EVERY_VISIT) if v.id == closed
    )
    close_visit(session=session, visit=visit, actor_user_id="U1", now=NOW)
    session.commit()

    first = [
        v.local_authority
        for v in list_open_visits(session=session, visible_to=EVERY_VISIT, limit=3)
    ]

    assert first == ["Borough 03", "Borough 09", "Borough 14"]
    assert [v.local_authority for v in list_open_visits(session=session, visible_to=EVERY_VISIT)][
        3:
    ] == ["Borough 20", "Borough 27", "Nothing Open"]
    assert count_open_visits(session=session, visible_to=EVERY_VISIT) == 6


def test_what_waits_on_a_user_is_what_they_own_or_must_sign_off_whatever_its_date(session):
    mine = _visit(session, "Owned", date(2021, 12, 1), date(2021, 7, 1))
    to_approve = _visit(session, "Approve", date(2022, 3, 1), date(2021, 8, 1), approvers=("U_ME",))
    not_my_visit = _visit(session, "Elsewhere", date(2021, 7, 5), approvers=("U_OTHER",))
    closed = _visit(session, "Closed", date(2021, 7, 2))
    milestones = {
        visit_id: list_milestones(session=session, visit_id=visit_id)
        for visit_id in (mine, to_approve, not_my_visit, closed)
    }
    far_owned, soon_owned = sorted(milestones[mine], key=lambda m: m.due_date, reverse=True)
    for milestone in (far_owned, soon_owned, milestones[closed][0]):
        set_milestone_owner(
            session=session, milestone=milestone, owner_user_id="U_ME", actor_user_id="U1", now=NOW
        )
    set_milestone_status(
        session=session, milestone=soon_owned, status="done", actor_user_id="U_ME", now=NOW
    )
    far_sign_off = max(milestones[to_approve], key=lambda m: m.due_date)
    for milestone in (far_sign_off, milestones[not_my_visit][0]):
        request_approval(session=session, milestone=milestone, actor_user_id="U1", now=NOW)
    visit = next(
        v for v in list_open_visits(session=session, visible_to=EVERY_VISIT) if v.id == closed
    )
    close_visit(session=session, visit=visit, actor_user_id="U1", now=NOW)
    session.commit()

    waiting = list_milestones_waiting_on(
        session=session,
        visible_to=VisibleTo(team_id=FACTORY_TEAM, user_id="U_ME", channel_ids=None),
    )

    # The owned one far ahead and the sign-off far ahead; not the done one, not the one on a
    # closed visit, not a sign-off on a visit U_ME does not approve, not one not requested.
    assert [(visit.local_authority, milestone.id) for visit, milestone in waiting] == [
        ("Owned", far_owned.id),
        ("Approve", far_sign_off.id),
    ]
    assert (
        list_milestones_waiting_on(
            session=session,
            visible_to=VisibleTo(team_id=FACTORY_TEAM, user_id="U_NOBODY", channel_ids=None),
        )
        == []
    )
