"""The logs never hold a letter's text, a note or a token: not in a message, not in a traceback.

A letter under embargo and the notes people write about it are confidential; logs go to places
(hosting dashboards, support tickets) with wider readership. The bot logs at INFO, as
`ofsted-bot serve` does; a failed statement's traceback names its SQL, never its parameters.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from tests.handlers.conftest import CHANNEL, OFFICER, SIGNING_SECRET

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "bot"
    / "examples"
    / "focused-visit-final-report-cover.txt"
).read_text()
LETTER_SECRET = "SECRET-FINDING-7731"
NOTE_SECRET = "NOTE-SECRET-4417"
LETTER = EXAMPLE.replace(
    "grateful for your feedback by", f"grateful for your feedback on {LETTER_SECRET} by"
).replace("Thank you for your help", f"Inspectors saw {LETTER_SECRET}. Thank you for your help")
NEXT_MORNING = datetime(2026, 4, 29, 8, 0, tzinfo=UTC)
# A fault in the database itself, made by the test: the insert of an audit event carrying the
# note fails, as a full disk or a broken constraint would make it fail.
FAILING_INSERT = f"""
CREATE TRIGGER the_disk_is_full BEFORE INSERT ON audit_events
WHEN NEW.note LIKE '%{NOTE_SECRET}%'
BEGIN SELECT RAISE(ABORT, 'the disk is full'); END
"""


def _mark_survey_done_from_the_timeline(bot, reference: str, note: str) -> None:
    _, before = bot.command(f"show {reference}")
    timeline = bot.next_response(before)
    menu = next(
        b
        for b in timeline.blocks
        if b.get("accessory", {}).get("action_id") == "milestone_menu"
        and "survey" in b["text"]["text"].lower()
    )["accessory"]
    done = next(o for o in menu["options"] if o["value"].startswith("milestone_done:"))
    bot.driver.block_action(
        user_id=OFFICER,
        action_id="milestone_menu",
        value=done["value"],
        message={"ts": "1.0", "blocks": timeline.blocks},
        channel_id=CHANNEL,
        container={
            "type": "message",
            "message_ts": "1.0",
            "channel_id": CHANNEL,
            "is_ephemeral": True,
        },
    )
    modal = bot.slack.wait_for(
        lambda slack: next(
            (v for v in slack.views.values() if v.get("callback_id") == "milestone_done_modal"),
            None,
        )
    )
    bot.driver.view_submission(user_id=OFFICER, view=modal, values={"note": {"text": note}})


def test_a_letter_intake_and_a_failing_statement_leave_no_letter_text_note_or_token_in_the_logs(
    bot, clock, caplog
):
    caplog.set_level(logging.INFO)
    clock.now = NEXT_MORNING

    bot.driver.share_file(
        content=LETTER.encode(), filename="letter.txt", user_id=OFFICER, channel_id=CHANNEL
    )
    preview = bot.slack.wait_for(
        lambda slack: next(
            (m for m in slack.messages(CHANNEL) if m.get("thread_ts") and m.get("blocks")), None
        )
    )
    assert LETTER_SECRET in str(preview["blocks"])  # the letter's sentence was read and shown
    bot.driver.block_action(
        user_id=OFFICER, action_id="draft_create", message=preview, channel_id=CHANNEL
    )
    bot.slack.wait_for(
        lambda slack: any("New visit by" in m.get("text", "") for m in slack.messages(CHANNEL))
    )
    with bot.engine.begin() as connection:
        connection.exec_driver_sql(FAILING_INSERT)

    _mark_survey_done_from_the_timeline(
        bot, "saxonford-2604", f"Sent through the portal; {NOTE_SECRET}"
    )

    bot.slack.wait_for(
        lambda slack: any("went wrong" in m.get("text", "") for m in slack.messages(OFFICER))
    )
    bot.slack.wait_for(lambda slack: "the disk is full" in caplog.text)
    assert "SQL parameters hidden" in caplog.text  # the failure was logged, with its SQL
    for secret in (LETTER_SECRET, NOTE_SECRET, bot.slack.token, SIGNING_SECRET):
        assert secret not in caplog.text, secret


def test_a_failed_statement_names_its_sql_but_not_its_parameters(engine: Engine):
    with pytest.raises(DBAPIError) as failed, engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_events (visit_id, actor_user_id, action, outcome, note, at) "
                "VALUES (999, 'U1', 'milestone_status_changed', 'ok', :note, :at)"
            ),
            {"note": f"status open → done; {NOTE_SECRET}", "at": NEXT_MORNING},
        )

    assert "INSERT INTO audit_events" in str(failed.value)
    assert NOTE_SECRET not in str(failed.value)
