"""`/ofsted list` is answered in its ack, from the list kept since the last change: never a list
older than the database or than today, and never a late ack when the database is slow."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session

from bot.app import build_app
from bot.offline.standin import SlackDriver
from bot.offline.standin.boltserver import serve_wsgi
from bot.settings import Settings
from bot.web import wsgi_application
from handlers.slack.commands import ANSWER_FOLLOWS, ANSWER_IN_ACK_WITHIN_SECONDS
from storage import repo
from storage.db import create_engine_for
from tests.handlers.conftest import CHANNEL, OFFICER, SIGNING_SECRET, TEAM, Bot, all_text
from tests.storage.test_changes import NOW


def add_visit(engine, local_authority: str, due: date = date(2021, 6, 29)) -> str:
    with Session(engine) as session:
        visit = repo.create_visit(
            session=session,
            team_id=TEAM,
            local_authority=local_authority,
            visit_type="focused_visit",
            letter_date=date(2021, 6, 22),
            visit_dates=[],
            inspectors=[],
            created_by=OFFICER,
            channel_id=CHANNEL,
            now=NOW,
            milestones=[
                repo.NewMilestone(
                    kind="complaint_deadline",
                    label="Complaint window closes",
                    due_date=due,
                    source="rule",
                )
            ],
        )
        session.commit()
        return visit.reference


def answer_of(bot: Bot, text: str) -> str:
    """A list or show: the ack's own answer. A read that outlasts the ack's time (a loaded
    machine) follows instead, after an ack that says so, and never sooner than that time."""
    sent = time.time()  # the stand-in's clock for answers
    response, before = bot.command(text)
    assert response.within_ack_deadline
    answer = bot.next_response(before, timeout=30)
    assert bot.slack.responses[before].via == "ack" and answer.response_type == "ephemeral"
    if answer.via != "ack":
        assert answer.at - sent >= ANSWER_IN_ACK_WITHIN_SECONDS, "a quick read is the ack's own"
    return all_text(answer.blocks or []) or (answer.text or "")


def listed(bot: Bot) -> str:
    return answer_of(bot, "list")


def test_the_list_is_the_acks_own_answer_and_follows_every_change(bot):
    add_visit(bot.engine, "Ashby")
    assert "ashby-2106" in listed(bot)
    assert "ashby-2106" in listed(bot)
    # Another process (here: another engine, as the worker or a second web worker has) adds one.
    other = create_engine_for(bot.engine.url.render_as_string(hide_password=False))
    try:
        add_visit(other, "Blaby", due=date(2021, 6, 25))
    finally:
        other.dispose()
    shown = listed(bot)
    assert "Open visits (2)" in shown
    assert shown.index("blaby-2106") < shown.index("ashby-2106")
    # And one closed through the bot itself drops out at once.
    _, before = bot.command("close blaby-2106")
    assert "Closed" in bot.next_response(before).text
    shown = listed(bot)
    assert "blaby-2106" not in shown and "Open visits (1)" in shown


def test_the_kept_list_counts_working_days_from_today_not_from_when_it_was_read(bot):
    add_visit(bot.engine, "Corby")  # complaint window closes Tuesday 29 June 2021
    assert "Tuesday 29 June 2021 (4 working days left)" in listed(bot)
    bot.clock.now += timedelta(days=1)  # Thursday 24 June, nothing committed meanwhile
    assert "Tuesday 29 June 2021 (3 working days left)" in listed(bot)


@pytest.mark.postgres
def test_a_list_held_up_by_a_migration_follows_after_an_ack_in_time(postgres_engine, slack, clock):
    settings = Settings(
        slack_bot_token=slack.token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
    )
    reference = add_visit(postgres_engine, "Daventry")
    app = build_app(settings=settings, engine=postgres_engine, clock=clock)
    with serve_wsgi(wsgi_application(app=app, engine=postgres_engine)) as url:
        bot = Bot(SlackDriver(url, SIGNING_SECRET, slack), slack, postgres_engine, clock, url)
        with postgres_engine.connect() as migration:
            migration.execute(text("LOCK TABLE visits IN ACCESS EXCLUSIVE MODE"))  # as ALTER TABLE
            response, before = bot.command("list")
            assert response.within_ack_deadline
            assert bot.slack.responses[before].text == ANSWER_FOLLOWS
            migration.rollback()
        follow = bot.next_response(before + 1, timeout=10)
        assert follow.via == "response_url"
        assert reference in all_text(follow.blocks or [])


def shown_in_ack(bot: Bot, text: str) -> str:
    return answer_of(bot, text)


def test_show_is_the_acks_own_answer_and_follows_a_change_made_in_another_process(bot):
    reference = add_visit(bot.engine, "Eydon")
    assert "owner nobody yet" in shown_in_ack(bot, f"show {reference}")
    assert "owner nobody yet" in shown_in_ack(bot, f"show {reference}")  # kept
    other = create_engine_for(bot.engine.url.render_as_string(hide_password=False))
    try:
        with Session(other) as session:
            milestone = repo.list_milestones(
                session=session,
                visit_id=repo.get_visit(session=session, reference=reference, team_id=TEAM).id,
            )[0]
            milestone.owner_user_id = OFFICER
            session.add(milestone)
            session.commit()
    finally:
        other.dispose()
    assert f"owner <@{OFFICER}>" in shown_in_ack(bot, f"show {reference}")


def test_show_of_a_visit_that_does_not_exist_says_so_in_the_ack(bot):
    add_visit(bot.engine, "Farthinghoe")
    said = shown_in_ack(bot, "show nowhere-2106")
    assert "I have no visit called `nowhere-2106`" in said and "farthinghoe-2106" in said
