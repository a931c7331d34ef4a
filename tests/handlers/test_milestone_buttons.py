"""The buttons on a reminder: every click audited once, the message redrawn, sign-off gated."""

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from bot.app import build_dispatcher
from bot.offline.standin import Delivery
from bot.settings import Settings
from scheduler.planning import ReminderDefaults, replan_visit
from storage import repo
from storage.models import Approval, Reminder
from tests.handlers.conftest import CHANNEL, OFFICER, TEAM, all_text

APPROVER = "U_DCS"
# Tuesday 28 April 2026, 09:00 London: the first reminder for a milestone due Wednesday 6 May.
REMINDER_TIME = datetime(2026, 4, 28, 8, 0, tzinfo=UTC)


@pytest.fixture
def reminder(bot, clock):
    """A reminder posted by the real dispatcher to the channel, as Slack shows it."""
    return post_reminders(bot, clock)


def post_reminders(bot, clock):
    """Two reminders (survey; draft action plan, with sign-off) posted by the real dispatcher,
    by milestone id."""
    clock.now = datetime(2026, 4, 27, 12, 0, tzinfo=UTC)
    for person in (OFFICER, APPROVER, "U_OTHER"):
        bot.slack.ensure_user(person)
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
            approvers=[APPROVER],
            now=clock.now,
            milestones=[
                repo.NewMilestone(
                    kind="survey_deadline",
                    label="Post-inspection survey due",
                    due_date=date(2026, 5, 6),
                    source="letter",
                ),
                repo.NewMilestone(
                    kind="action_plan_draft_due",
                    label="Draft action plan due",
                    due_date=date(2026, 5, 6),
                    source="rule",
                    needs_approval=True,
                ),
            ],
        )
        replan_visit(session=session, visit=visit, defaults=ReminderDefaults(), now=clock.now)
        session.commit()
    clock.now = REMINDER_TIME
    settings = Settings(slack_bot_token=bot.slack.token, slack_api_url=bot.slack.api_url)
    dispatcher = build_dispatcher(settings=settings, engine=bot.engine, clock=clock)
    dispatcher.channel_interval = 0
    dispatcher.run_pass()
    posted = bot.slack.messages(CHANNEL)
    assert len(posted) == 2
    return {m["metadata"]["event_payload"]["milestone_id"]: m for m in posted}


def _message(bot, ts):
    return bot.slack.message(CHANNEL, ts)


def _click(bot, message, action_id, *, user_id=OFFICER, **extra):
    response = bot.driver.block_action(
        user_id=user_id, action_id=action_id, message=message, channel_id=CHANNEL, **extra
    )
    assert response.status == 200 and response.within_ack_deadline
    return response


def _wait_redrawn(bot, ts, needle):
    return bot.slack.wait_for(
        lambda slack: (
            needle in all_text((slack.message(CHANNEL, ts) or {}).get("blocks", []))
            and slack.message(CHANNEL, ts)
        )
    )


def test_a_reminder_shows_its_date_working_days_and_buttons(reminder):
    survey = reminder[1]
    shown = all_text(survey["blocks"])
    assert "Reminder: *Post-inspection survey due*" in shown
    assert "Wednesday 6 May 2026" in shown and "5 working days left" in shown
    labels = [
        e.get("text", {}).get("text")
        for b in survey["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert labels[:3] == ["Acknowledge", "Mark done", "Snooze 1 working day"]
    plan = reminder[2]
    assert "Request sign-off" in str(plan["blocks"])


def test_acknowledge_is_audited_once_and_the_message_shows_who_and_when(bot, reminder):
    survey = reminder[1]
    first = _click(bot, survey, "milestone_ack")
    bot.driver.redeliver(
        first, retry_num=1, reason="http_timeout"
    )  # Slack's retry of the same click
    _click(bot, survey, "milestone_ack")  # a double click
    redrawn = _wait_redrawn(bot, survey["ts"], "changed the status")
    assert (
        "<@U_OFFICER> changed the status (status open → acknowledged), 09:00 Tuesday 28 April 2026"
        in all_text(redrawn["blocks"])
    )
    events = [e for e in bot.audit() if e.milestone_id == 1]
    assert [(e.action, e.actor_user_id, e.note) for e in events] == [
        ("milestone_status_changed", OFFICER, "status open → acknowledged")
    ]


def test_snooze_moves_the_next_reminder_to_the_next_working_day(bot, reminder, clock):
    survey = reminder[1]
    _click(bot, survey, "milestone_snooze")
    _wait_redrawn(bot, survey["ts"], "snoozed it")
    with Session(bot.engine) as session:
        milestone = repo.get_milestone(session=session, milestone_id=1, team_id=TEAM)
        assert milestone.snoozed_until == date(2026, 4, 29)
        pending = [
            r.due_at
            for r in session.exec(
                select(Reminder).where(Reminder.milestone_id == 1, Reminder.status == "pending")
            )
        ]
    assert min(pending) == datetime(2026, 4, 29, 8, 0, tzinfo=UTC)  # 09:00 London tomorrow


def test_assign_owner_from_the_user_picker(bot, reminder):
    survey = reminder[1]
    _click(bot, survey, "milestone_assign", value="U_OTHER")
    _wait_redrawn(bot, survey["ts"], "owner <@U_OTHER>")
    assert bot.milestones()[0].owner_user_id == "U_OTHER" or any(
        m.owner_user_id == "U_OTHER" for m in bot.milestones()
    )


def test_mark_done_asks_for_a_note_then_closes_the_reminder(bot, reminder):
    survey = reminder[1]
    _click(bot, survey, "milestone_done")
    modal = bot.slack.wait_for(
        lambda slack: next(
            (v for v in slack.views.values() if v.get("callback_id") == "milestone_done_modal"),
            None,
        )
    )
    bot.driver.view_submission(
        user_id=OFFICER, view=modal, values={"note": {"text": "Sent from the portal"}}
    )
    redrawn = _wait_redrawn(bot, survey["ts"], "*done*")
    # Only the menu that undoes it is left.
    (row,) = [b for b in redrawn["blocks"] if b["type"] == "actions"]
    assert [o["value"] for e in row["elements"] for o in e["options"]] == ["milestone_undo:1"]
    done = next(e for e in bot.audit() if e.milestone_id == 1)
    assert done.note == "status open → done; Sent from the portal"
    with Session(bot.engine) as session:
        statuses = {
            r.status for r in session.exec(select(Reminder).where(Reminder.milestone_id == 1))
        }
    assert "pending" not in statuses  # no more reminders for a done milestone


def test_an_action_plan_cannot_be_done_before_sign_off(bot, reminder):
    plan = reminder[2]
    _click(bot, plan, "milestone_done")
    modal = bot.slack.wait_for(
        lambda slack: next(
            (v for v in slack.views.values() if v.get("callback_id") == "milestone_done_modal"),
            None,
        )
    )
    bot.driver.view_submission(user_id=OFFICER, view=modal, values={})
    refusal = bot.slack.wait_for(
        lambda slack: next(
            (m for m in slack.messages(OFFICER) if "needs sign-off" in m.get("text", "")), None
        )
    )
    assert "Request sign-off" in refusal["text"]
    (event,) = [e for e in bot.audit() if e.milestone_id == 2]
    assert event.outcome == "refused"
    assert bot.milestones()[-1].status == "open" or all(
        m.status == "open" for m in bot.milestones() if m.id == 2
    )


def test_only_approvers_can_approve_and_a_refusal_is_logged(bot, reminder):
    plan = reminder[2]
    _click(bot, plan, "approval_request")
    redrawn = _wait_redrawn(bot, plan["ts"], "asked for sign-off")
    before = len(bot.slack.responses)
    _click(bot, redrawn, "approval_approve", user_id="U_OTHER")
    refusal = bot.slack.wait_for(
        lambda slack: next(
            (r for r in slack.responses[before:] if "Only this visit's approvers" in r.text), None
        )
    )
    assert refusal.response_type == "ephemeral" and "<@U_DCS>" in refusal.text
    _click(bot, redrawn, "approval_approve", user_id=APPROVER)
    _wait_redrawn(bot, plan["ts"], "approved it")
    events = [(e.action, e.actor_user_id, e.outcome) for e in bot.audit() if e.milestone_id == 2]
    assert events == [
        ("approval_requested", OFFICER, "ok"),
        ("approval_approved", "U_OTHER", "refused"),
        ("approval_approved", APPROVER, "ok"),
    ]
    with Session(bot.engine) as session:
        (approval,) = session.exec(select(Approval)).all()
        assert (approval.requested_by, approval.decided_by, approval.decision) == (
            OFFICER,
            APPROVER,
            "approved",
        )


def test_a_rejection_needs_a_reason(bot, reminder):
    plan = reminder[2]
    _click(bot, plan, "approval_request")
    redrawn = _wait_redrawn(bot, plan["ts"], "asked for sign-off")
    _click(bot, redrawn, "approval_reject", user_id=APPROVER)
    modal = bot.slack.wait_for(
        lambda slack: next(
            (v for v in slack.views.values() if v.get("callback_id") == "milestone_sign_off_modal"),
            None,
        )
    )
    refused = bot.driver.view_submission(
        user_id=APPROVER, view=modal, values={"decision": {"choice": "rejected"}}
    )
    assert "Say why" in refused.json()["errors"]["reason"]
    bot.driver.view_submission(
        user_id=APPROVER,
        view=modal,
        values={"decision": {"choice": "rejected"}, "reason": {"text": "Needs the MASH actions"}},
    )
    _wait_redrawn(bot, plan["ts"], "rejected it")
    rejected = [e for e in bot.audit() if e.action == "approval_rejected"]
    assert rejected[0].note.endswith("Needs the MASH actions")


def test_a_click_without_a_valid_signature_changes_nothing(bot, reminder):
    response = bot.driver.block_action(
        user_id=OFFICER,
        action_id="milestone_ack",
        message=reminder[1],
        channel_id=CHANNEL,
        delivery=Delivery(signature="bad"),
    )
    assert response.status == 401
    assert [e for e in bot.audit() if e.milestone_id == 1] == []


def test_the_timeline_menu_acknowledges_and_redraws_the_ephemeral_timeline(bot, reminder):
    _, before = bot.command("show fernleigh-2604")
    timeline = bot.next_response(before)
    menu_block = next(
        b for b in timeline.blocks if b.get("accessory", {}).get("action_id") == "milestone_menu"
    )
    ack_option = next(
        o for o in menu_block["accessory"]["options"] if o["value"].startswith("milestone_ack:")
    )
    # The timeline came back as an ephemeral answer: Slack says so in the click's container.
    message = {"ts": "1.0", "blocks": timeline.blocks}
    before = len(bot.slack.responses)
    bot.driver.block_action(
        user_id=OFFICER,
        action_id="milestone_menu",
        value=ack_option["value"],
        message=message,
        channel_id=CHANNEL,
        container={
            "type": "message",
            "message_ts": "1.0",
            "channel_id": CHANNEL,
            "is_ephemeral": True,
        },
    )
    redrawn = bot.slack.wait_for(
        lambda slack: next(
            (r for r in slack.responses[before:] if r.payload.get("replace_original")), None
        )
    )
    assert "👀" in all_text(redrawn.blocks)
    assert [e.note for e in bot.audit() if e.milestone_id is not None][
        -1
    ] == "status open → acknowledged"


def test_the_timeline_menu_assigns_an_owner_through_its_modal(bot, reminder):
    _, before = bot.command("show fernleigh-2604")
    timeline = bot.next_response(before)
    menu_block = next(
        b for b in timeline.blocks if b.get("accessory", {}).get("action_id") == "milestone_menu"
    )
    assign = next(
        o for o in menu_block["accessory"]["options"] if o["value"].startswith("milestone_assign:")
    )
    bot.driver.block_action(
        user_id=OFFICER,
        action_id="milestone_menu",
        value=assign["value"],
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
            (v for v in slack.views.values() if v.get("callback_id") == "milestone_assign_modal"),
            None,
        )
    )
    bot.driver.view_submission(user_id=OFFICER, view=modal, values={"owner": {"user": "U_OTHER"}})
    bot.slack.wait_for(lambda slack: any(m.owner_user_id == "U_OTHER" for m in bot.milestones()))
    (event,) = [e for e in bot.audit() if e.action == "milestone_owner_changed"]
    assert event.actor_user_id == OFFICER and "U_OTHER" in event.note
