"""`/ofsted list` and the App Home with many visits open: the soonest shown, the rest counted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from handlers.core.visits import LIST_LIMIT, home_items
from storage import repo
from tests.handlers.conftest import OFFICER, TEAM, all_text

NOW = datetime(2021, 6, 23, 8, 0, tzinfo=UTC)


def _visits(engine, count: int) -> None:
    with Session(engine) as session:
        for n in range(count):
            repo.create_visit(
                session=session,
                team_id=TEAM,
                local_authority=f"Borough {n:03d}",
                visit_type="monitoring_visit",
                letter_date=date(2021, 6, 22),
                visit_dates=[],
                inspectors=[],
                created_by=OFFICER,
                now=NOW,
                milestones=[
                    repo.NewMilestone(
                        kind="survey_deadline",
                        label="Post-inspection survey due",
                        due_date=date(2021, 7, 1) + timedelta(days=n),
                        source="letter",
                    )
                ],
            )
        session.commit()


def test_list_with_more_visits_than_fit_shows_the_soonest_and_says_how_many_more(bot):
    _visits(bot.engine, LIST_LIMIT + 25)
    _, before = bot.command("list")
    answer = bot.next_response(before)
    shown = all_text(answer.blocks)
    assert f"Open visits ({LIST_LIMIT + 25})" in shown
    assert "borough-000-2106" in shown and f"borough-{LIST_LIMIT - 1:03d}-2106" in shown
    assert f"borough-{LIST_LIMIT:03d}-2106" not in shown
    assert "…and 25 more open visits, whose next dates come later" in shown
    assert "`/ofsted show <visit>`" in shown
    assert len(answer.blocks) <= 50
    assert answer.text == f"{LIST_LIMIT + 25} open visits"


def test_list_with_few_visits_shows_them_all_and_no_more_line(bot):
    _visits(bot.engine, 3)
    _, before = bot.command("list")
    shown = all_text(bot.next_response(before).blocks)
    assert "Open visits (3)" in shown and "more open visits" not in shown


def test_home_items_are_the_overdue_the_next_30_days_and_what_waits_on_me(bot_engine):
    with Session(bot_engine) as session:
        visit = repo.create_visit(
            session=session,
            team_id=TEAM,
            local_authority="Fernleigh",
            visit_type="focused_visit",
            letter_date=date(2021, 6, 1),
            visit_dates=[],
            inspectors=[],
            created_by=OFFICER,
            now=NOW,
            approvers=[OFFICER],
            milestones=[
                repo.NewMilestone(
                    kind="factual_accuracy_due",
                    label="Overdue",
                    due_date=date(2021, 6, 21),
                    source="letter",
                ),
                repo.NewMilestone(
                    kind="embargo_lift", label="Soon", due_date=date(2021, 7, 20), source="rule"
                ),
                repo.NewMilestone(
                    kind="survey_deadline",
                    label="Far, nobody's",
                    due_date=date(2021, 9, 1),
                    source="letter",
                ),
                repo.NewMilestone(
                    kind="action_plan_final_due",
                    label="Far, to sign off",
                    due_date=date(2021, 12, 1),
                    source="rule",
                    needs_approval=True,
                ),
            ],
        )
        session.flush()
        far = next(
            m
            for m in repo.list_milestones(session=session, visit_id=visit.id or 0)
            if m.label == "Far, to sign off"
        )
        repo.request_approval(session=session, milestone=far, actor_user_id="U_OTHER", now=NOW)
        session.commit()

        overdue, due_soon, waiting = home_items(
            session=session,
            visible_to=repo.VisibleTo(team_id=TEAM, user_id=OFFICER),
            today=date(2021, 6, 23),
        )

    assert [item.milestone.label for item in overdue] == ["Overdue"]
    assert [item.milestone.label for item in due_soon] == ["Soon"]
    assert [(item.milestone.label, item.why) for item in waiting] == [
        ("Far, to sign off", "your sign-off is requested")
    ]
