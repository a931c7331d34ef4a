"""Changing a visit after creation, through signed requests: a date moved (audited with both
dates, reminders planned again, the calendar entry's SEQUENCE up), an expected date confirmed,
a milestone waived and brought back, a visit reopened, a milestone added; managers only."""

from datetime import UTC, date, datetime

import icalendar
import pytest
from sqlmodel import Session, select

from bot.app import build_dispatcher
from bot.settings import Settings
from scheduler.calendar import london_date
from scheduler.planning import ReminderDefaults, replan_visit
from storage import repo
from storage.models import Reminder
from tests.handlers.conftest import CHANNEL, OFFICER, TEAM, all_text

MEMBER = "U_MEMBER"  # in the channel, not a manager
REFERENCE = "fernleigh-2604"


@pytest.fixture
def posted(bot, clock):
    """A visit with a survey (due 6 May) and an expected publication date (8 May); the survey's
    first reminder posted by the real dispatcher, on Tuesday 28 April 2026."""
    clock.now = datetime(2026, 4, 27, 12, 0, tzinfo=UTC)
    for person in (OFFICER, MEMBER):
        bot.slack.ensure_user(person)
    bot.slack.ensure_channel(CHANNEL)
    bot.slack.set_members(CHANNEL, [OFFICER, MEMBER])
    with Session(bot.engine) as session:
        visit = repo.create_visit(
            session=session,
            team_id=TEAM,
            local_authority="Fernleigh",
            visit_type="focused_visit",
            letter_date=date(2026, 4, 22),
            visit_dates=[],
            inspectors=[],
            created_by=OFFICER,
            channel_id=CHANNEL,
            now=clock.now,
            milestones=[
                repo.NewMilestone(
                    kind="survey_deadline",
                    label="Post-inspection survey due",
                    due_date=date(2026, 5, 6),
                    source="letter",
                ),
                repo.NewMilestone(
                    kind="embargo_lift",
                    label="Embargo lifts (publication)",
                    due_date=date(2026, 5, 8),
                    source="rule",
                    estimate=True,
                ),
            ],
        )
        replan_visit(session=session, visit=visit, defaults=ReminderDefaults(), now=clock.now)
        session.commit()
    clock.now = datetime(2026, 4, 28, 8, 0, tzinfo=UTC)
    settings = Settings(slack_bot_token=bot.slack.token, slack_api_url=bot.slack.api_url)
    dispatcher = build_dispatcher(settings=settings, engine=bot.engine, clock=clock)
    dispatcher.channel_interval = 0
    dispatcher.run_pass()
    (survey,) = [m for m in bot.slack.messages(CHANNEL) if "survey" in m["text"].lower()]
    return survey


def _pick(bot, message, value, *, user_id=OFFICER, **extra):
    before = len(bot.slack.responses)
    response = bot.driver.block_action(
        user_id=user_id,
        action_id="milestone_menu",
        value=value,
        message=message,
        channel_id=CHANNEL,
        **extra,
    )
    assert response.status == 200 and response.within_ack_deadline
    return before


def _modal(bot, callback_id):
    return bot.slack.wait_for(
        lambda slack: next(
            (v for v in slack.views.values() if v.get("callback_id") == callback_id), None
        )
    )


def _milestone(bot, milestone_id):
    return next(m for m in bot.milestones() if m.id == milestone_id)


def _pending(bot, milestone_id):
    with Session(bot.engine) as session:
        rows = session.exec(
            select(Reminder).where(
                Reminder.milestone_id == milestone_id, Reminder.status == "pending"
            )
        ).all()
    return sorted(rows, key=lambda row: row.due_at)


def _ics_event(bot, label):
    uploads = len(bot.slack.uploads)
    bot.command(f"export {REFERENCE} ics")
    upload = bot.slack.wait_for(
        lambda slack: slack.uploads[uploads] if len(slack.uploads) > uploads else None
    )
    events = icalendar.Calendar.from_ical(upload.content).walk("VEVENT")
    return next(e for e in events if label in str(e["summary"]))


def _timeline(bot):
    _, before = bot.command(f"show {REFERENCE}")
    return bot.next_response(before)


def _menu_values(block):
    return [o["value"] for o in block["accessory"]["options"]]


def test_a_date_change_is_audited_with_both_dates_and_replans_its_reminders(bot, clock, posted):
    sequence_before = int(_ics_event(bot, "survey")["sequence"])
    clock.now = datetime(2026, 4, 28, 10, 0, tzinfo=UTC)
    _pick(bot, posted, "milestone_change_date:1")
    modal = _modal(bot, "milestone_change_date_modal")
    bot.driver.view_submission(
        user_id=OFFICER,
        view=modal,
        values={"due": {"date": "2026-05-13"}, "reason": {"text": "Ofsted agreed an extension"}},
    )
    bot.slack.wait_for(lambda slack: _milestone(bot, 1).due_date == date(2026, 5, 13) or None)
    (event,) = [e for e in bot.audit() if e.action == "milestone_due_date_changed"]
    assert event.actor_user_id == OFFICER
    assert event.note == "date 2026-05-06 → 2026-05-13; Ofsted agreed an extension"
    # The reminders follow the new date: 5, 2, 1 and 0 working days before 13 May.
    assert [london_date(r.due_at) for r in _pending(bot, 1)][:4] == [
        date(2026, 5, 6),
        date(2026, 5, 11),
        date(2026, 5, 12),
        date(2026, 5, 13),
    ]
    # The reminder it came from is redrawn with the new date; the calendar entry is updated.
    bot.slack.wait_for(
        lambda slack: (
            "Wednesday 13 May 2026" in all_text(slack.message(CHANNEL, posted["ts"])["blocks"])
        )
    )
    assert int(_ics_event(bot, "survey")["sequence"]) > sequence_before


def test_waive_then_undo_stops_then_restarts_the_reminders(bot, clock, posted):
    _pick(bot, posted, "milestone_waive:1")
    modal = _modal(bot, "milestone_waive_modal")
    bot.driver.view_submission(
        user_id=OFFICER, view=modal, values={"reason": {"text": "Not needed for this visit"}}
    )
    bot.slack.wait_for(lambda slack: _milestone(bot, 1).status == "waived" or None)
    assert _pending(bot, 1) == []
    (waived,) = [e for e in bot.audit() if "→ waived" in (e.note or "")]
    assert waived.note == "status open → waived; Not needed for this visit"
    redrawn = bot.slack.wait_for(
        lambda slack: (
            (m := slack.message(CHANNEL, posted["ts"]))
            and "milestone_undo:1" in str(m["blocks"])
            and m
        )
    )
    _pick(bot, redrawn, "milestone_undo:1")
    bot.slack.wait_for(lambda slack: _milestone(bot, 1).status == "open" or None)
    assert _pending(bot, 1), "reminded again"


def test_an_expected_date_stays_expected_everywhere_until_confirmed(bot, clock, posted):
    timeline = _timeline(bot)
    assert "*Embargo lifts (publication)*: expected Friday 8 May 2026" in all_text(timeline.blocks)
    bot.driver.app_home_opened(user_id=OFFICER)
    home = bot.slack.wait_for(lambda slack: slack.home_views.get(OFFICER))
    assert "expected Friday 8 May 2026" in all_text(home["blocks"])
    assert "(expected)" in str(_ics_event(bot, "Embargo")["summary"])
    # A reminder of it says expected too (5 working days before: Friday 1 May).
    clock.now = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    settings = Settings(slack_bot_token=bot.slack.token, slack_api_url=bot.slack.api_url)
    dispatcher = build_dispatcher(settings=settings, engine=bot.engine, clock=clock)
    dispatcher.run_pass()
    embargo = next(m for m in bot.slack.messages(CHANNEL) if "Embargo" in m["text"])
    assert "Expected *Friday 8 May 2026*" in all_text(embargo["blocks"])

    # Confirmed from the timeline's menu: now a date, no longer an estimate.
    line = next(b for b in timeline.blocks if b.get("block_id", "").endswith(":2"))
    assert "milestone_confirm_date:2" in _menu_values(line)
    _pick(
        bot,
        {"ts": "1.0", "blocks": timeline.blocks},
        "milestone_confirm_date:2",
        container={
            "type": "message",
            "message_ts": "1.0",
            "channel_id": CHANNEL,
            "is_ephemeral": True,
        },
    )
    bot.slack.wait_for(lambda slack: not _milestone(bot, 2).estimate or None)
    assert any(e.action == "milestone_date_confirmed" for e in bot.audit())
    assert "due Friday 8 May 2026" in all_text(_timeline(bot).blocks)


def test_changes_are_for_managers_and_a_refusal_is_audited(bot, posted):
    before = _pick(bot, posted, "milestone_change_date:1", user_id=MEMBER)
    answer = bot.slack.wait_for(
        lambda slack: next(
            (r for r in slack.responses[before:] if "managers" in (r.text or "")), None
        )
    )
    assert "Only this visit's managers can change or waive its dates" in answer.text
    assert not [v for v in bot.slack.views.values() if "change_date" in v.get("callback_id", "")]
    refusals = [(e.action, e.actor_user_id) for e in bot.audit() if e.outcome == "refused"]
    assert refusals == [("milestone_due_date_changed", MEMBER)]
    assert _milestone(bot, 1).due_date == date(2026, 5, 6)


def test_a_closed_visit_must_be_reopened_before_its_milestones_change(bot, posted):
    _, before = bot.command(f"close {REFERENCE}")
    bot.next_response(before)
    assert _pending(bot, 1) == []
    before = _pick(bot, posted, "milestone_waive:1")
    answer = bot.slack.wait_for(
        lambda slack: next(
            (r for r in slack.responses[before:] if "reopen" in (r.text or "")), None
        )
    )
    assert f"`{REFERENCE}` is closed: reopen it before changing its milestones." in answer.text

    _, before = bot.command(f"reopen {REFERENCE}", user_id=MEMBER)
    assert "Only this visit's managers can reopen it" in bot.next_response(before).text
    _, before = bot.command(f"reopen {REFERENCE}")
    assert f"Reopened `{REFERENCE}`" in bot.next_response(before).text
    assert bot.visits()[0].status == "open"
    assert _pending(bot, 1), "its reminders are planned again"
    assert [e.action for e in bot.audit()][-1] == "visit_reopened"


def test_a_milestone_of_the_councils_own_is_added_with_its_reminders(bot, posted):
    bot.command(f"add {REFERENCE}")
    modal = _modal(bot, "milestone_add_modal")
    bot.driver.view_submission(
        user_id=OFFICER,
        view=modal,
        values={
            "label": {"text": "Cabinet approves the action plan"},
            "due": {"date": "2026-05-20"},
            "nature": {"choice": "event"},
        },
    )
    added = bot.slack.wait_for(
        lambda slack: next((m for m in bot.milestones() if m.source == "manual"), None)
    )
    assert (added.label, added.kind, added.due_date) == (
        "Cabinet approves the action plan",
        "custom_event",
        date(2026, 5, 20),
    )
    assert {r.kind for r in _pending(bot, added.id)} >= {"ahead", "due_day", "closing"}
    assert any(e.action == "milestone_added" for e in bot.audit())
