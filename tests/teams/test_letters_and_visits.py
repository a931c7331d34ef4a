"""A letter attached in Teams becomes a preview with the Slack preview's dates; Create visit makes
the visit in the conversation; list and show answer its members; anyone else is refused plainly."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bot.offline.connector import Recorded
from handlers.slack import blocks
from handlers.teams.cards import VERBS
from scheduler.calendar import WorkingDayCalendar
from scheduler.letters import read_letter
from storage.models import AuditEvent, Visit
from storage.teams import VisitConversation
from tests.teams.conftest import CHANNEL, DAY_AFTER_LETTER, TeamsBotUnderTest

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "bot"
    / "examples"
    / "focused-visit-final-report-cover.txt"
)
IN_CHANNEL = {
    "conversation_id": f"{CHANNEL};messageid=1700000000000",
    "conversation_type": "channel",
}
_DATE_LINE = re.compile(r"\*{1,2}([^*]+)\*{1,2}: (due|expected) ((?:\w+day )?\d{1,2} \w+ \d{4})")


def texts(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(texts(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(texts(item))
    return found


def dates_shown(node: Any) -> list[tuple[str, str, str]]:
    return [m.groups() for text in texts(node) for m in [_DATE_LINE.search(text)] if m]


def actions(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Action.Execute"):
            found.append(node)
        for value in node.values():
            found.extend(actions(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(actions(item))
    return found


def attach_letter(bot: TeamsBotUnderTest, **where: Any) -> Recorded:
    return attach_file(bot, "saxonford-final-report.txt", EXAMPLE.read_bytes(), **where)


def attach_file(bot: TeamsBotUnderTest, name: str, content: bytes, **where: Any) -> Recorded:
    """Attach a file to a message to the bot (as Teams sends it: its download info), and return
    the bot's answer."""
    url = bot.connector.add_file(name, content)
    attachment = {
        "contentType": "application/vnd.microsoft.teams.file.download.info",
        "name": name,
        "content": {"downloadUrl": url, "uniqueId": name, "fileType": "txt"},
    }
    before = len(bot.connector.calls())
    status, _ = bot.send(
        bot.connector.activity(text="<at>ofsted-bot</at>", attachments=[attachment], **where)
    )
    assert status in (200, 202)
    [answer] = bot.connector.wait_for(before + 1)[before:]
    return answer


def click(
    bot: TeamsBotUnderTest,
    shown: Recorded | dict[str, Any],
    verb: str,
    *,
    user_id: str = "29:alice",
    inputs: dict[str, str] | None = None,
    which: int | None = None,
    **where: Any,
) -> Any:
    """Press `verb` on a posted card (or a card answered to an earlier click), with a form's
    `inputs` filled in: Teams merges them into the button's data. `which`: of the buttons with
    that verb (one per milestone on a timeline); else the card must have only one."""
    found = [
        a
        for a in actions(shown.cards if isinstance(shown, Recorded) else shown)
        if a["verb"] == verb
    ]
    if which is None:
        [button] = found
    else:
        button = found[which]
    invoke = bot.connector.activity(
        activity_type="invoke",
        name="adaptiveCard/action",
        user_id=user_id,
        value={
            "action": {
                "type": "Action.Execute",
                "verb": verb,
                "data": {**button["data"], **(inputs or {})},
            },
            "trigger": "manual",
        },
        reply_to_id="preview-message-1",
        **where,
    )
    status, answer = bot.send(invoke)
    assert status == 200
    return answer


def test_an_attached_letter_gives_a_preview_with_the_dates_slack_shows(
    teams_bot: TeamsBotUnderTest,
) -> None:
    preview = attach_letter(teams_bot)

    facts = read_letter(EXAMPLE.read_text())
    slack = blocks.letter_preview_blocks(
        facts=facts, draft_id=1, today=DAY_AFTER_LETTER.date(), calendar=WorkingDayCalendar()
    )
    [card] = preview.cards
    assert dates_shown(card) == dates_shown(slack)
    assert dates_shown(card), "the preview shows the letter's dates"
    assert [a["verb"] for a in actions(card)] == ["createVisit", "editDates", "dismiss"]
    assert all(a["data"] == {"draftId": 1} for a in actions(card))


def test_the_same_message_delivered_twice_is_previewed_once(teams_bot: TeamsBotUnderTest) -> None:
    url = teams_bot.connector.add_file("letter.txt", EXAMPLE.read_bytes())
    activity = teams_bot.connector.activity(
        attachments=[
            {
                "contentType": "application/vnd.microsoft.teams.file.download.info",
                "name": "letter.txt",
                "content": {"downloadUrl": url, "fileType": "txt"},
            }
        ]
    )
    teams_bot.send(activity)
    teams_bot.send(activity)

    assert len(teams_bot.connector.wait_for(2, seconds=2)) == 1


def test_a_file_from_elsewhere_is_not_fetched(teams_bot: TeamsBotUnderTest) -> None:
    attachment = {
        "contentType": "application/vnd.microsoft.teams.file.download.info",
        "name": "letter.pdf",
        "content": {"downloadUrl": "https://attacker.example/letter.pdf", "fileType": "pdf"},
    }
    before = len(teams_bot.connector.calls())
    teams_bot.send(teams_bot.connector.activity(attachments=[attachment]))
    [reply] = teams_bot.connector.wait_for(before + 1)[before:]

    assert "I did not fetch letter.pdf" in reply.text
    assert reply.cards == []


def test_create_visit_updates_the_preview_and_posts_the_timeline(
    teams_bot: TeamsBotUnderTest,
) -> None:
    preview = attach_letter(teams_bot, **IN_CHANNEL)

    answer = click(teams_bot, preview, "createVisit", **IN_CHANNEL)

    assert answer["statusCode"] == 200
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    settled = " ".join(texts(answer["value"]))
    assert (
        "Alice created visit `saxonford-2604` from this letter, 09:00 Wednesday 29 April 2026"
        in settled
    )
    assert actions(answer["value"]) == []
    calls = teams_bot.connector.wait_for(3)
    [timeline] = [c for c in calls if c.method == "POST" and "Timeline" in c.text]
    [updated] = [c for c in calls if c.method == "PUT"]
    assert updated.activity_id == "preview-message-1"
    assert updated.cards == [answer["value"]]
    assert {a["verb"] for a in actions(timeline.cards)} <= set(VERBS)
    with Session(teams_bot.engine) as session:
        visit = session.exec(select(Visit)).one()
        assert (visit.team_id, visit.channel_id) == ("teams:tenant-1", CHANNEL)
        kept = session.get(VisitConversation, visit.id)
        assert kept is not None and kept.service_url == teams_bot.connector.url


def test_create_visit_twice_makes_one_visit(teams_bot: TeamsBotUnderTest) -> None:
    preview = attach_letter(teams_bot, **IN_CHANNEL)
    click(teams_bot, preview, "createVisit", **IN_CHANNEL)

    again = click(teams_bot, preview, "createVisit", user_id="29:bob", **IN_CHANNEL)

    assert again["type"] == "application/vnd.microsoft.activity.message"
    assert "already made into a visit by Alice Officer" in again["value"]
    with Session(teams_bot.engine) as session:
        assert len(session.exec(select(Visit)).all()) == 1


def test_list_and_show_answer_the_channels_members(teams_bot: TeamsBotUnderTest) -> None:
    click(teams_bot, attach_letter(teams_bot, **IN_CHANNEL), "createVisit", **IN_CHANNEL)

    [listing] = teams_bot.say("list", user_id="29:bob")
    [shown] = teams_bot.say("show saxonford-2604", user_id="29:bob")

    assert "`saxonford-2604`" in " ".join(texts(listing.cards))
    assert dates_shown(shown.cards), "the timeline shows the visit's dates"
    assert (
        "members" in str(teams_bot.connector.state.member_requests)
        or teams_bot.connector.state.member_requests
    )


def test_someone_outside_the_channel_is_told_plainly_and_sees_nothing(
    teams_bot: TeamsBotUnderTest,
) -> None:
    click(teams_bot, attach_letter(teams_bot, **IN_CHANNEL), "createVisit", **IN_CHANNEL)

    [listing] = teams_bot.say("list", user_id="29:carol", user_name="Carol")
    [shown] = teams_bot.say("show saxonford-2604", user_id="29:carol", user_name="Carol")

    assert "saxonford" not in " ".join(texts(listing.cards))
    assert shown.text.startswith("I have no visit called `saxonford-2604`.")
    assert shown.cards == []
    with Session(teams_bot.engine) as session:
        refused = session.exec(select(AuditEvent).where(AuditEvent.outcome == "refused")).all()
        assert [(e.actor_user_id, e.action) for e in refused] == [("29:carol", "visit_shown")]


def test_another_tenant_cannot_see_the_visit(teams_bot: TeamsBotUnderTest) -> None:
    click(teams_bot, attach_letter(teams_bot, **IN_CHANNEL), "createVisit", **IN_CHANNEL)

    [shown] = teams_bot.say("show saxonford-2604", tenant_id="tenant-2")

    assert shown.text.startswith("I have no visit called")


def test_close_is_for_the_visits_managers(teams_bot: TeamsBotUnderTest) -> None:
    click(teams_bot, attach_letter(teams_bot, **IN_CHANNEL), "createVisit", **IN_CHANNEL)

    [refused] = teams_bot.say("close saxonford-2604", user_id="29:bob", **IN_CHANNEL)
    [closed] = teams_bot.say("close saxonford-2604", user_id="29:alice", **IN_CHANNEL)

    assert refused.text == "Only this visit's managers can close it: Alice Officer."
    assert closed.text.startswith("Closed `saxonford-2604`")
