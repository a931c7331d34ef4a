"""Sign-off reaches people in Teams as it does in Slack: the approvers are @mentioned in the
visit's conversation when it is asked for, and whoever asked is @mentioned with the decision; a
sign-off still waiting after two working days is chased there (never through Slack)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select

from bot.app import build_dispatcher
from bot.offline.standin import SlackStandIn
from bot.settings import Settings
from storage.models import AuditEvent
from tests.teams.conftest import TeamsBotUnderTest
from tests.teams.test_forms_and_exports import submit
from tests.teams.test_letters_and_visits import IN_CHANNEL, texts


def said(posted: Any) -> str:
    return " ".join(texts(posted.cards))


def a_visit_with_an_approver(bot: TeamsBotUnderTest) -> Any:
    """Fernleigh, made by Alice with Bob to sign off: its timeline."""
    [form] = bot.say("new", **IN_CHANNEL)
    submit(
        bot,
        form.cards[0],
        "createVisit",
        {
            "local_authority": "Fernleigh",
            "visit_type": "focused_visit",
            "letter_date": "2026-04-28",
            "due_complaint_deadline": "2026-05-12",
            "approvers": "29:bob",
        },
        **IN_CHANNEL,
    )
    [timeline] = bot.say("show fernleigh-2604", **IN_CHANNEL)
    return timeline


def test_approvers_are_mentioned_and_the_asker_is_told_the_decision(
    teams_bot: TeamsBotUnderTest,
) -> None:
    timeline = a_visit_with_an_approver(teams_bot)

    before = len(teams_bot.connector.calls("POST"))
    requested = submit(teams_bot, timeline.cards[0], "requestSignOff", {}, **IN_CHANNEL)
    [asked] = teams_bot.connector.calls("POST")[before:]
    before = len(teams_bot.connector.calls("POST"))
    submit(teams_bot, requested["value"], "approve", {}, user_id="29:bob", **IN_CHANNEL)
    [told] = teams_bot.connector.calls("POST")[before:]

    assert said(asked).startswith(
        "<at>Bob Colleague</at>: Alice Officer asks you to sign off **Complaint window closes**"
    )
    assert asked.cards[0]["msteams"]["entities"] == [
        {
            "type": "mention",
            "text": "<at>Bob Colleague</at>",
            "mentioned": {"id": "29:bob", "name": "Bob Colleague"},
        }
    ]
    assert said(told).startswith(
        "<at>Alice Officer</at>: Bob Colleague approved **Complaint window closes**"
    )


def test_a_waiting_sign_off_is_chased_in_teams_once_a_day_and_never_through_slack(
    teams_bot: TeamsBotUnderTest,
) -> None:
    timeline = a_visit_with_an_approver(teams_bot)
    submit(teams_bot, timeline.cards[0], "requestSignOff", {}, **IN_CHANNEL)  # Wednesday 29 April
    before = len(teams_bot.connector.calls("POST"))

    # Tuesday 5 May: three working days later (Monday 4 May is a bank holiday).
    tuesday = datetime(2026, 5, 5, 8, 0, tzinfo=UTC)
    with SlackStandIn() as slack:
        settings = Settings(slack_bot_token=slack.token, slack_api_url=slack.api_url)
        for _ in range(2):  # a second pass the same day chases nobody again
            dispatcher = build_dispatcher(
                settings=settings, engine=teams_bot.engine, clock=lambda: tuesday
            )
            dispatcher.channel_interval = 0
            dispatcher.run_pass()
        sent_to_slack = slack.messages("29:bob") + slack.messages("29:alice")

    [chased] = [c for c in teams_bot.connector.calls("POST")[before:] if "sign-off" in c.text]
    assert sent_to_slack == []
    assert said(chased).startswith(
        "<at>Bob Colleague</at>: still waiting for your sign-off on **Complaint window closes**"
    )
    assert chased.cards[0]["msteams"]["entities"][0]["mentioned"]["id"] == "29:bob"
    with Session(teams_bot.engine) as session:
        reminded = session.exec(
            select(AuditEvent).where(AuditEvent.action == "approval_reminded")
        ).all()
        assert [e.note for e in reminded] == ["asked of 29:bob"]
