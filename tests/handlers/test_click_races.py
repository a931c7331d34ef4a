"""Clicks that come too late, through the real endpoint: the person is told who decided first and
when, nothing is changed, and nothing is recorded for them."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

from handlers.core.access import Actor, Workspace
from handlers.core.context import CoreContext
from handlers.core.milestones import MilestoneChange, Verb, change_milestone
from handlers.core.people import Asker, KnownMembers
from handlers.core.results import Refusal
from storage import repo
from storage.db import session_scope
from tests.handlers import test_milestone_buttons
from tests.handlers.conftest import CHANNEL, OFFICER, all_text
from tests.handlers.test_milestone_buttons import APPROVER, _click, _wait_redrawn

COLLEAGUE = "U_OTHER"


def _answers_to(bot, user_id, before):
    return [r.text for r in bot.slack.responses[before:] if r.user_id == user_id and r.text]


reminder = test_milestone_buttons.reminder  # the fixture: a reminder posted to the channel


def test_a_second_acknowledge_is_told_who_acknowledged_first_and_records_nothing(bot, reminder):
    survey = reminder[1]
    _click(bot, survey, "milestone_ack")
    _wait_redrawn(bot, survey["ts"], "changed the status")
    before = len(bot.slack.responses)

    _click(bot, survey, "milestone_ack", user_id=COLLEAGUE)  # the message as it was before

    answer = bot.slack.wait_for(lambda slack: next(iter(_answers_to(bot, COLLEAGUE, before)), None))
    assert answer == (
        ":x: <@U_OFFICER> already acknowledged *Post-inspection survey due* at 09:00 on "
        "Tuesday 28 April 2026; nothing was changed."
    )
    events = [(e.action, e.actor_user_id, e.outcome) for e in bot.audit() if e.milestone_id == 1]
    assert events == [("milestone_status_changed", OFFICER, "ok")]


def test_reject_after_approve_is_told_it_was_approved_and_changes_nothing(bot, reminder):
    plan = reminder[2]
    _click(bot, plan, "approval_request")
    requested = _wait_redrawn(bot, plan["ts"], "asked for sign-off")
    _click(bot, requested, "approval_approve", user_id=APPROVER)
    _wait_redrawn(bot, plan["ts"], "approved it")

    # The Reject button on the message as it looked before the approval: its modal, then a reason.
    _click(bot, requested, "approval_reject", user_id=APPROVER)
    modal = bot.slack.wait_for(
        lambda slack: next(
            (v for v in slack.views.values() if v.get("callback_id") == "milestone_sign_off_modal"),
            None,
        )
    )
    bot.driver.view_submission(
        user_id=APPROVER,
        view=modal,
        values={"decision": {"choice": "rejected"}, "reason": {"text": "Too late?"}},
    )

    answer = bot.slack.wait_for(
        lambda slack: next(
            (
                m["text"]
                for m in slack.messages(APPROVER)
                if "nothing was changed" in m.get("text", "")
            ),
            None,
        )
    )
    assert answer.startswith(
        ":x: <@U_DCS> already approved *Draft action plan due* at 09:00 on Tuesday 28 April 2026"
    )
    events = [(e.action, e.outcome) for e in bot.audit() if e.milestone_id == 2]
    assert events == [("approval_requested", "ok"), ("approval_approved", "ok")]
    assert "approved it" in all_text(bot.slack.message(CHANNEL, plan["ts"])["blocks"])


def _done_modal(bot, message, user_id, *, not_this=None):
    _click(bot, message, "milestone_done", user_id=user_id)
    return bot.slack.wait_for(
        lambda slack: next(
            (
                v
                for v in slack.views.values()
                if v.get("callback_id") == "milestone_done_modal" and v["id"] != not_this
            ),
            None,
        )
    )


def test_two_people_marking_done_at_once_over_http_make_one_change(bot, reminder):
    """Two signed submissions released together: one change, one `ok` event, one plain answer."""
    survey = reminder[1]
    officers_modal = _done_modal(bot, survey, OFFICER)
    colleagues_modal = _done_modal(bot, survey, COLLEAGUE, not_this=officers_modal["id"])
    start = threading.Barrier(2, timeout=30)

    def submit(user_id, modal):
        start.wait()
        bot.driver.view_submission(
            user_id=user_id, view=modal, values={"note": {"text": f"sent by {user_id}"}}
        )

    threads = [
        threading.Thread(target=submit, args=(OFFICER, officers_modal)),
        threading.Thread(target=submit, args=(COLLEAGUE, colleagues_modal)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    def answers(slack):
        told = [
            (user, m["text"])
            for user in (OFFICER, COLLEAGUE)
            for m in slack.messages(user)
            if "nothing was changed" in m.get("text", "")
        ]
        return told or None

    (told,) = bot.slack.wait_for(answers)
    (event,) = [e for e in bot.audit() if e.milestone_id == 1]
    assert (event.action, event.outcome) == ("milestone_status_changed", "ok")
    assert event.note == f"status open → done; sent by {event.actor_user_id}"
    loser = COLLEAGUE if event.actor_user_id == OFFICER else OFFICER
    assert told == (
        loser,
        f":x: <@{event.actor_user_id}> already marked *Post-inspection survey due* done at 09:00 "
        "on "
        "Tuesday 28 April 2026; nothing was changed.",
    )


def _settings_form(bot, user_id, *, not_this=None):
    bot.command("settings fernleigh-2604", user_id=user_id)
    return bot.slack.wait_for(
        lambda slack: next(
            (
                v
                for v in slack.views.values()
                if v.get("callback_id") == "visit_settings_modal" and v["id"] != not_this
            ),
            None,
        )
    )


def _save(bot, user_id, form, reminder_time):
    values = {
        "channel": {"channel": CHANNEL},
        "reminder_time": {"text": reminder_time},
        "reminder_offsets": {"text": "5,2,1,0"},
        "approvers": {"users": [APPROVER]},
    }
    response = bot.driver.view_submission(user_id=user_id, view=form, values=values)
    assert response.status == 200 and not (response.json() or {}).get("errors"), response.text


def test_settings_saved_over_a_form_someone_else_saved_meanwhile_are_refused_plainly(bot, reminder):
    officers_form = _settings_form(bot, OFFICER)
    approvers_form = _settings_form(bot, APPROVER, not_this=officers_form["id"])

    _save(bot, OFFICER, officers_form, "10:00")
    bot.slack.wait_for(lambda slack: any(v.reminder_time == "10:00" for v in bot.visits()))
    _save(bot, APPROVER, approvers_form, "16:00")

    answer = bot.slack.wait_for(
        lambda slack: next(
            (
                m["text"]
                for m in slack.messages(APPROVER)
                if "nothing was changed" in m.get("text", "")
            ),
            None,
        )
    )
    assert answer == (
        ":x: <@U_OFFICER> already changed the settings of `fernleigh-2604` at 09:00 on Tuesday 28 "
        "April 2026; "
        "nothing was changed. Run `/ofsted settings fernleigh-2604` again to see them."
    )
    (visit,) = bot.visits()
    assert visit.reminder_time == "10:00"
    assert [(e.actor_user_id, e.action) for e in bot.audit() if e.action == "settings_changed"] == [
        (OFFICER, "settings_changed")
    ]


def test_closing_a_visit_closed_by_someone_else_says_who_closed_it(bot, reminder):
    _, before = bot.command("close fernleigh-2604", user_id=OFFICER)
    bot.next_response(before)
    _, before = bot.command("close fernleigh-2604", user_id=APPROVER)

    answer = bot.next_response(before)

    assert answer.text == (
        ":x: <@U_OFFICER> already closed `fernleigh-2604` at 09:00 on Tuesday 28 April 2026; "
        "nothing was changed."
    )
    assert [e.actor_user_id for e in bot.audit() if e.action == "visit_closed"] == [OFFICER]


RACE_TEAM = "T_RACES"


def test_approve_and_reject_at_once_through_the_use_case_make_one_decision_and_one_answer(engine):
    """`change_milestone`, as each request runs it, on both databases: one `ok` decision, no
    `refused`
    event, and the other approver told who decided first."""
    now = datetime(2026, 4, 28, 9, 42, tzinfo=UTC)
    ctx = CoreContext(engine=engine, clock=lambda: now)
    for trial in range(50):
        with session_scope(engine) as session:
            visit = repo.create_visit(
                session=session,
                local_authority=f"Fernleigh {trial}",
                visit_type="focused_visit",
                letter_date=date(2026, 4, 22),
                visit_dates=[],
                inspectors=[],
                created_by=OFFICER,
                approvers=["U_JO", "U_SAM"],
                now=now,
                team_id=RACE_TEAM,
                milestones=[
                    repo.NewMilestone(
                        kind="action_plan_draft_due",
                        label="Draft action plan due",
                        due_date=date(2026, 5, 20),
                        source="rule",
                        needs_approval=True,
                    )
                ],
            )
            (milestone,) = repo.list_milestones(session=session, visit_id=visit.id or 0)
            repo.request_approval(
                session=session, milestone=milestone, actor_user_id=OFFICER, now=now
            )
            visit_id, milestone_id = visit.id, milestone.id
        clicks = [
            MilestoneChange(Verb.APPROVE, milestone_id, "U_JO", f"{trial}:approve"),
            MilestoneChange(
                Verb.REJECT, milestone_id, "U_SAM", f"{trial}:reject", note="Needs the MASH actions"
            ),
        ]
        start = threading.Barrier(2, timeout=30)
        answers: dict[str, str] = {}

        def press(click, start=start, answers=answers):
            start.wait()
            # A visit kept in a DM: no channel members to ask about.
            asker = Asker(
                actor=Actor(workspace=Workspace(team_id=RACE_TEAM), user_id=click.user_id),
                membership=KnownMembers(),
            )
            result = change_milestone(ctx, asker=asker, change=click)
            if isinstance(result, Refusal):
                answers[click.user_id] = result.text

        threads = [threading.Thread(target=press, args=(click,)) for click in clicks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

        with ctx.reading() as session:
            events = [
                e
                for e in repo.list_audit_events(session=session, visit_id=visit_id)
                if e.milestone_id
            ]
        decided = [e for e in events if e.action in ("approval_approved", "approval_rejected")]
        assert [e.outcome for e in decided] == ["ok"], (
            f"trial {trial}: {[(e.action, e.outcome) for e in events]}"
        )
        (winner,) = decided
        (loser,) = answers
        assert loser != winner.actor_user_id
        verb = "approved" if winner.action == "approval_approved" else "rejected"
        assert answers[loser] == (
            f"<@{winner.actor_user_id}> already {verb} *Draft action plan due* at 10:42 on "
            "Tuesday 28 April 2026; "
            "nothing was changed."
        )
