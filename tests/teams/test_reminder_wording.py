"""Teams reminders in the words the Slack reminders use for each nature of milestone: a decision
window asks for a decision and closes once, by itself; an event is announced; an overdue task
escalated to whoever created the visit mentions them, so that Teams tells them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.teams.conftest import DAY_AFTER_LETTER, TeamsBotUnderTest
from tests.teams.test_letters_and_visits import IN_CHANNEL, actions, attach_letter, click, texts
from tests.teams.test_reminders import SlackPosterStandIn, dispatcher_at


def at_nine(day: int) -> datetime:
    """09:00 in London (BST) on `day` May 2026."""
    return datetime(2026, 5, day, 8, 0, tzinfo=UTC)


def posted_on(bot: TeamsBotUnderTest, day: int) -> list[Any]:
    """The cards the dispatcher posts in Teams at 09:00 on `day` May 2026."""
    before = len(bot.connector.calls("POST"))
    dispatcher_at(at_nine(day), bot, SlackPosterStandIn()).run_pass()
    return [c for c in bot.connector.calls("POST")[before:] if c.cards]


def a_visit(bot: TeamsBotUnderTest) -> None:
    click(bot, attach_letter(bot, **IN_CHANNEL), "createVisit", **IN_CHANNEL)
    dispatcher_at(DAY_AFTER_LETTER, bot, SlackPosterStandIn()).run_pass()


def test_a_window_asks_for_a_decision_then_closes_once_without_buttons(
    teams_bot: TeamsBotUnderTest,
) -> None:
    a_visit(teams_bot)
    for day in (4, 5):
        posted_on(teams_bot, day)

    [on_the_day] = posted_on(teams_bot, 6)
    closing, *_ = posted_on(teams_bot, 7)

    shown = " ".join(texts(on_the_day.cards))
    assert on_the_day.text.startswith("Decision needed today: Complaint window closes")
    assert "Decide whether to complain (not complaining is signed off too) before it closes" in (
        shown
    )
    assert closing.text == (
        "Closed: Complaint window closes for Saxonford, Wednesday 6 May 2026 (closed)"
    )
    assert "The window closed: no decision was recorded, so no complaint was made." in " ".join(
        texts(closing.cards)
    )
    assert actions(closing.cards) == []
    assert "was refused" not in shown and "Overdue" not in " ".join(texts(closing.cards))


def test_an_event_is_announced_on_its_day(teams_bot: TeamsBotUnderTest) -> None:
    a_visit(teams_bot)
    for day in (4, 5, 6, 7, 8):
        posted_on(teams_bot, day)

    [today] = posted_on(teams_bot, 11)

    assert today.text.startswith("Today: Embargo lifts (publication) for Saxonford")
    assert "The embargo lifts today: the report may be shared." in " ".join(texts(today.cards))


def test_an_escalation_with_no_contact_mentions_whoever_created_the_visit(
    teams_bot: TeamsBotUnderTest,
) -> None:
    a_visit(teams_bot)
    [form] = teams_bot.say("add saxonford-2604", **IN_CHANNEL)
    click(
        teams_bot,
        form,
        "addMilestone",
        inputs={"label": "Brief the lead member", "due": "2026-05-04", "nature": "task"},
        **IN_CHANNEL,
    )
    for day in (4, 5, 6):
        posted_on(teams_bot, day)

    [escalated] = [c for c in posted_on(teams_bot, 7) if "Brief" in c.text]

    [shown] = escalated.cards
    said = " ".join(texts(shown))
    assert escalated.text.startswith("Escalated: overdue: Brief the lead member")
    assert "No escalation contact is set for this visit, so I told Alice Officer" in said
    assert "Escalated to <at>Alice Officer</at>." in said
    assert shown["msteams"]["entities"] == [
        {
            "type": "mention",
            "text": "<at>Alice Officer</at>",
            "mentioned": {"id": "29:alice", "name": "Alice Officer"},
        }
    ]
