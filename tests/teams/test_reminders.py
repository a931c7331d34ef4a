"""Reminders for a visit made in Teams arrive proactively in its channel at their planned time,
through the same dispatcher as Slack's; a Slack visit in the same database is left to Slack."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from microsoft_agents.hosting.aiohttp import CloudAdapter
from sqlmodel import Session, col, select

from bot.app import build_dispatcher
from bot.offline.connector import ConnectorStandIn
from bot.offline.standin import SlackStandIn
from bot.settings import Settings
from handlers.teams.auth import anonymous_connections
from handlers.teams.poster import PlatformPoster, TeamsPoster
from scheduler.calendar import ENGLAND_AND_WALES
from scheduler.dispatcher import Dispatcher, Posted, ReminderNotice
from scheduler.planning import ReminderDefaults, replan_visit
from storage.models import Milestone, Reminder, Visit
from storage.repo import NewMilestone, create_visit
from tests.teams.conftest import CHANNEL, DAY_AFTER_LETTER, TeamsBotUnderTest
from tests.teams.test_letters_and_visits import IN_CHANNEL, attach_letter, click


class SlackPosterStandIn:
    """Where Slack visits' reminders go: here, a list (Slack itself is not under test)."""

    def __init__(self) -> None:
        self.posted: list[str] = []

    def post(self, notice: ReminderNotice) -> Posted:
        self.posted.append(notice.visit.reference)
        return Posted(channel_id=notice.visit.channel_id or "", ts="1.0")

    def find_posted(self, notice: ReminderNotice, *, since: datetime) -> Posted | None:
        return None

    def report_failure(self, notice: ReminderNotice, *, error: str) -> None:
        raise AssertionError(error)


def dispatcher_at(
    moment: datetime, bot: TeamsBotUnderTest, slack: SlackPosterStandIn
) -> Dispatcher:
    teams = TeamsPoster(
        engine=bot.engine,
        adapter=CloudAdapter(connection_manager=anonymous_connections()),
        calendar=ENGLAND_AND_WALES,
    )
    return Dispatcher(
        engine=bot.engine, poster=PlatformPoster(slack=slack, teams=teams), clock=lambda: moment
    )


def first_reminder_due(
    bot: TeamsBotUnderTest, visit_reference: str, *, after: datetime
) -> datetime:
    with Session(bot.engine) as session:
        statement = (
            select(Reminder.due_at)
            .join(Milestone, col(Milestone.id) == col(Reminder.milestone_id))
            .join(Visit, col(Visit.id) == col(Milestone.visit_id))
            .where(
                Visit.reference == visit_reference,
                Reminder.status == "pending",
                Reminder.due_at > after,
            )
            .order_by(col(Reminder.due_at))
        )
        return session.exec(statement).first()  # type: ignore[return-value]


def reminder_posts(connector: ConnectorStandIn) -> list[Any]:
    return [
        c
        for c in connector.calls("POST")
        if c.cards and "Acknowledge" in str(c.cards) and "Timeline" not in c.text
    ]


def slack_visit_in(bot: TeamsBotUnderTest, *, due: date) -> str:
    """A visit made in Slack (workspace T0STANDIN) in the same database, its reminders planned."""
    with Session(bot.engine) as session:
        visit = create_visit(
            session=session,
            local_authority="Fernleigh",
            visit_type="focused_visit",
            letter_date=None,
            visit_dates=[],
            inspectors=[],
            created_by="U_OFFICER",
            channel_id="C01VISITS",
            milestones=[
                NewMilestone(
                    kind="complaint_deadline",
                    label="Complaint window closes",
                    due_date=due,
                    source="manual",
                )
            ],
            now=DAY_AFTER_LETTER,
            team_id="T0STANDIN",
        )
        replan_visit(
            session=session, visit=visit, defaults=ReminderDefaults(), now=DAY_AFTER_LETTER
        )
        session.commit()
        return visit.reference


def test_a_reminder_arrives_in_the_visits_channel_at_its_planned_time(
    teams_bot: TeamsBotUnderTest,
) -> None:
    click(teams_bot, attach_letter(teams_bot, **IN_CHANNEL), "createVisit", **IN_CHANNEL)
    due = first_reminder_due(teams_bot, "saxonford-2604", after=DAY_AFTER_LETTER)
    slack = SlackPosterStandIn()
    dispatcher_at(
        DAY_AFTER_LETTER, teams_bot, slack
    ).run_pass()  # what was due already (catching up)
    before = len(reminder_posts(teams_bot.connector))

    early = dispatcher_at(due - timedelta(minutes=1), teams_bot, slack).run_pass()
    assert (early.posted, len(reminder_posts(teams_bot.connector))) == (0, before)

    report = dispatcher_at(due, teams_bot, slack).run_pass()

    assert report.posted >= 1
    [reminder, *_] = reminder_posts(teams_bot.connector)[before:]
    assert (
        reminder.conversation_id == CHANNEL
    )  # a new post in the channel, not in the letter's thread
    assert reminder.activity_id is None
    assert "saxonford-2604" in str(reminder.cards)
    # Assign offers the channel's people by name, as on a card someone asked for.
    assert "'title': 'Alice Officer', 'value': '29:alice'" in str(reminder.cards)
    assert slack.posted == []


def test_a_slack_visit_in_the_same_database_is_left_to_slack(teams_bot: TeamsBotUnderTest) -> None:
    click(teams_bot, attach_letter(teams_bot, **IN_CHANNEL), "createVisit", **IN_CHANNEL)
    slack_reference = slack_visit_in(teams_bot, due=DAY_AFTER_LETTER.date() + timedelta(days=14))
    [shown] = teams_bot.say(f"show {slack_reference}", user_id="29:alice", **IN_CHANNEL)

    assert shown.text.startswith(f"I have no visit called `{slack_reference}`.")
    with Session(teams_bot.engine) as session:
        teams_ids = {v.team_id for v in session.exec(select(Visit)).all()}
    assert teams_ids == {"teams:tenant-1", "T0STANDIN"}


def test_the_dispatcher_ofsted_bot_runs_posts_each_visit_to_its_own_platform(
    teams_bot: TeamsBotUnderTest,
) -> None:
    """`ofsted-bot worker` and `serve` build this dispatcher: one database, Slack and Teams."""
    click(teams_bot, attach_letter(teams_bot, **IN_CHANNEL), "createVisit", **IN_CHANNEL)
    slack_visit_in(teams_bot, due=DAY_AFTER_LETTER.date())
    due = first_reminder_due(teams_bot, "saxonford-2604", after=DAY_AFTER_LETTER)
    before = len(reminder_posts(teams_bot.connector))

    with SlackStandIn() as slack:
        settings = Settings(slack_bot_token=slack.token, slack_api_url=slack.api_url)
        dispatcher = build_dispatcher(settings=settings, engine=teams_bot.engine, clock=lambda: due)
        dispatcher.channel_interval = 0
        report = dispatcher.run_pass()
        in_slack = slack.messages("C01VISITS")

    assert report.posted >= 2
    assert any("Complaint window closes" in m.get("text", "") for m in in_slack)
    teams_posts = reminder_posts(teams_bot.connector)[before:]
    assert teams_posts and all(p.conversation_id == CHANNEL for p in teams_posts)
    assert all("Fernleigh" not in str(p.cards) for p in teams_posts)
