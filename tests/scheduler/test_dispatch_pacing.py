"""How the dispatcher spends a pass: paced from Slack's answers, asleep while it waits, outcomes
written by one thread (one that cannot be written held back alone), and claims kept alive while
they wait their turn in a busy channel. Found and fixed with benchmarks/dispatch.py."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot.app import build_dispatcher
from bot.offline.standin import SlackStandIn
from bot.settings import Settings
from storage import dispatch, repo
from storage.db import create_engine_for
from storage.migrate import upgrade_database
from storage.models import Reminder


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def engine(tmp_path):
    engine = create_engine_for(f"sqlite:///{tmp_path / 'pacing.db'}")
    upgrade_database(engine=engine)
    yield engine
    engine.dispose()


def _due_reminders(engine, *, channels: list[str], per_channel: int, due_at: datetime) -> list[int]:
    """One visit a channel, `per_channel` milestones each with one reminder due at `due_at`."""
    with Session(engine) as session:
        for channel in channels:
            visit = repo.create_visit(
                session=session,
                local_authority=f"Borough {channel}",
                visit_type="other",
                letter_date=None,
                visit_dates=[],
                inspectors=[],
                created_by="U_CREATOR",
                channel_id=channel,
                now=due_at - timedelta(days=3),
                milestones=[
                    repo.NewMilestone(
                        kind=f"custom_{k}",
                        label=f"Milestone {k}",
                        due_date=date(2031, 1, 6),
                        source="manual",
                    )
                    for k in range(per_channel)
                ],
            )
            session.flush()
            for milestone in repo.list_milestones(session=session, visit_id=visit.id or 0):
                repo.add_reminders(
                    session=session,
                    milestone_id=milestone.id or 0,
                    reminders=[repo.NewReminder(due_at=due_at, kind="ahead", offset_days=5)],
                )
        session.commit()
        return [r.id for r in session.exec(select(Reminder).order_by(Reminder.id))]


def _statuses(engine) -> Counter[str]:
    with Session(engine) as session:
        return Counter(r.status for r in session.exec(select(Reminder)))


def _posted(slack: SlackStandIn, channels: list[str]) -> Counter[int]:
    return Counter(
        m["metadata"]["event_payload"]["reminder_id"] for c in channels for m in slack.messages(c)
    )


def _dispatcher(slack: SlackStandIn, engine, *, clock=None, **settings):
    return build_dispatcher(
        settings=Settings(slack_bot_token=slack.token, slack_api_url=slack.api_url, **settings),
        engine=engine,
        clock=clock or (lambda: datetime.now(UTC)),
    )


def test_the_next_post_in_a_channel_waits_for_the_previous_answer_so_slack_never_answers_429(
    engine,
):
    # Slack counts posts as they arrive. The first post is held up on the way (it arrives
    # 0.3 s late); pacing from when it was sent would send the second right behind it.
    with SlackStandIn(post_rate_per_channel=5.0) as slack:
        slack.add_channel("C1", name="visits")
        _due_reminders(
            engine, channels=["C1"], per_channel=3, due_at=datetime.now(UTC) - timedelta(minutes=1)
        )
        dispatcher = _dispatcher(slack, engine)
        dispatcher.channel_interval = 0.2
        slack.delay_next("chat.postMessage", seconds=0.3)

        report = dispatcher.run_pass()

        calls = slack.calls_to("chat.postMessage")
        assert [call.status for call in calls] == [200, 200, 200]
        assert report.posted == 3 and len(slack.messages("C1")) == 3


def test_a_pass_sleeps_while_every_posting_thread_is_busy(engine):
    # One posting thread, three channels, every post slow: the pass waits for an answer rather
    # than polling for one (which took a CPU, and the interpreter lock from the posting threads).
    channels = ["C1", "C2", "C3"]
    with SlackStandIn() as slack:
        for channel in channels:
            slack.add_channel(channel, name=channel.lower())
        _due_reminders(
            engine,
            channels=channels,
            per_channel=1,
            due_at=datetime.now(UTC) - timedelta(minutes=1),
        )
        dispatcher = _dispatcher(slack, engine)
        dispatcher.concurrency = 1
        slack.delay_next("chat.postMessage", seconds=0.3, times=3)

        cpu, wall = time.thread_time(), time.monotonic()
        report = dispatcher.run_pass()
        cpu, wall = time.thread_time() - cpu, time.monotonic() - wall

        assert report.posted == 3 and wall >= 0.9
        assert cpu < 0.3 * wall, f"the pass used {cpu:.2f} s of CPU in {wall:.2f} s"


def test_an_outcome_that_cannot_be_written_holds_back_only_itself_and_is_found_not_reposted(
    engine, monkeypatch
):
    # One reminder a channel: every post is handed out at the start of the pass, before any
    # outcome is written. (A post still waiting its turn when an outcome fails is not handed out
    # at all, by design; whether one was still waiting would depend on the threads' timing.)
    channels = ["C1", "C2", "C3", "C4"]
    clock = Clock(datetime(2026, 4, 28, 8, 0, tzinfo=UTC))
    with SlackStandIn() as slack:
        for channel in channels:
            slack.add_channel(channel, name=channel.lower())
        ids = _due_reminders(engine, channels=channels, per_channel=1, due_at=clock.now)
        dispatcher = _dispatcher(slack, engine, clock=clock)
        dispatcher.channel_interval = 0
        real = dispatch.mark_reminder_sent
        unlucky = ids[1]

        def mark_reminder_sent(**arguments):
            if arguments["reminder_id"] == unlucky:
                raise OperationalError("UPDATE reminders", {}, Exception("disk I/O error"))
            return real(**arguments)

        monkeypatch.setattr(dispatch, "mark_reminder_sent", mark_reminder_sent)
        # Answered together, the outcomes mostly reach the recorder in one batch, which fails.
        slack.delay_next("chat.postMessage", seconds=0.3, times=len(channels))
        with pytest.raises(OperationalError):
            dispatcher.run_pass()
        assert _statuses(engine) == Counter({"sent": 3, "claimed": 1})
        assert _posted(slack, channels) == Counter(dict.fromkeys(ids, 1))

        # The database is back; once the claim's lease has run out the post is found in its
        # channel and recorded, not posted again.
        monkeypatch.setattr(dispatch, "mark_reminder_sent", real)
        clock.now += dispatcher.lease + timedelta(seconds=1)
        report = dispatcher.run_pass()
        assert (report.reconciled, report.posted) == (1, 0)
        assert _statuses(engine) == Counter({"sent": 4})
        assert _posted(slack, channels) == Counter(dict.fromkeys(ids, 1))


def test_claims_waiting_their_turn_longer_than_the_lease_are_not_taken_by_another_dispatcher(
    engine, tmp_path
):
    # Eight reminders in one channel at 0.6 s apart take over 4 s: longer than a 3 s lease. A
    # second dispatcher polling all the while must find nothing to take. (The lease is renewed
    # every quarter of it and a pass stops handing out posts once a renewal is half a lease
    # late: a 1 s lease left a thread held up on a loaded machine only half a second.)
    lease = 3.0
    with SlackStandIn() as slack:
        slack.add_channel("C1", name="visits")
        due_at = datetime.now(UTC) - timedelta(minutes=1)
        ids = _due_reminders(engine, channels=["C1"], per_channel=8, due_at=due_at)
        first = _dispatcher(slack, engine, dispatch_lease=lease)
        first.channel_interval = 0.6
        second_engine = create_engine_for(str(engine.url))
        second = _dispatcher(slack, second_engine, dispatch_lease=lease)
        done = threading.Event()
        passes, polls, polled_at = [], [], []

        def poll() -> None:
            while not done.is_set():
                polled_at.append(time.monotonic())
                polls.append(second.run_pass())
                time.sleep(0.05)

        passing = threading.Thread(target=lambda: passes.append(first.run_pass()))
        passing.start()
        slack.wait_for(lambda s: s.messages("C1"), timeout=30)
        first_posted = time.monotonic()  # the claims were made before this
        poller = threading.Thread(target=poll)
        poller.start()
        passing.join(timeout=60)
        done.set()
        poller.join(timeout=60)
        second_engine.dispose()

        assert passes[0].posted == 8 and passes[0].lost_claims == 0
        # The second dispatcher polled after the first claims' lease would have run out.
        assert max(polled_at) > first_posted + lease
        assert sum(report.claimed for report in polls) == 0
        assert _posted(slack, ["C1"]) == Counter(dict.fromkeys(ids, 1))
        assert _statuses(engine) == Counter({"sent": 8})
