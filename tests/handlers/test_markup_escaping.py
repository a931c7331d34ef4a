"""Nothing a person or a letter wrote is read by Slack as markup.

Hostile strings (`<!channel>`, `<!here>`, a mention, a channel link, a link hiding behind a
label) go in wherever people and letters put text: a visit's authority and inspectors, a
milestone's label, an evidence sentence, a file's name, a note, a reason, a typed reference.
Then every kind of post the bot makes is made through the real endpoint and dispatcher: channel
posts, reminders and their copies, previews, timelines, redrawn messages, modals, ephemeral
answers and the Home tab. Every text Slack reads as mrkdwn, as the stand-in recorded it, must
hold the markup escaped (shown as typed) and never raw; `plain_text` must hold it unescaped
(Slack does not read it as markup, so escaping it would show `&lt;` to the reader).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from bot.app import build_dispatcher
from bot.settings import Settings
from scheduler.planning import ReminderDefaults, replan_visit
from storage import repo
from tests.handlers.conftest import CHANNEL, OFFICER, TEAM

APPROVER = "U_DCS"
MARKUP = ("<!channel>", "<!here>", "<@U0BOSS>", "<#C0SECRET>", "<https://evil.example|")
HOSTILE = "<!channel> <!here> <@U0BOSS> <#C0SECRET> <https://evil.example|click here> Tom & Jerry"
ESCAPED = "&lt;!channel&gt;"
EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "bot"
    / "examples"
    / "focused-visit-final-report-cover.txt"
).read_text()
HOSTILE_LETTER = EXAMPLE.replace(
    "from the date of this letter.", f"from the date of this letter {HOSTILE}.", 1
).replace("Harriet Pemberton", "Harriet <!channel> Pemberton")
# Monday 27 April 2026 noon London; the reminders fall due at 09:00 on Tuesday 28 April.
CREATED = datetime(2026, 4, 27, 11, 0, tzinfo=UTC)
REMINDER_TIME = datetime(2026, 4, 28, 8, 0, tzinfo=UTC)


def texts_slack_reads(payload: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(mrkdwn, plain_text) in a Web API call's arguments or a response_url's payload."""
    mrkdwn: list[str] = [
        payload[key] for key in ("text", "initial_comment") if isinstance(payload.get(key), str)
    ]
    plain: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str) and node[:1] in ("{", "["):
            try:
                node = json.loads(node)
            except ValueError:
                return
        if isinstance(node, dict):
            if node.get("type") == "plain_text" and isinstance(node.get("text"), str):
                plain.append(node["text"])
                return
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                mrkdwn.append(node["text"])
                return
            for key, value in node.items():
                if key != "private_metadata":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for key in ("blocks", "view", "attachments"):
        walk(payload.get(key))
    return mrkdwn, plain


def everything_slack_was_sent(slack: Any) -> list[tuple[str, dict[str, Any]]]:
    sent = [(call.method, call.args) for call in slack.calls]
    sent += [(f"response:{response.via}", response.payload) for response in slack.responses]
    return sent


@pytest.fixture
def hostile_visit(bot, clock):
    """A visit whose every person- and letter-written field is hostile, with reminders planned."""
    clock.now = CREATED
    for person in (OFFICER, APPROVER, "U_OTHER"):
        bot.slack.ensure_user(person)
    with Session(bot.engine) as session:
        visit = repo.create_visit(
            session=session,
            team_id=TEAM,
            local_authority=f"Fernleigh {HOSTILE}",
            visit_type="focused_visit",
            letter_date=date(2026, 4, 22),
            visit_dates=[date(2026, 4, 14)],
            inspectors=[f"Jo {HOSTILE}"],
            created_by=OFFICER,
            channel_id=CHANNEL,
            approvers=[APPROVER],
            now=clock.now,
            milestones=[
                repo.NewMilestone(
                    kind="survey_deadline",
                    label=f"Survey {HOSTILE}",
                    due_date=date(2026, 5, 6),
                    source="letter",
                    evidence=f"We would be grateful {HOSTILE} by 6 May 2026.",
                    owner_user_id="U_OTHER",
                ),
                repo.NewMilestone(
                    kind="action_plan_draft_due",
                    label=f"Plan {HOSTILE}",
                    due_date=date(2026, 5, 6),
                    source="rule",
                    needs_approval=True,
                ),
            ],
        )
        replan_visit(session=session, visit=visit, defaults=ReminderDefaults(), now=clock.now)
        session.commit()
        return visit.reference


def _post_reminders(bot, clock) -> dict[int, dict[str, Any]]:
    clock.now = REMINDER_TIME
    settings = Settings(slack_bot_token=bot.slack.token, slack_api_url=bot.slack.api_url)
    dispatcher = build_dispatcher(settings=settings, engine=bot.engine, clock=clock)
    dispatcher.channel_interval = 0
    dispatcher.run_pass()
    posted = bot.slack.messages(CHANNEL)
    return {m["metadata"]["event_payload"]["milestone_id"]: m for m in posted if m.get("metadata")}


def _modal(bot, callback_id: str) -> dict[str, Any]:
    return bot.slack.wait_for(
        lambda slack: next(
            (v for v in slack.views.values() if v.get("callback_id") == callback_id), None
        )
    )


def _drive_every_surface(bot, clock, reference: str) -> None:
    reminders = _post_reminders(bot, clock)
    survey, plan = reminders[1], reminders[2]

    for text in ("list", f"show {reference}", "show <!channel>", "export <!here> csv"):
        _, before = bot.command(text)
        bot.next_response(before)
    bot.driver.app_home_opened(user_id=OFFICER)
    bot.driver.app_home_opened(user_id="U_OTHER")

    bot.driver.block_action(
        user_id=OFFICER, action_id="milestone_ack", message=survey, channel_id=CHANNEL
    )
    bot.slack.wait_for(lambda slack: bot.slack.calls_to("chat.update"))
    bot.driver.block_action(
        user_id="U_OTHER", action_id="milestone_ack", message=survey, channel_id=CHANNEL
    )
    bot.slack.wait_for(
        lambda slack: any("nothing was changed" in (r.text or "") for r in slack.responses)
    )

    bot.driver.block_action(
        user_id=OFFICER, action_id="milestone_done", message=survey, channel_id=CHANNEL
    )
    bot.driver.view_submission(
        user_id=OFFICER,
        view=_modal(bot, "milestone_done_modal"),
        values={"note": {"text": HOSTILE}},
    )
    bot.slack.wait_for(lambda slack: len(bot.slack.calls_to("chat.update")) >= 2)

    bot.driver.block_action(
        user_id=OFFICER, action_id="approval_request", message=plan, channel_id=CHANNEL
    )
    requested = bot.slack.wait_for(
        lambda slack: (
            (m := slack.message(CHANNEL, plan["ts"]))
            and "Reject" in json.dumps(m.get("blocks"))
            and m
        )
    )
    bot.driver.block_action(
        user_id=APPROVER, action_id="approval_reject", message=requested, channel_id=CHANNEL
    )
    bot.driver.view_submission(
        user_id=APPROVER,
        view=_modal(bot, "milestone_sign_off_modal"),
        values={"decision": {"choice": "rejected"}, "reason": {"text": HOSTILE}},
    )
    bot.slack.wait_for(
        lambda slack: "rejected it" in json.dumps(slack.message(CHANNEL, plan["ts"]).get("blocks"))
    )

    # Letters: a hostile file name and sentences, shared in the channel; a file that is no letter.
    bot.driver.share_file(
        content=HOSTILE_LETTER.encode(),
        filename=f"letter {HOSTILE}.txt",
        user_id=OFFICER,
        channel_id=CHANNEL,
    )
    preview = bot.slack.wait_for(
        lambda slack: next(
            (
                m
                for m in slack.messages(CHANNEL)
                if m.get("thread_ts") and "Letter read" in json.dumps(m.get("blocks"))
            ),
            None,
        )
    )
    bot.driver.block_action(
        user_id=OFFICER, action_id="draft_create", message=preview, channel_id=CHANNEL
    )
    bot.slack.wait_for(
        lambda slack: any("New visit by" in m.get("text", "") for m in slack.messages(CHANNEL))
    )
    bot.driver.share_file(
        content=b"Shopping list", filename=f"{HOSTILE}.txt", user_id=OFFICER, channel_id=CHANNEL
    )
    bot.slack.wait_for(lambda slack: slack.calls_to("chat.postEphemeral"))


def test_hostile_text_reaches_every_post_escaped_and_never_as_markup(bot, clock, hostile_visit):
    _drive_every_surface(bot, clock, hostile_visit)

    escaped_in: set[str] = set()
    for method, payload in everything_slack_was_sent(bot.slack):
        mrkdwn, plain = texts_slack_reads(payload)
        for text in mrkdwn:
            assert not any(markup in text for markup in MARKUP), (method, text)
            assert "&amp;lt;" not in text and "&amp;amp;" not in text, (
                method,
                text,
            )  # escaped once
            if ESCAPED in text:
                escaped_in.add(method)
        for text in plain:
            assert "&lt;" not in text and "&amp;" not in text, (method, text)  # shown as typed

    # Each kind of post carried the hostile text, so the checks above were not vacuous.
    assert {
        # reminders, their copy to the owner, the new visit's timeline, the preview
        "chat.postMessage",
        "chat.update",  # reminders redrawn with who did what (the note, the reason)
        "chat.postEphemeral",  # the answer to a shared file that is not a letter
        "views.publish",  # Home
        "views.open",  # the done and sign-off modals
        "response:ack",  # /ofsted list and show, answered in the ack
        "response:response_url",  # the answer to a click that came too late
    } <= escaped_in, escaped_in


def test_reminder_notification_text_is_escaped(bot, clock, hostile_visit):
    reminders = _post_reminders(bot, clock)

    for message in reminders.values():
        assert ESCAPED in message["text"] and "<!channel>" not in message["text"]
    owner_copy = next(
        c for c in bot.slack.calls_to("chat.postMessage") if c.args.get("channel") == "U_OTHER"
    )
    assert "Survey &lt;!channel&gt; &lt;!here&gt;" in owner_copy.args["text"]


def test_the_calendar_export_keeps_names_on_their_own_line():
    """A name with CR/LF (or `;` and `,`) cannot end an iCalendar line and start a property."""
    from icalendar import Calendar

    from handlers.core.exports import milestones_ics
    from storage.models import Milestone, Visit

    injected = "Fernleigh\r\nBEGIN:VEVENT\r\nSUMMARY:Pay the invoice; today, please\nX-INJECTED:1"
    visit = Visit(
        id=1,
        reference="fernleigh-2604",
        local_authority=injected,
        visit_type="jtai",
        status="open",
        created_at=CREATED,
    )
    milestone = Milestone(
        id=7,
        visit_id=1,
        kind="survey_deadline",
        label="Survey\r\nX-INJECTED:2",
        due_date=date(2026, 5, 6),
        source="letter",
        status="open",
        created_at=CREATED,
        updated_at=CREATED,
    )

    exported = milestones_ics(visit=visit, milestones=[milestone], now=CREATED)

    assert b"\r\nX-INJECTED" not in exported and b"\r\nSUMMARY:Pay" not in exported
    calendar = Calendar.from_ical(exported)
    # One line, its `;` and `,` escaped as RFC 5545 text (icalendar leaves an X- name's value as
    # is).
    assert str(calendar["X-WR-CALNAME"]) == (
        "Ofsted: Fernleigh BEGIN:VEVENT SUMMARY:Pay the invoice\\; today\\, please X-INJECTED:1: "
        "joint targeted area inspection"
    )
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]).startswith("Survey X-INJECTED:2 (due): Fernleigh BEGIN:VEVENT")
