"""A visit through its weeks: events and decision windows pass without an overdue reminder,
late reminders say what is true the day they go out, escalation names who was told."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from sqlmodel import Session, select

from bot.app import build_dispatcher
from bot.settings import Settings
from scheduler.calendar import LONDON
from scheduler.planning import ReminderDefaults, replan_visit
from storage import repo
from storage.models import LetterDraft, Reminder
from tests.factories import pdf_from_text
from tests.handlers.conftest import CHANNEL, OFFICER, TEAM, all_text

# The 2021 covering letter: dated Tuesday 22 June 2021; complaint window closes 29 June,
# publication (embargo lift) expected 2 July, factual-accuracy comments (a task) due 29 June.
LETTER = date(2021, 6, 22)


def _visit(bot, clock, *, milestones, escalation_user_id=None):
    for person in (OFFICER, "U_HEAD"):
        bot.slack.ensure_user(person)
    with Session(bot.engine) as session:
        visit = repo.create_visit(
            session=session,
            team_id=TEAM,
            local_authority="St Helens",
            visit_type="focused_visit",
            letter_date=LETTER,
            visit_dates=[],
            inspectors=[],
            created_by=OFFICER,
            channel_id=CHANNEL,
            now=clock.now,
            milestones=milestones,
        )
        visit.escalation_user_id = escalation_user_id
        session.add(visit)
        replan_visit(session=session, visit=visit, defaults=ReminderDefaults(), now=clock.now)
        session.commit()
        return visit.reference


def _dispatcher(bot, clock):
    settings = Settings(slack_bot_token=bot.slack.token, slack_api_url=bot.slack.api_url)
    dispatcher = build_dispatcher(settings=settings, engine=bot.engine, clock=clock)
    dispatcher.channel_interval = 0
    return dispatcher


def _walk(bot, clock, dispatcher, *, until: date) -> list[tuple[date, str, str]]:
    """Every working day's 09:00 pass (London) up to `until`: what was posted in the channel."""
    posted = []
    day = clock.now.astimezone(LONDON).date()
    while day <= until:
        clock.now = datetime(day.year, day.month, day.day, 8, 5, tzinfo=UTC)
        before = len(bot.slack.messages(CHANNEL))
        dispatcher.run_pass()
        for message in bot.slack.messages(CHANNEL)[before:]:
            posted.append((day, message["text"], all_text(message.get("blocks", []))))
        day += timedelta(days=1)
    return posted


@pytest.fixture
def letter_visit(bot, clock):
    clock.now = datetime(2021, 6, 22, 15, 0, tzinfo=UTC)
    return _visit(
        bot,
        clock,
        milestones=[
            repo.NewMilestone(
                kind="complaint_deadline",
                label="Complaint window closes",
                due_date=date(2021, 6, 29),
                source="letter",
                needs_approval=True,
            ),
            repo.NewMilestone(
                kind="embargo_lift",
                label="Embargo lifts (publication)",
                due_date=date(2021, 7, 2),
                source="rule",
                estimate=True,
            ),
        ],
    )


def test_the_embargo_and_the_complaint_window_pass_without_overdue_or_escalation(
    bot, clock, letter_visit
):
    posted = _walk(bot, clock, _dispatcher(bot, clock), until=date(2021, 7, 16))
    texts = [text for _, text, _ in posted]
    assert not any("Overdue" in text or "Escalated" in text for text in texts), texts
    # The embargo is announced on its day, as expected rather than due, and never again after.
    embargo = [(day, shown) for day, text, shown in posted if "Embargo" in text]
    on_the_day = [shown for day, shown in embargo if day == date(2021, 7, 2)]
    assert len(on_the_day) == 1
    assert "The embargo lifts today: the report may be shared." in on_the_day[0]
    assert "Expected *Friday 2 July 2021*" in on_the_day[0]
    assert all(day <= date(2021, 7, 2) for day, _ in embargo)
    # The complaint window asks for the decision beforehand, then closes once, with what was
    # decided (nothing here).
    window = [(day, shown) for day, text, shown in posted if "Complaint" in text]
    assert any("Decide whether to complain" in shown for _, shown in window)
    closed = [(day, shown) for day, shown in window if "Closed" in shown]
    assert [day for day, _ in closed] == [date(2021, 6, 30)]
    assert "no decision was recorded" in closed[0][1]
    # Both are done by themselves, by the bot, and audited so.
    assert {m.kind: m.status for m in bot.milestones()} == {
        "complaint_deadline": "done",
        "embargo_lift": "done",
    }
    closings = [e for e in bot.audit() if e.action == "milestone_status_changed"]
    assert {e.actor_user_id for e in closings} == {"system"}
    assert any("the window closed" in (e.note or "") for e in closings)


def test_the_timeline_and_the_calendar_say_each_milestones_nature(bot, clock, letter_visit):
    _, before = bot.command(f"show {letter_visit}")
    shown = all_text(bot.next_response(before).blocks)
    assert "decision window" in shown and "event" in shown
    assert "expected Friday 2 July 2021" in shown
    bot.command(f"export {letter_visit} ics")
    upload = bot.slack.wait_for(lambda slack: slack.uploads[0] if slack.uploads else None)
    events = icalendar.Calendar.from_ical(upload.content).walk("VEVENT")
    embargo = next(e for e in events if "Embargo" in str(e["summary"]))
    assert "(expected)" in str(embargo["summary"])
    assert "Kind: event (happens by itself" in str(embargo["description"])


def _task(due: date) -> repo.NewMilestone:
    return repo.NewMilestone(
        kind="factual_accuracy_due",
        label="Factual-accuracy comments due",
        due_date=due,
        source="letter",
    )


def test_a_reminder_posted_late_takes_the_kind_of_the_day_it_goes_out(bot, clock):
    clock.now = datetime(2021, 6, 22, 15, 0, tzinfo=UTC)
    _visit(bot, clock, milestones=[_task(date(2021, 6, 29))], escalation_user_id="U_HEAD")
    dispatcher = _dispatcher(bot, clock)
    _walk(bot, clock, dispatcher, until=date(2021, 6, 30))  # overdue on the 30th
    # The bot is down for three working days; the reminder planned for 1 July goes out on the
    # 6th, when the milestone is five working days overdue: escalated, and the contact told.
    clock.now = datetime(2021, 7, 6, 10, 0, tzinfo=UTC)
    before = len(bot.slack.messages(CHANNEL))
    dispatcher.run_pass()
    (late,) = bot.slack.messages(CHANNEL)[before:]
    assert late["text"].startswith("Escalated")
    assert "5 working days overdue" in late["text"]
    assert any("Escalated" in m["text"] for m in bot.slack.messages("U_HEAD"))


def test_escalated_only_when_someone_is_told_and_it_says_who(bot, clock):
    clock.now = datetime(2021, 6, 22, 15, 0, tzinfo=UTC)
    _visit(bot, clock, milestones=[_task(date(2021, 6, 29))])  # no escalation contact
    posted = _walk(bot, clock, _dispatcher(bot, clock), until=date(2021, 7, 5))
    escalated = [shown for _, text, shown in posted if text.startswith("Escalated")]
    assert escalated, [text for _, text, _ in posted]
    assert f"No escalation contact is set for this visit, so I told <@{OFFICER}>" in escalated[0]
    assert any(m["text"].startswith("Escalated") for m in bot.slack.messages(OFFICER))


def test_an_old_letter_entered_late_is_caught_up_in_one_post(bot, clock):
    clock.now = datetime(2021, 7, 20, 15, 0, tzinfo=UTC)
    _visit(
        bot,
        clock,
        milestones=[
            _task(date(2021, 6, 29)),
            repo.NewMilestone(
                kind="survey_deadline",
                label="Post-inspection survey due",
                due_date=date(2021, 7, 9),
                source="letter",
            ),
            repo.NewMilestone(
                kind="embargo_lift",
                label="Embargo lifts (publication)",
                due_date=date(2021, 7, 2),
                source="letter",
            ),
        ],
    )
    dispatcher = _dispatcher(bot, clock)
    clock.now = datetime(2021, 7, 21, 8, 5, tzinfo=UTC)
    before = len(bot.slack.messages(CHANNEL))
    dispatcher.run_pass()
    posts = bot.slack.messages(CHANNEL)[before:]
    assert len(posts) == 1
    shown = all_text(posts[0]["blocks"])
    assert "Factual-accuracy comments due" in shown and "Post-inspection survey due" in shown
    assert "Also passed before I knew of this visit" in shown
    # The embargo that had passed closed without a word.
    assert {m.kind: m.status for m in bot.milestones()}["embargo_lift"] == "done"
    with Session(bot.engine) as session:
        pending = session.exec(select(Reminder).where(Reminder.status == "pending")).all()
    assert pending, "the tasks are still chased from the next working day"
    # Chased as one post a day for the visit, never escalated: they were late before anyone
    # could act on them.
    later = _walk(bot, clock, dispatcher, until=date(2021, 7, 27))
    days = [day for day, _, _ in later]
    assert days == sorted(set(days)) and len(days) == 4  # 22, 23, 26, 27 July
    assert not any("Escalated" in text for _, text, _ in later)
    assert bot.slack.messages("U_HEAD") == []


# --- Old letters --------------------------------------------------------------------------------

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "bot"
    / "examples"
    / "focused-visit-final-report-cover.txt"
).read_text()


def _old_letter_preview(bot, clock):
    """The example letter (28 April 2026) shared a year later: every date has passed."""
    clock.now = datetime(2027, 5, 4, 9, 0, tzinfo=UTC)
    bot.driver.share_file(
        content=pdf_from_text(EXAMPLE), filename="letter.pdf", user_id=OFFICER, channel_id=CHANNEL
    )

    def find(slack):
        return next(
            (
                m
                for m in slack.messages(CHANNEL)
                if m.get("thread_ts") and "Letter read" in all_text(m.get("blocks", []))
            ),
            None,
        )

    preview = bot.slack.wait_for(find, timeout=30)

    def noted(_slack):
        with Session(bot.engine) as session:
            return session.exec(
                select(LetterDraft).where(LetterDraft.preview_ts == preview["ts"])
            ).first()

    bot.slack.wait_for(noted, timeout=30)
    return preview


def test_an_old_letter_tracked_as_a_record_posts_nothing(bot, clock):
    preview = _old_letter_preview(bot, clock)
    shown = all_text(preview["blocks"])
    assert "Every date in this letter has passed" in shown
    buttons = [
        e["text"]["text"]
        for b in preview["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert buttons[0] == "Track as a record"
    bot.driver.block_action(
        user_id=OFFICER, action_id="draft_track_as_record", message=preview, channel_id=CHANNEL
    )
    bot.slack.wait_for(lambda slack: bot.visits() or None)
    bot.slack.wait_for(
        lambda slack: (
            "kept this letter as a record"
            in all_text((slack.message(CHANNEL, preview["ts"]) or {}).get("blocks", []))
            or None
        )
    )
    (visit,) = bot.visits()
    assert visit.status == "closed"
    assert "visit_kept_as_record" in [e.action for e in bot.audit()]
    with Session(bot.engine) as session:
        assert session.exec(select(Reminder).where(Reminder.status == "pending")).all() == []
    # The next weeks' passes post nothing for it.
    _walk(bot, clock, _dispatcher(bot, clock), until=date(2027, 5, 14))
    reminders = [
        m for m in bot.slack.messages(CHANNEL) if (m.get("metadata") or {}).get("event_type")
    ]
    assert reminders == []


def test_not_complaining_is_a_decision_signed_off_before_it_is_waived(bot, clock, letter_visit):
    clock.now = datetime(2021, 6, 23, 9, 0, tzinfo=UTC)
    _, before = bot.command(f"show {letter_visit}")
    timeline = bot.next_response(before)
    ephemeral = {
        "type": "message",
        "message_ts": "1.0",
        "channel_id": CHANNEL,
        "is_ephemeral": True,
    }
    bot.driver.block_action(
        user_id=OFFICER,
        action_id="milestone_menu",
        value="milestone_waive:1",
        message={"ts": "1.0", "blocks": timeline.blocks},
        channel_id=CHANNEL,
        container=ephemeral,
    )
    modal = bot.slack.wait_for(
        lambda slack: next(
            (v for v in slack.views.values() if v.get("callback_id") == "milestone_waive_modal"),
            None,
        )
    )
    before = len(bot.slack.ephemerals)
    bot.driver.view_submission(
        user_id=OFFICER, view=modal, values={"reason": {"text": "We will not complain"}}
    )
    bot.slack.wait_for(
        lambda slack: (
            any(
                "a decision to sign off first" in (m.get("text") or "")
                for m in [*slack.ephemerals[before:], *slack.messages(OFFICER)]
            )
            or None
        )
    )
    assert {m.kind: m.status for m in bot.milestones()}["complaint_deadline"] == "open"
