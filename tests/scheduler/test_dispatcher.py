"""Reminders go out when planned, once each, through the real poster and the Slack stand-in.

Time is an input: the dispatcher is handed a clock the test moves. Only the crash test runs
`ofsted-bot worker` as a real process on the real clock, to kill it with SIGKILL mid-post.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.app import build_dispatcher
from bot.offline.standin import SlackStandIn
from bot.settings import Settings
from scheduler.calendar import LONDON
from scheduler.planning import ReminderDefaults, replan_visit
from storage import repo
from storage.db import create_engine_for
from storage.migrate import upgrade_database
from storage.models import UNOWNED, Reminder

CHANNEL = "C01VISITS"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def slack():
    with SlackStandIn() as stand_in:
        for n in range(100):
            stand_in.add_channel(f"C{n:03d}", name=f"visits-{n}")
        for person in ("U_CREATOR", "U1"):
            stand_in.ensure_user(person)
        yield stand_in


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = create_engine_for(f"sqlite:///{tmp_path / 'dispatch.db'}")
    upgrade_database(engine=engine)
    yield engine
    engine.dispose()


def _settings(slack: SlackStandIn, **extra) -> Settings:
    return Settings(slack_bot_token=slack.token, slack_api_url=slack.api_url, **extra)


def _visit(
    engine,
    *,
    due: date,
    created: datetime,
    channel: str = CHANNEL,
    kind: str = "factual_accuracy_due",
    reference_hint: str = "Fernleigh",
):
    with Session(engine) as session:
        visit = repo.create_visit(
            session=session,
            local_authority=reference_hint,
            visit_type="focused_visit",
            letter_date=None,
            visit_dates=[],
            inspectors=[],
            created_by="U_CREATOR",
            channel_id=channel,
            now=created,
            milestones=[
                repo.NewMilestone(
                    kind=kind, label="Factual-accuracy comments due", due_date=due, source="letter"
                )
            ],
        )
        replan_visit(session=session, visit=visit, defaults=ReminderDefaults(), now=created)
        session.commit()
        return visit.id


def test_reminders_go_out_on_the_planned_working_days_and_never_on_a_bank_holiday(
    slack, sqlite_engine
):
    # Due Wednesday 6 May 2026; Monday 4 May is the early May bank holiday.
    clock = Clock(datetime(2026, 4, 24, 12, 0, tzinfo=UTC))
    _visit(sqlite_engine, due=date(2026, 5, 6), created=clock.now)
    dispatcher = build_dispatcher(settings=_settings(slack), engine=sqlite_engine, clock=clock)
    posted_on: list[tuple[date, str]] = []
    day = date(2026, 4, 24)
    while day <= date(2026, 5, 13):
        for hour in (7, 8, 9, 12, 18):  # UTC hours; London is an hour ahead in May
            clock.now = datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)
            before = len(slack.messages(CHANNEL))
            dispatcher.run_pass()
            for message in slack.messages(CHANNEL)[before:]:
                posted_on.append(
                    (clock.now.astimezone(LONDON).date(), message["text"].split(":")[0])
                )
        day += timedelta(days=1)
    # Offsets 5, 2, 1, 0 working days: 28 April, 1 May, 5 May, 6 May (4 May is skipped).
    assert posted_on[:4] == [
        (date(2026, 4, 28), "Reminder"),
        (date(2026, 5, 1), "Reminder"),
        (date(2026, 5, 5), "Reminder"),
        (date(2026, 5, 6), "Due today"),
    ]
    # Then daily while overdue, escalating after three working days; never 4 May or a weekend.
    assert posted_on[4:] == [
        (date(2026, 5, 7), "Overdue"),
        (date(2026, 5, 8), "Overdue"),
        (date(2026, 5, 11), "Escalated"),
        (date(2026, 5, 12), "Escalated"),
        (date(2026, 5, 13), "Escalated"),
    ]
    assert all(day.weekday() < 5 and day != date(2026, 5, 4) for day, _ in posted_on)
    # Each was posted at 09:00 London (08:00 UTC in BST) by the 08:00 UTC pass, not before.
    metadata = [m["metadata"]["event_payload"]["reminder_id"] for m in slack.messages(CHANNEL)]
    assert len(metadata) == len(set(metadata)) == 9


def test_a_done_milestone_is_not_reminded_and_its_rows_are_cancelled(slack, sqlite_engine):
    clock = Clock(datetime(2026, 4, 24, 12, 0, tzinfo=UTC))
    _visit(sqlite_engine, due=date(2026, 5, 6), created=clock.now)
    with Session(sqlite_engine) as session:
        milestone = repo.list_milestones(session=session, visit_id=1)[0]
        visit = repo.get_visit_by_id(session=session, visit_id=1, team_id=UNOWNED)
        repo.set_milestone_status(
            session=session, milestone=milestone, status="done", actor_user_id="U1", now=clock.now
        )
        from scheduler.planning import replan_milestone

        replan_milestone(
            session=session,
            visit=visit,
            milestone=milestone,
            defaults=ReminderDefaults(),
            now=clock.now,
        )
        session.commit()
    clock.now = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)
    dispatcher = build_dispatcher(settings=_settings(slack), engine=sqlite_engine, clock=clock)
    report = dispatcher.run_pass()
    assert report.claimed == 0 and slack.messages(CHANNEL) == []
    with Session(sqlite_engine) as session:
        assert {r.status for r in session.exec(select(Reminder))} == {"cancelled"}


def test_a_429_storm_and_5xx_answers_delay_but_lose_and_double_nothing(slack, sqlite_engine):
    clock = Clock(datetime(2026, 4, 28, 8, 0, tzinfo=UTC))
    for n in range(12):
        _visit(
            sqlite_engine,
            due=date(2026, 4, 28),
            created=datetime(2026, 4, 28, 7, 0, tzinfo=UTC),
            channel=f"C{n:03d}",
            reference_hint=f"Borough {n}",
        )
    slack.rate_limit_next("chat.postMessage", retry_after=1, times=4)
    slack.fail_next("chat.postMessage", status=503, times=3)
    # Posted, but the answer lost: the dispatcher must find it, not post it again.
    slack.fail_next("chat.postMessage", status=500, times=2, effect_applied=True)
    dispatcher = build_dispatcher(settings=_settings(slack), engine=sqlite_engine, clock=clock)
    dispatcher.retry_backoff = timedelta(seconds=1)
    for _ in range(8):
        dispatcher.run_pass()
        clock.now += timedelta(seconds=30)
    posted = Counter(
        m["metadata"]["event_payload"]["reminder_id"]
        for n in range(12)
        for m in slack.messages(f"C{n:03d}")
    )
    with Session(sqlite_engine) as session:
        due_now = [
            r
            for r in session.exec(select(Reminder))
            if r.due_at <= datetime(2026, 4, 28, 8, 0, tzinfo=UTC)
        ]
        assert {r.status for r in due_now} == {"sent"}
    assert sorted(posted) == sorted(r.id for r in due_now)
    assert set(posted.values()) == {1}


def test_a_reminder_that_keeps_failing_is_marked_failed_audited_and_reported(slack, sqlite_engine):
    clock = Clock(datetime(2026, 4, 28, 8, 0, tzinfo=UTC))
    _visit(
        sqlite_engine,
        due=date(2026, 4, 28),
        created=datetime(2026, 4, 28, 7, 0, tzinfo=UTC),
        channel="C_GONE",
    )
    dispatcher = build_dispatcher(settings=_settings(slack), engine=sqlite_engine, clock=clock)
    with Session(sqlite_engine) as session:
        visit = repo.get_visit_by_id(session=session, visit_id=1, team_id=UNOWNED)
        visit.channel_id = "C_ARCHIVED_DOES_NOT_EXIST"
        session.add(visit)
        session.commit()
    report = dispatcher.run_pass()
    assert report.failed == 1 and report.posted == 0
    with Session(sqlite_engine) as session:
        (reminder,) = [r for r in session.exec(select(Reminder)) if r.status != "pending"]
        assert reminder.status == "failed" and "channel_not_found" in reminder.last_error
        actions = [e.action for e in repo.list_audit_events(session=session, visit_id=1)]
        assert "reminder_failed" in actions
    warning = slack.wait_for(
        lambda s: next(
            (
                m
                for m in s.messages("U_CREATOR")
                if "could not post the reminder" in m.get("text", "")
            ),
            None,
        )
    )
    assert "C_ARCHIVED_DOES_NOT_EXIST" in warning["text"]


@pytest.mark.postgres
def test_two_dispatchers_on_one_postgresql_database_post_1000_reminders_exactly_once(
    slack, postgres_database_url
):
    engine = create_engine_for(postgres_database_url)
    upgrade_database(engine=engine)
    with Session(engine) as session:
        session.exec(Reminder.__table__.delete())  # type: ignore[call-overload]
        session.commit()
    due = datetime(2026, 4, 28, 8, 0, tzinfo=UTC)
    with Session(engine) as session:
        for n in range(100):
            visit = repo.create_visit(
                session=session,
                local_authority=f"Borough {n}",
                visit_type="other",
                letter_date=None,
                visit_dates=[],
                inspectors=[],
                created_by="U1",
                channel_id=f"C{n:03d}",
                now=due,
                milestones=[
                    repo.NewMilestone(
                        kind="survey_deadline",
                        label="Survey",
                        due_date=date(2026, 5, 29),
                        source="letter",
                    )
                ],
            )
            milestone_id = repo.list_milestones(session=session, visit_id=visit.id)[0].id
            repo.add_reminders(
                session=session,
                milestone_id=milestone_id,
                reminders=[
                    repo.NewReminder(
                        due_at=due - timedelta(minutes=k), kind="ahead", offset_days=10 + k
                    )
                    for k in range(10)
                ],
            )
        session.commit()
    clock = Clock(due)
    dispatchers = [
        build_dispatcher(
            settings=_settings(slack), engine=create_engine_for(postgres_database_url), clock=clock
        )
        for _ in range(2)
    ]
    for dispatcher in dispatchers:
        dispatcher.channel_interval = 0.0
        dispatcher.batch_size = 100
    reports = []
    threads = [
        threading.Thread(target=lambda d=d: reports.append(d.run_pass())) for d in dispatchers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    posted = Counter(
        m["metadata"]["event_payload"]["reminder_id"]
        for n in range(100)
        for m in slack.messages(f"C{n:03d}")
    )
    assert len(posted) == 1000 and set(posted.values()) == {1}
    assert sum(r.posted for r in reports) == 1000
    assert all(r.posted > 0 for r in reports), "both dispatchers took a share"
    for dispatcher in dispatchers:
        dispatcher.engine.dispose()
    engine.dispose()


def test_a_worker_killed_between_post_and_record_posts_each_reminder_once_after_restart(
    slack, tmp_path
):
    database_url = f"sqlite:///{tmp_path / 'crash.db'}"
    engine = create_engine_for(database_url)
    upgrade_database(engine=engine)
    now = datetime.now(UTC)
    for n in range(6):
        with Session(engine) as session:
            visit = repo.create_visit(
                session=session,
                local_authority=f"Borough {n}",
                visit_type="other",
                letter_date=None,
                visit_dates=[],
                inspectors=[],
                created_by="U1",
                channel_id=CHANNEL,
                now=now,
                milestones=[
                    repo.NewMilestone(
                        kind="survey_deadline",
                        label="Survey",
                        due_date=date(2030, 1, 4),
                        source="letter",
                    )
                ],
            )
            milestone_id = repo.list_milestones(session=session, visit_id=visit.id)[0].id
            repo.add_reminders(
                session=session,
                milestone_id=milestone_id,
                reminders=[
                    repo.NewReminder(due_at=now - timedelta(minutes=1), kind="ahead", offset_days=5)
                ],
            )
            session.commit()
    environment = {
        **os.environ,
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url,
        "DISPATCH_INTERVAL": "0.2",
        "DISPATCH_LEASE": "2",
    }
    worker = [str(Path(sys.executable).with_name("ofsted-bot")), "worker"]
    # The third post takes effect, but its answer never reaches the worker: kill it then.
    slack.delay_next("chat.postMessage", seconds=5, after_effect=True)
    first = subprocess.Popen(
        worker,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        slack.wait_for(lambda s: len(s.calls_to("chat.postMessage")) >= 1, timeout=60)
        os.killpg(first.pid, signal.SIGKILL)
    finally:
        first.wait(timeout=10)
    with Session(engine) as session:
        assert "claimed" in {r.status for r in session.exec(select(Reminder))}
    second = subprocess.Popen(
        worker,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:

        def all_sent(_slack):
            with Session(engine) as session:
                return {r.status for r in session.exec(select(Reminder))} == {"sent"}

        slack.wait_for(all_sent, timeout=60, interval=0.1)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=20)
    posted = Counter(m["metadata"]["event_payload"]["reminder_id"] for m in slack.messages(CHANNEL))
    assert len(posted) == 6 and set(posted.values()) == {1}
    engine.dispose()
