"""Buttons on a Teams reminder: Acknowledge updates the card in place, naming who and when; a
retried invoke is recorded once; someone outside the channel is refused plainly."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from bot.offline.connector import Recorded
from storage.models import AuditEvent, Milestone
from tests.teams.conftest import DAY_AFTER_LETTER, TeamsBotUnderTest
from tests.teams.test_letters_and_visits import IN_CHANNEL, actions, attach_letter, click
from tests.teams.test_reminders import SlackPosterStandIn, dispatcher_at, reminder_posts


def a_reminder(bot: TeamsBotUnderTest) -> Recorded:
    click(bot, attach_letter(bot, **IN_CHANNEL), "createVisit", **IN_CHANNEL)
    dispatcher_at(DAY_AFTER_LETTER, bot, SlackPosterStandIn()).run_pass()
    return reminder_posts(bot.connector)[0]


def press(
    bot: TeamsBotUnderTest,
    card_post: Recorded,
    verb: str,
    *,
    activity_id: str | None = None,
    user_id: str = "29:alice",
    inputs: dict[str, Any] | None = None,
) -> Any:
    [button] = [a for a in actions(card_post.cards) if a["verb"] == verb]
    invoke = bot.connector.activity(
        activity_type="invoke",
        name="adaptiveCard/action",
        user_id=user_id,
        value={
            "action": {
                "type": "Action.Execute",
                "verb": verb,
                "data": {**button["data"], **(inputs or {})},
            }
        },
        reply_to_id="reminder-message-1",
        **IN_CHANNEL,
    )
    if activity_id:
        invoke["id"] = activity_id
    status, answer = bot.send(invoke)
    assert status == 200
    return answer


def test_acknowledge_updates_the_reminder_in_place(teams_bot: TeamsBotUnderTest) -> None:
    reminder = a_reminder(teams_bot)
    puts_before = len(teams_bot.connector.calls("PUT"))

    answer = press(teams_bot, reminder, "acknowledge")

    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    shown = json.dumps(answer["value"], ensure_ascii=False)
    assert "Alice Officer changed the status (status open → acknowledged), 09:00 Wednesday" in shown
    puts = teams_bot.connector.calls("PUT")
    assert len(puts) == puts_before + 1
    assert puts[-1].activity_id == "reminder-message-1"
    assert puts[-1].cards == [answer["value"]]
    with Session(teams_bot.engine) as session:
        acknowledged = session.exec(
            select(Milestone).where(Milestone.status == "acknowledged")
        ).all()
        assert len(acknowledged) == 1


def test_a_retried_invoke_is_recorded_once(teams_bot: TeamsBotUnderTest) -> None:
    reminder = a_reminder(teams_bot)

    first = press(teams_bot, reminder, "snooze", activity_id="invoke-1")
    again = press(teams_bot, reminder, "snooze", activity_id="invoke-1")

    assert again["type"] == first["type"] == "application/vnd.microsoft.card.adaptive"
    with Session(teams_bot.engine) as session:
        snoozes = session.exec(
            select(AuditEvent).where(AuditEvent.action == "milestone_snoozed")
        ).all()
        assert len(snoozes) == 1


def test_someone_outside_the_channel_is_refused_and_the_card_is_left_alone(
    teams_bot: TeamsBotUnderTest,
) -> None:
    reminder = a_reminder(teams_bot)
    puts_before = len(teams_bot.connector.calls("PUT"))

    answer = press(teams_bot, reminder, "acknowledge", user_id="29:carol")

    assert answer == {
        "statusCode": 200,
        "type": "application/vnd.microsoft.activity.message",
        "value": "That milestone no longer exists.",
    }
    assert len(teams_bot.connector.calls("PUT")) == puts_before
    with Session(teams_bot.engine) as session:
        refused = session.exec(select(AuditEvent).where(AuditEvent.outcome == "refused")).all()
        assert [e.actor_user_id for e in refused] == ["29:carol"]
        assert session.exec(select(Milestone).where(Milestone.status == "acknowledged")).all() == []


def test_assign_names_the_new_owner(
    teams_bot: TeamsBotUnderTest,
) -> None:
    reminder = a_reminder(teams_bot)

    answer = press(teams_bot, reminder, "assign", inputs={"owner": "29:bob"})

    assert "Alice Officer changed the owner" in json.dumps(answer["value"])
    with Session(teams_bot.engine) as session:
        owners = {m.owner_user_id for m in session.exec(select(Milestone)).all()}
    assert "29:bob" in owners
