"""The audit CSV names people beside their Slack IDs and says its actions plainly; a settings
save logs only the fields that changed."""

from __future__ import annotations

import csv
import io

from handlers.slack.members import UserNames
from tests.handlers.conftest import CHANNEL, OFFICER
from tests.handlers.test_milestone_buttons import _click, reminder  # noqa: F401 (a fixture)
from tests.handlers.test_visits import _visit

PRIYA = "U01QAOFFICER"  # Priya Shah, in the stand-in's directory


def exported_rows(bot, reference: str) -> list[dict[str, str]]:
    before = len(bot.slack.uploads)
    bot.command(f"export {reference} csv")
    upload = bot.slack.wait_for(
        lambda slack: slack.uploads[-1] if len(slack.uploads) > before else None
    )
    return list(csv.DictReader(io.StringIO(upload.content.decode())))


def test_the_csv_names_people_and_says_actions_plainly(bot, reminder):  # noqa: F811
    bot.slack.add_user(OFFICER, real_name="Olu Officer")
    message = next(iter(reminder.values()))
    row = message["blocks"][-1]["block_id"]
    _click(bot, message, "milestone_assign", value=PRIYA, block_id=row)
    bot.slack.wait_for(lambda slack: any(m.owner_user_id == PRIYA for m in bot.milestones()))
    rows = exported_rows(bot, bot.visits()[0].reference)
    owner = next(row for row in rows if row["action"] == "owner changed")
    assert (owner["who"], owner["name"]) == (OFFICER, "Olu Officer")
    assert owner["note"] == "owner nobody → Priya Shah (U01QAOFFICER)"
    assert rows[0]["action"] == "visit created"
    assert not any("_" in row["action"] for row in rows)


def test_a_person_slack_will_not_describe_has_no_name_and_is_asked_again_later(bot):
    ticks = iter([0.0, 30.0, 120.0])
    names = UserNames(clock=lambda: next(ticks))
    client = bot_client(bot)
    assert names.name_of(client, "U_NOBODY") is None
    assert names.name_of(client, "U_NOBODY") is None  # kept: Slack is not asked again
    calls = [c for c in bot.slack.calls if c.method == "users.info"]
    assert len(calls) == 1
    bot.slack.add_user("U_NOBODY", real_name="Now Known")
    assert names.name_of(client, "U_NOBODY") == "Now Known"  # a minute on: asked again


def bot_client(bot):
    from slack_sdk import WebClient

    return WebClient(token=bot.slack.token, base_url=bot.slack.api_url)


def test_a_settings_save_logs_only_the_fields_that_changed(bot):
    reference = _visit(bot)
    bot.command(f"settings {reference}")
    modal = bot.slack.wait_for(
        lambda slack: next(
            (v for v in slack.views.values() if v.get("callback_id") == "visit_settings_modal"),
            None,
        )
    )
    shown = {b["block_id"]: b["element"] for b in modal["blocks"] if b.get("type") == "input"}
    bot.driver.view_submission(
        user_id=OFFICER,
        view=modal,
        values={
            "channel": {"channel": CHANNEL},
            "reminder_time": {"text": shown["reminder_time"]["initial_value"]},
            "reminder_offsets": {"text": shown["reminder_offsets"]["initial_value"]},
            "approvers": {"users": ["U_DCS"]},
            "escalation": {"user": "U_DCS"},
        },
    )
    bot.slack.wait_for(lambda slack: len(bot.audit()) == 2)
    (saved,) = [e for e in bot.audit() if e.action == "settings_changed"]
    assert saved.note == "escalation default → U_DCS"
    visit = bot.visits()[0]
    assert (visit.reminder_time, visit.reminder_offsets) == (None, None)
