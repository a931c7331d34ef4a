"""Working with visits: list, show, close, export, settings, new, and the App Home."""

import csv
import io
from datetime import UTC, date, datetime

import icalendar
from sqlmodel import Session

from storage import repo
from tests.handlers.conftest import CHANNEL, OFFICER, TEAM, all_text

# Wednesday 23 June 2021, the day after the covering letter.
NOW = datetime(2021, 6, 23, 8, 0, tzinfo=UTC)


def _visit(
    bot,
    *,
    local_authority="St Helens",
    letter_date=date(2021, 6, 22),
    approvers=("U_DCS",),
    milestones=None,
):
    milestones = milestones or [
        repo.NewMilestone(
            kind="complaint_deadline",
            label="Complaint window closes",
            due_date=date(2021, 6, 29),
            source="letter",
            evidence=(
                "You must submit any complaint by the end of the fifth working day from the "
                "date of this letter."
            ),
            needs_approval=True,
        ),
        repo.NewMilestone(
            kind="embargo_lift",
            label="Embargo lifts (publication)",
            due_date=date(2021, 7, 2),
            source="rule",
            estimate=True,
        ),
        repo.NewMilestone(
            kind="survey_deadline",
            label="Post-inspection survey due",
            due_date=date(2021, 8, 20),
            source="letter",
        ),
    ]
    with Session(bot.engine) as session:
        visit = repo.create_visit(
            session=session,
            team_id=TEAM,
            local_authority=local_authority,
            visit_type="focused_visit",
            letter_date=letter_date,
            visit_dates=[],
            inspectors=["Ann Inspector"],
            milestones=milestones,
            created_by=OFFICER,
            channel_id=CHANNEL,
            approvers=approvers,
            now=NOW,
        )
        session.commit()
        return visit.reference


def test_list_shows_open_visits_soonest_first_with_the_next_date(bot):
    _visit(
        bot,
        local_authority="Later Borough",
        milestones=[
            repo.NewMilestone(
                kind="survey_deadline",
                label="Post-inspection survey due",
                due_date=date(2021, 9, 1),
                source="letter",
            )
        ],
    )
    _visit(bot)
    response, before = bot.command("list")
    assert response.within_ack_deadline
    shown = all_text(bot.next_response(before).blocks)
    assert "Open visits (2)" in shown
    assert shown.index("st-helens-2106") < shown.index("later-borough-2106")
    assert "Complaint window closes, Tuesday 29 June 2021 (4 working days left)" in shown


def test_list_with_no_visits_says_how_to_add_one(bot):
    _, before = bot.command("list")
    assert "No open visits" in bot.next_response(before).text or "No open visits" in all_text(
        bot.next_response(before).blocks
    )


def test_show_gives_the_timeline_with_sources_owners_and_working_days(bot):
    reference = _visit(bot)
    _, before = bot.command(f"show {reference.upper()}")
    answer = bot.next_response(before)
    shown = all_text(answer.blocks)
    assert "St Helens: focused visit" in shown
    assert "due Tuesday 29 June 2021 (4 working days left)" in shown
    # A computed publication date is what usually happens: "expected", not "due".
    assert "expected Friday 2 July 2021 (7 working days left)" in shown
    assert "stated in the letter" in shown and "computed by rule" in shown
    assert "owner nobody yet" in shown and "sign-off not requested" in shown
    assert answer.response_type == "ephemeral"


def test_close_closes_once_and_drops_the_visit_from_the_list(bot):
    reference = _visit(bot)
    _, before = bot.command(f"close {reference}")
    assert "Closed `st-helens-2106`" in bot.next_response(before).text
    _, before = bot.command(f"close {reference}")
    assert "already closed" in bot.next_response(before).text
    _, before = bot.command("list")
    assert "No open visits" in all_text(bot.next_response(before).blocks)
    assert [e.action for e in bot.audit()] == ["visit_created", "visit_closed"]


def test_export_csv_uploads_the_audit_trail(bot):
    reference = _visit(bot)
    bot.command(f"close {reference}")
    bot.slack.wait_for(lambda slack: len(bot.audit()) == 2)
    bot.command(f"export {reference} csv")
    upload = bot.slack.wait_for(lambda slack: slack.uploads[-1] if slack.uploads else None)
    assert upload.filename == "ofsted-st-helens-2106-audit-20210623.csv"
    assert CHANNEL in upload.channels
    rows = list(csv.DictReader(io.StringIO(upload.content.decode())))
    assert [row["action"] for row in rows] == ["visit created", "visit closed"]
    assert rows[0]["time (London)"] == "2021-06-23 09:00:00 BST"
    assert rows[1]["who"] == OFFICER


def test_export_ics_has_stable_uids_so_outlook_updates_instead_of_duplicating(bot):
    reference = _visit(bot)
    bot.command(f"export {reference} ics")
    first = bot.slack.wait_for(lambda slack: slack.uploads[0] if slack.uploads else None)
    bot.command(f"export {reference} ics")
    second = bot.slack.wait_for(lambda slack: slack.uploads[1] if len(slack.uploads) > 1 else None)
    events = [icalendar.Calendar.from_ical(u.content).walk("VEVENT") for u in (first, second)]
    assert [str(e["uid"]) for e in events[0]] == [str(e["uid"]) for e in events[1]]
    assert len({str(e["uid"]) for e in events[0]}) == 3
    complaint = next(e for e in events[0] if "Complaint" in str(e["summary"]))
    assert complaint.decoded("dtstart") == date(2021, 6, 29)
    assert complaint.decoded("dtend") == date(2021, 6, 30)
    assert "St Helens" in str(complaint["summary"])


def test_settings_modal_refuses_a_bad_time_then_saves_and_audits(bot):
    reference = _visit(bot)
    bot.command(f"settings {reference}")
    modal = bot.slack.wait_for(
        lambda slack: next(
            (v for v in slack.views.values() if v.get("callback_id") == "visit_settings_modal"),
            None,
        )
    )
    bad = bot.driver.view_submission(
        user_id=OFFICER,
        view=modal,
        values={
            "channel": {"channel": CHANNEL},
            "reminder_time": {"text": "25:00"},
            "reminder_offsets": {"text": "5, two"},
        },
    )
    errors = bad.json()["errors"]
    assert "not a time" in errors["reminder_time"] and "0 to 70" in errors["reminder_offsets"]
    good = bot.driver.view_submission(
        user_id=OFFICER,
        view=modal,
        values={
            "channel": {"channel": CHANNEL},
            "reminder_time": {"text": "8:30"},
            "reminder_offsets": {"text": "10, 5,0"},
            "approvers": {"users": ["U_DCS", "U_LEAD"]},
            "escalation": {"user": "U_DCS"},
        },
    )
    assert good.status == 200
    confirmation = bot.slack.wait_for(
        lambda slack: next(
            (m for m in slack.messages(OFFICER) if "Settings for" in m.get("text", "")), None
        )
    )
    assert "reminder time default → 08:30" in confirmation["text"]
    visit = bot.visits()[0]
    assert (visit.reminder_time, visit.reminder_offsets, visit.escalation_user_id) == (
        "08:30",
        "10,5,0",
        "U_DCS",
    )
    assert [e.action for e in bot.audit()] == ["visit_created", "settings_changed"]


def test_new_visit_by_hand_checks_its_dates_then_posts_the_timeline(bot):
    bot.command("new")
    modal = bot.slack.wait_for(
        lambda slack: next(
            (v for v in slack.views.values() if v.get("callback_id") == "new_visit_modal"), None
        )
    )
    values = {
        "local_authority": {"text": "Wealdbury"},
        "visit_type": {"choice": "monitoring_visit"},
        "letter_date": {"date": "2021-06-22"},
        "visit_start": {"date": "2021-06-09"},
        "visit_end": {"date": "2021-06-08"},
        "channel": {"channel": CHANNEL},
    }
    refused = bot.driver.view_submission(user_id=OFFICER, view=modal, values=values).json()[
        "errors"
    ]
    assert "before the first" in refused["visit_end"]
    assert "at least one date" in refused["due_complaint_deadline"]
    values["visit_end"] = {"date": "2021-06-10"}
    values["due_action_plan_final_due"] = {"date": "2021-10-01"}
    accepted = bot.driver.view_submission(user_id=OFFICER, view=modal, values=values)
    assert accepted.status == 200
    posted = bot.slack.wait_for(
        lambda slack: next(
            (m for m in slack.messages(CHANNEL) if "New visit by" in m.get("text", "")), None
        )
    )
    assert "Final action plan due" in all_text(
        posted["blocks"]
    ) and "Friday 1 October 2021" in all_text(posted["blocks"])
    (visit,) = bot.visits()
    assert (visit.reference, visit.visit_start, visit.visit_end) == (
        "wealdbury-2106",
        date(2021, 6, 9),
        date(2021, 6, 10),
    )
    assert [(m.kind, m.source, m.needs_approval) for m in bot.milestones()] == [
        ("action_plan_final_due", "manual", True)
    ]


def test_app_home_shows_overdue_due_soon_and_what_waits_on_me(bot, clock):
    _visit(bot)
    with Session(bot.engine) as session:
        milestone = next(
            m
            for m in repo.list_milestones(session=session, visit_id=1)
            if m.kind == "survey_deadline"
        )
        repo.set_milestone_owner(
            session=session,
            milestone=milestone,
            owner_user_id=OFFICER,
            actor_user_id=OFFICER,
            now=NOW,
        )
        session.commit()
    clock.now = datetime(2021, 6, 30, 8, 0, tzinfo=UTC)  # the complaint window closed yesterday
    bot.driver.app_home_opened(user_id=OFFICER)
    home = bot.slack.wait_for(lambda slack: slack.home_views.get(OFFICER))
    shown = all_text(home["blocks"])
    assert "As of Wednesday 30 June 2021" in shown
    waiting = shown[shown.index("Waiting on you") : shown.index("Overdue")]
    overdue = shown[shown.index("Overdue") : shown.index("Due in the next 30 days")]
    soon = shown[shown.index("Due in the next 30 days") :]
    assert "Post-inspection survey due" in waiting and "you own it" in waiting
    # A decision window is never overdue: it closes by itself, with what was decided.
    assert "Complaint window closes" not in overdue and "Nothing is overdue" in overdue
    assert (
        "Embargo lifts" in soon and "Post-inspection survey due" not in soon
    )  # 20 August is beyond 30 days
