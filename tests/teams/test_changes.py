"""Changing a visit's dates from a Teams timeline: Change date and Waive (a form in the card),
Undo, each answered with the timeline redrawn in place naming who did what; only the visit's
managers may, and anyone else is refused plainly with nothing changed."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from bot.offline.connector import Recorded
from storage.models import AuditEvent, Milestone
from tests.teams.conftest import TeamsBotUnderTest
from tests.teams.test_letters_and_visits import IN_CHANNEL, actions, attach_letter, click


def a_timeline(bot: TeamsBotUnderTest) -> Recorded:
    click(bot, attach_letter(bot, **IN_CHANNEL), "createVisit", **IN_CHANNEL)
    [timeline] = bot.say("show saxonford-2604", **IN_CHANNEL)
    return timeline


def press_first(
    bot: TeamsBotUnderTest,
    shown: Recorded | dict[str, Any],
    verb: str,
    *,
    user_id: str = "29:alice",
    inputs: dict[str, str] | None = None,
    which: int = 0,
) -> tuple[int, Any]:
    """Press a `verb` button on a card (one per milestone, `which` of them): its milestone and
    the answer."""
    button = [
        a
        for a in actions(shown.cards if isinstance(shown, Recorded) else shown)
        if a["verb"] == verb
    ][which]
    answer = click(bot, shown, verb, user_id=user_id, inputs=inputs, which=which, **IN_CHANNEL)
    return int(button["data"]["milestoneId"]), answer


def test_change_date_moves_it_and_the_timeline_says_who_and_why(
    teams_bot: TeamsBotUnderTest,
) -> None:
    timeline = a_timeline(teams_bot)
    puts_before = len(teams_bot.connector.calls("PUT"))

    milestone_id, answer = press_first(
        teams_bot,
        timeline,
        "changeDate",
        inputs={"due": "2026-06-01", "reason": "Ofsted agreed an extension"},
    )

    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    shown = json.dumps(answer["value"], ensure_ascii=False)
    assert "Latest: Alice Officer moved the due date" in shown
    assert "Ofsted agreed an extension" in shown
    assert "Monday 1 June 2026" in shown
    puts = teams_bot.connector.calls("PUT")
    assert len(puts) == puts_before + 1 and puts[-1].cards == [answer["value"]]
    with Session(teams_bot.engine) as session:
        moved = session.get(Milestone, milestone_id)
        assert moved is not None and moved.due_date.isoformat() == "2026-06-01"


def test_change_date_without_a_reason_changes_nothing(teams_bot: TeamsBotUnderTest) -> None:
    timeline = a_timeline(teams_bot)

    milestone_id, answer = press_first(
        teams_bot, timeline, "changeDate", inputs={"due": "2026-06-01", "reason": " "}
    )

    assert answer["type"] == "application/vnd.microsoft.activity.message"
    assert answer["value"] == "Say why the date moves, so the audit trail shows it."
    with Session(teams_bot.engine) as session:
        kept = session.get(Milestone, milestone_id)
        assert kept is not None and kept.due_date.isoformat() != "2026-06-01"


def test_waive_then_undo_and_someone_not_managing_is_refused(
    teams_bot: TeamsBotUnderTest,
) -> None:
    timeline = a_timeline(teams_bot)
    _, needs_sign_off = press_first(
        teams_bot, timeline, "waive", inputs={"reason": "No complaint to make"}
    )
    assert needs_sign_off["value"].startswith(
        "Not using **Complaint window closes** is a decision to sign off first"
    )

    # The last date (the report's publication) needs no sign-off to waive.
    _, refused = press_first(
        teams_bot, timeline, "waive", user_id="29:bob", inputs={"reason": "not needed"}, which=-1
    )
    milestone_id, waived = press_first(
        teams_bot, timeline, "waive", inputs={"reason": "Published early"}, which=-1
    )
    with Session(teams_bot.engine) as session:
        status_after_waive = session.get(Milestone, milestone_id).status  # type: ignore[union-attr]
    _, undone = press_first(teams_bot, waived["value"], "undo")

    assert refused["type"] == "application/vnd.microsoft.activity.message"
    assert refused["value"].startswith("Only this visit's managers")
    assert status_after_waive == "waived"
    assert "Alice Officer changed the status" in json.dumps(waived["value"])
    assert "Published early" in json.dumps(waived["value"])
    assert "Latest: Alice Officer changed the status" in json.dumps(undone["value"])
    with Session(teams_bot.engine) as session:
        assert session.get(Milestone, milestone_id).status == "open"  # type: ignore[union-attr]
        refusals = session.exec(select(AuditEvent).where(AuditEvent.outcome == "refused")).all()
        assert [e.actor_user_id for e in refusals] == ["29:bob"]
