"""Sign-off reaches people in Teams as it does in Slack: the approvers are @mentioned in the
visit's conversation when it is asked for, and whoever asked is @mentioned with the decision."""

from __future__ import annotations

from typing import Any

from tests.teams.conftest import TeamsBotUnderTest
from tests.teams.test_forms_and_exports import submit
from tests.teams.test_letters_and_visits import IN_CHANNEL, texts


def said(posted: Any) -> str:
    return " ".join(texts(posted.cards))


def test_approvers_are_mentioned_and_the_asker_is_told_the_decision(
    teams_bot: TeamsBotUnderTest,
) -> None:
    [form] = teams_bot.say("new", **IN_CHANNEL)
    submit(
        teams_bot,
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
    [timeline] = teams_bot.say("show fernleigh-2604", **IN_CHANNEL)

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
