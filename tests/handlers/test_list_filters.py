"""`/ofsted list`, `/ofsted list closed` and `/ofsted list mine`: each line tells two visits of
one council apart by their type and letter date."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from storage import repo
from tests.handlers.conftest import CHANNEL, OFFICER, TEAM
from tests.handlers.test_list_answers import add_visit, answer_of
from tests.storage.test_changes import NOW

COLLEAGUE = "U_COLLEAGUE"


def add_monitoring_visit(engine, *, created_by: str) -> str:
    with Session(engine) as session:
        visit = repo.create_visit(
            session=session,
            team_id=TEAM,
            local_authority="Ashby",
            visit_type="monitoring_visit",
            letter_date=date(2021, 3, 4),
            visit_dates=[],
            inspectors=[],
            created_by=created_by,
            channel_id=CHANNEL,
            now=NOW,
            milestones=[
                repo.NewMilestone(
                    kind="survey", label="Survey", due_date=date(2021, 7, 1), source="rule"
                )
            ],
        )
        session.commit()
        return visit.reference


def test_each_line_shows_the_visit_type_and_letter_date(bot):
    add_visit(bot.engine, "Ashby")
    add_monitoring_visit(bot.engine, created_by=COLLEAGUE)
    shown = answer_of(bot, "list")
    assert "Ashby: focused visit* · letter of Tuesday 22 June 2021" in shown
    assert "Ashby: monitoring visit* · letter of Thursday 4 March 2021" in shown


def test_list_closed_shows_only_the_closed_visits(bot):
    kept = add_visit(bot.engine, "Ashby")
    closed = add_visit(bot.engine, "Blaby")
    _, before = bot.command(f"close {closed}")
    assert "closed" in (bot.next_response(before).text or "").lower()
    shown = answer_of(bot, "list closed")
    assert "Closed visits (1)" in shown and closed in shown and kept not in shown
    assert closed not in answer_of(bot, "list")


def test_list_mine_shows_the_visits_that_name_me(bot):
    mine = add_visit(bot.engine, "Ashby")  # created by OFFICER
    theirs = add_monitoring_visit(bot.engine, created_by=COLLEAGUE)
    shown = answer_of(bot, "list mine")
    assert "Your open visits (1)" in shown and mine in shown and theirs not in shown
    assert OFFICER != COLLEAGUE


def test_an_unknown_list_filter_says_which_there_are(bot):
    _, before = bot.command("list everything")
    answer = bot.next_response(before)
    assert "`/ofsted list closed`" in (answer.text or "") + str(answer.blocks)
