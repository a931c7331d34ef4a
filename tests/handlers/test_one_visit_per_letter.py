"""One visit per letter: the same document, or the same authority, visit type and letter date,
is recognised as tracked already; a report of a tracked visit is kept with it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from storage import repo
from tests.handlers.conftest import CHANNEL, OFFICER, TEAM, all_text

EXAMPLE = Path(__file__).resolve().parents[2] / "bot" / "examples"
LETTER = (EXAMPLE / "focused-visit-final-report-cover.txt").read_bytes()
REPORT = (
    Path(__file__).resolve().parents[1]
    / "scheduler"
    / "letters"
    / "ilacs-report-front-matter-ashcombe.txt"
).read_bytes()
COLLEAGUE = "U_COLLEAGUE"


@pytest.fixture(autouse=True)
def _the_morning_after(clock):
    clock.now = datetime(2026, 4, 29, 8, 0, tzinfo=UTC)


def share(bot, content: bytes, filename: str, user_id: str = OFFICER) -> dict:
    """Share a file; the bot's answer in the file's thread."""
    before = {m["ts"] for m in bot.slack.messages(CHANNEL)}
    (response,) = bot.driver.share_file(
        content=content, filename=filename, user_id=user_id, channel_id=CHANNEL
    )[:1]
    assert response.status == 200
    return bot.slack.wait_for(
        lambda slack: next(
            (
                m
                for m in slack.messages(CHANNEL)
                if m["ts"] not in before and m.get("bot_id") and m.get("thread_ts")
            ),
            None,
        )
    )


def press(bot, message: dict, action_id: str, user_id: str = OFFICER) -> None:
    element = next(
        e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action_id
    )
    response = bot.driver.block_action(
        user_id=user_id,
        action_id=action_id,
        value=element["value"],
        message=message,
        channel_id=CHANNEL,
    )
    assert response.status == 200


def buttons(message: dict) -> list[str]:
    return [
        e["text"]["text"]
        for b in message.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def create_from_first_share(bot) -> str:
    preview = share(bot, LETTER, "letter.txt")
    press(bot, preview, "draft_create")
    bot.slack.wait_for(lambda slack: len(bot.visits()) == 1)
    return bot.visits()[0].reference


def test_the_same_document_shared_again_names_the_visit_that_tracks_it(bot):
    reference = create_from_first_share(bot)
    again = share(bot, LETTER, "letter-again.txt", user_id=COLLEAGUE)
    shown = all_text(again["blocks"])
    assert (
        f"This letter is already tracked as `{reference}` (Saxonford: focused visit, shared by "
        f"<@{OFFICER}> on Wednesday 29 April 2026)"
    ) in shown
    assert buttons(again) == ["Open it", "Track it anyway", "Dismiss"]
    assert len(bot.visits()) == 1


def test_the_same_letter_in_another_file_is_recognised_by_authority_type_and_date(bot):
    reference = create_from_first_share(bot)
    # The same words laid out anew (as a PDF's text would be): another hash, the same letter.
    again = share(bot, LETTER.replace(b"\n\n", b"\n \n"), "letter.pdf.txt")
    assert "A letter from the same authority, of the same visit type and date" in all_text(
        again["blocks"]
    )
    assert f"`{reference}`" in all_text(again["blocks"])


def test_track_it_anyway_shows_the_preview_with_create_visit(bot):
    create_from_first_share(bot)
    again = share(bot, LETTER, "letter.txt")
    press(bot, again, "draft_track_anyway")
    redrawn = bot.slack.wait_for(
        lambda slack: (
            (m := slack.message(CHANNEL, again["ts"]))
            and "Letter read" in all_text(m.get("blocks", []))
            and m
        )
    )
    assert buttons(redrawn)[0] == "Create visit"
    press(bot, redrawn, "draft_create")
    bot.slack.wait_for(lambda slack: len(bot.visits()) == 2)


def add_ashcombe_visit(bot, *, start: date, end: date) -> str:
    with Session(bot.engine) as session:
        visit = repo.create_visit(
            session=session,
            team_id=TEAM,
            local_authority="Ashcombe",
            visit_type="standard_inspection",
            letter_date=date(2024, 3, 20),
            visit_dates=[start, end],
            inspectors=[],
            created_by=COLLEAGUE,
            channel_id=CHANNEL,
            now=datetime(2024, 3, 20, 9, tzinfo=UTC),
            milestones=[
                repo.NewMilestone(
                    kind="survey_deadline", label="Survey", due_date=date(2024, 5, 1), source="rule"
                )
            ],
        )
        session.commit()
        return visit.reference


def test_a_report_of_a_tracked_visit_is_kept_with_it(bot):
    reference = add_ashcombe_visit(bot, start=date(2024, 3, 4), end=date(2024, 3, 15))
    answer = share(bot, REPORT, "ashcombe-report.txt")
    shown = all_text(answer["blocks"])
    assert f"is the report of `{reference}`" in shown and "made no new one" in shown
    assert len(bot.visits()) == 1
    attached = [e for e in bot.audit() if e.action == "report_attached"]
    assert len(attached) == 1 and attached[0].note == "ashcombe-report.txt"


def test_a_report_whose_dates_are_not_the_visits_is_not_attached_and_offers_no_create(bot):
    add_ashcombe_visit(bot, start=date(2023, 1, 9), end=date(2023, 1, 20))
    answer = share(bot, REPORT, "ashcombe-report.txt")
    assert "I found no deadlines in this document" in all_text(answer["blocks"])
    assert "Create visit" not in buttons(answer)
    assert buttons(answer) == ["Add dates", "Dismiss"]
    assert not [e for e in bot.audit() if e.action == "report_attached"]
