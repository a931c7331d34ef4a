"""`new`, Edit dates, `settings` and `export` in Teams: card forms submitted as `Action.Execute`,
checked as Slack's modals are, and exports sent where the visit's people are."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from storage.models import Milestone, Visit, VisitApprover
from storage.teams import VisitConversation
from tests.teams.conftest import CHANNEL, TeamsBotUnderTest
from tests.teams.test_letters_and_visits import (
    IN_CHANNEL,
    attach_letter,
    click,
    texts,
)


def submit(
    bot: TeamsBotUnderTest, shown: dict[str, Any], verb: str, inputs: dict[str, str], **where: Any
) -> dict[str, Any]:
    """Press `verb` on a card form with `inputs` filled in."""
    answer: dict[str, Any] = click(bot, shown, verb, inputs=inputs, **where)
    return answer


def test_new_makes_a_visit_in_this_channel_from_the_form(teams_bot: TeamsBotUnderTest) -> None:
    [form] = teams_bot.say("new", **IN_CHANNEL)
    [shown] = form.cards
    assert {"Alice Officer", "Bob Colleague"} <= {
        c["title"] for element in shown["body"] for c in element.get("choices", [])
    }

    answer = submit(
        teams_bot,
        shown,
        "createVisit",
        {
            "local_authority": "Fernleigh",
            "visit_type": "focused_visit",
            "letter_date": "2026-04-28",
            "due_embargo_lift": "2026-05-12",
            "approvers": "29:bob",
        },
        **IN_CHANNEL,
    )

    assert "Alice created visit `fernleigh-2604`" in " ".join(texts(answer["value"]))
    with Session(teams_bot.engine) as session:
        visit = session.exec(select(Visit)).one()
        assert (visit.reference, visit.channel_id) == ("fernleigh-2604", CHANNEL)
        assert session.get(VisitConversation, visit.id) is not None
        assert [a.user_id for a in session.exec(select(VisitApprover)).all()] == ["29:bob"]
    [timeline] = [c for c in teams_bot.connector.calls("POST") if "Timeline" in c.text]
    assert "Fernleigh" in " ".join(texts(timeline.cards))


def test_a_form_with_mistakes_comes_back_saying_what_to_fix(teams_bot: TeamsBotUnderTest) -> None:
    [form] = teams_bot.say("new", **IN_CHANNEL)

    answer = submit(
        teams_bot,
        form.cards[0],
        "createVisit",
        {"local_authority": "", "visit_type": "focused_visit", "due_embargo_lift": "tomorrow"},
        **IN_CHANNEL,
    )

    shown = " ".join(texts(answer["value"]))
    assert "Nothing was saved" in shown
    assert "Local authority: Enter the local authority" in shown
    assert "'tomorrow' is not a date" in shown
    with Session(teams_bot.engine) as session:
        assert session.exec(select(Visit)).all() == []


def test_edit_dates_then_create_keeps_the_dates_as_corrected(teams_bot: TeamsBotUnderTest) -> None:
    preview = attach_letter(teams_bot, **IN_CHANNEL)
    form = click(teams_bot, preview, "editDates", **IN_CHANNEL)["value"]
    read = {i["id"]: i["value"] for i in form["body"] if i.get("type", "").startswith("Input.")}
    assert read["due_embargo_lift"], "the letter's dates are filled in"

    answer = submit(
        teams_bot, form, "createVisit", {**read, "due_embargo_lift": "2026-05-20"}, **IN_CHANNEL
    )

    assert "created visit `saxonford-2604` from this letter" in " ".join(texts(answer["value"]))
    with Session(teams_bot.engine) as session:
        embargo = session.exec(select(Milestone).where(Milestone.kind == "embargo_lift")).one()
        assert embargo.due_date.isoformat() == "2026-05-20"
    again = click(teams_bot, preview, "createVisit", user_id="29:bob", **IN_CHANNEL)
    assert "already made into a visit" in again["value"]


def made_in_channel(bot: TeamsBotUnderTest) -> None:
    click(bot, attach_letter(bot, **IN_CHANNEL), "createVisit", **IN_CHANNEL)


def test_settings_are_saved_by_a_manager_and_refused_to_others(
    teams_bot: TeamsBotUnderTest,
) -> None:
    made_in_channel(teams_bot)
    [refused] = teams_bot.say("settings saxonford-2604", user_id="29:bob", **IN_CHANNEL)
    [form] = teams_bot.say("settings saxonford-2604", **IN_CHANNEL)
    assert refused.text.startswith("Only this visit's managers")
    assert refused.cards == []

    answer = submit(
        teams_bot,
        form.cards[0],
        "saveSettings",
        {"reminder_time": "08:30", "reminder_offsets": "3,1,0", "approvers": "", "escalation": ""},
        **IN_CHANNEL,
    )

    assert "Settings saved" in " ".join(texts(answer["value"]))
    with Session(teams_bot.engine) as session:
        visit = session.exec(select(Visit)).one()
        assert (visit.reminder_time, visit.reminder_offsets) == ("08:30", "3,1,0")
    stale = submit(
        teams_bot,
        form.cards[0],
        "saveSettings",
        {"reminder_time": "10:00", "reminder_offsets": "1", "approvers": "", "escalation": ""},
        **IN_CHANNEL,
    )
    assert stale["type"] == "application/vnd.microsoft.activity.message"
    assert "Alice Officer already changed the settings of `saxonford-2604`" in stale["value"]


def test_export_is_sent_in_the_visits_channel_or_a_personal_chat_only(
    teams_bot: TeamsBotUnderTest,
) -> None:
    made_in_channel(teams_bot)

    [csv] = teams_bot.say("export saxonford-2604 csv", **IN_CHANNEL)
    [ics] = teams_bot.say("export saxonford-2604 ics")  # Alice's personal chat with the bot
    [elsewhere] = teams_bot.say(
        "export saxonford-2604 ics", conversation_id="19:other@thread.tacv2", **_channel()
    )

    assert csv.text.startswith("Alice asked for the audit trail of `saxonford-2604`.")
    assert ",29:alice,Alice Officer," in csv.text  # people by name, as the channel knows them
    assert "visit created" in csv.text and "```" in csv.text
    assert "BEGIN:VCALENDAR" in ics.text and ".ics`" in ics.text
    assert elsewhere.text.startswith("I send the dates")
    assert "BEGIN" not in elsewhere.text


def _channel() -> dict[str, str]:
    return {"conversation_type": "channel"}


def test_a_manager_reopens_a_closed_visit_and_others_are_refused(
    teams_bot: TeamsBotUnderTest,
) -> None:
    made_in_channel(teams_bot)
    teams_bot.say("close saxonford-2604", **IN_CHANNEL)

    [refused] = teams_bot.say("reopen saxonford-2604", user_id="29:bob", **IN_CHANNEL)
    with Session(teams_bot.engine) as session:
        assert session.exec(select(Visit)).one().status == "closed"
    [reopened] = teams_bot.say("reopen saxonford-2604", **IN_CHANNEL)
    [again] = teams_bot.say("reopen saxonford-2604", **IN_CHANNEL)

    assert refused.text.startswith("Only this visit's managers")
    assert reopened.text == ("Reopened `saxonford-2604`: its open milestones are reminded again.")
    assert "already reopened `saxonford-2604`" in again.text
    with Session(teams_bot.engine) as session:
        assert session.exec(select(Visit)).one().status == "open"


def test_add_puts_a_date_of_the_councils_own_on_the_timeline(
    teams_bot: TeamsBotUnderTest,
) -> None:
    made_in_channel(teams_bot)
    [refused] = teams_bot.say("add saxonford-2604", user_id="29:bob", **IN_CHANNEL)
    [form] = teams_bot.say("add saxonford-2604", **IN_CHANNEL)
    assert refused.text.startswith("Only this visit's managers")

    answer = submit(
        teams_bot,
        form.cards[0],
        "addMilestone",
        {"label": "Cabinet approves the plan", "due": "2026-06-10", "nature": "event"},
        **IN_CHANNEL,
    )

    shown = " ".join(texts(answer["value"]))
    assert "Alice added **Cabinet approves the plan**" in shown
    assert "**Cabinet approves the plan**: due Wednesday 10 June 2026" in shown
    with Session(teams_bot.engine) as session:
        added = session.exec(
            select(Milestone).where(Milestone.label == "Cabinet approves the plan")
        ).one()
        assert (added.kind, added.source) == ("custom_event", "manual")
