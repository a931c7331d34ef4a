"""The reminder dispatcher: the one piece of mechanism. The database is the truth, APScheduler
only the clock.

A pass claims the reminders that are due, posts each through the `Poster` it was given (it
never imports Slack), paced to about one post a second per channel, and records the outcome:
sent (with the message's ts), retried later with back-off, failed and reported, or cancelled
because the milestone no longer needs it. A reminder whose earlier claim expired (its process
died between posting and recording) is first looked for in the channel, by the metadata each
post carries, so it is recorded instead of posted twice.
"""

from __future__ import annotations

import heapq
import logging
import os
import socket
import threading
import time as clock_time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy.engine import Engine

from scheduler.calendar import london_date
from scheduler.planning import ReminderDefaults, replan_milestone
from storage import dispatch, repo
from storage.db import session_scope
from storage.models import OPEN_MILESTONE_STATUSES, Milestone, Reminder, Visit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReminderNotice:
    """Everything a poster needs to say about one reminder."""

    reminder_id: int
    kind: str
    offset_days: int
    due_at: datetime
    today: date
    visit: Visit
    milestone: Milestone

    @property
    def channel_id(self) -> str | None:
        return self.visit.channel_id


@dataclass(frozen=True)
class Posted:
    channel_id: str
    ts: str


class TransientPostError(Exception):
    """Worth trying again later: rate limited past the client's retries, a 5xx, a network fault."""


class PermanentPostError(Exception):
    """Trying again will not help (the channel is gone, the bot was removed): report it."""


class Poster(Protocol):
    def post(self, notice: ReminderNotice) -> Posted: ...

    def find_posted(self, notice: ReminderNotice, *, since: datetime) -> Posted | None: ...

    def report_failure(self, notice: ReminderNotice, *, error: str) -> None: ...


@dataclass
class PassReport:
    claimed: int = 0
    posted: int = 0
    reconciled: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    superseded: int = 0
    lost_claims: int = 0
    lags: list[float] = field(default_factory=list)  # seconds from due time to post


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Dispatcher:
    def __init__(
        self,
        *,
        engine: Engine,
        poster: Poster,
        clock: Callable[[], datetime],
        defaults: ReminderDefaults = ReminderDefaults(),
        worker_id: str | None = None,
        batch_size: int = 1000,
        lease: timedelta = timedelta(minutes=2),
        channel_interval: float = 1.0,
        concurrency: int = 16,
        max_attempts: int = 5,
        retry_backoff: timedelta = timedelta(seconds=30),
    ) -> None:
        self.engine = engine
        self.poster = poster
        self.clock = clock
        self.defaults = defaults
        self.worker_id = worker_id or default_worker_id()
        self.batch_size = batch_size
        self.lease = lease
        self.channel_interval = channel_interval
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.retry_backoff = retry_backoff
        self._pass_lock = threading.Lock()

    # --- one pass ---------------------------------------------------------------------------

    def run_pass(self) -> PassReport:
        """Claim and post everything due now; passes in one process never overlap."""
        with self._pass_lock:
            report = PassReport()
            while True:
                with session_scope(self.engine) as session:
                    claims = dispatch.claim_due_reminders(
                        session=session, now=self.clock(), worker_id=self.worker_id,
                        limit=self.batch_size, lease=self.lease,
                    )
                if not claims:
                    return report
                report.claimed += len(claims)
                self._deliver(claims, report)
                if len(claims) < self.batch_size:
                    return report

    def next_wakeup(self) -> datetime | None:
        with session_scope(self.engine) as session:
            return dispatch.next_reminder_due_at(session=session)

    # --- delivery, paced per channel --------------------------------------------------------

    def _deliver(self, claims: list[dispatch.Claim], report: PassReport) -> None:
        latest: dict[int, tuple[dispatch.Claim, ReminderNotice]] = {}
        for claim in claims:
            notice = self._notice(claim)
            if notice is None:
                report.cancelled += 1
                continue
            # Several reminders of one milestone due at once (the bot was down, or a visit was
            # entered late): one post says it all, the latest; the others are superseded.
            earlier = latest.get(notice.milestone.id or 0)
            if earlier is not None:
                older, newer = sorted((earlier, (claim, notice)), key=lambda pair: pair[1].due_at)
                self._supersede(older[0], by=newer[1].reminder_id)
                report.superseded += 1
                latest[notice.milestone.id or 0] = newer
            else:
                latest[notice.milestone.id or 0] = (claim, notice)
        by_channel: dict[str, deque[tuple[dispatch.Claim, ReminderNotice]]] = {}
        for claim, notice in sorted(latest.values(), key=lambda pair: pair[1].due_at):
            channel = notice.channel_id or f"user:{notice.visit.created_by}"
            by_channel.setdefault(channel, deque()).append((claim, notice))
        ready: list[tuple[float, str]] = [(0.0, channel) for channel in by_channel]
        heapq.heapify(ready)
        report_lock = threading.Lock()
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="dispatch") as pool:
            in_flight: dict[Future[None], tuple[str, float]] = {}
            while ready or in_flight:
                now = clock_time.monotonic()
                while ready and ready[0][0] <= now and len(in_flight) < self.concurrency:
                    _, channel = heapq.heappop(ready)
                    claim, notice = by_channel[channel].popleft()
                    future = pool.submit(self._deliver_one, claim, notice, report, report_lock)
                    in_flight[future] = (channel, now)
                timeout = max(0.0, ready[0][0] - clock_time.monotonic()) if ready else None
                if not in_flight:
                    clock_time.sleep(timeout or 0)
                    continue
                done, _ = wait(in_flight, timeout=timeout, return_when=FIRST_COMPLETED)
                for future in done:
                    channel, started = in_flight.pop(future)
                    future.result()
                    if by_channel[channel]:
                        heapq.heappush(ready, (started + self.channel_interval, channel))

    def _supersede(self, claim: dispatch.Claim, *, by: int) -> None:
        with session_scope(self.engine) as session:
            dispatch.cancel_claimed_reminder(
                session=session, reminder_id=claim.reminder_id, worker_id=self.worker_id,
                why=f"superseded by reminder {by}, due at the same time or later",
            )

    def _notice(self, claim: dispatch.Claim) -> ReminderNotice | None:
        """What to post, or None (and the claim cancelled) if the milestone no longer needs it."""
        with session_scope(self.engine) as session:
            reminder = session.get(Reminder, claim.reminder_id)
            milestone = session.get(Milestone, reminder.milestone_id) if reminder else None
            visit = session.get(Visit, milestone.visit_id) if milestone else None
            if reminder is None or milestone is None or visit is None:
                return None
            if visit.status != "open" or milestone.status not in OPEN_MILESTONE_STATUSES:
                dispatch.cancel_claimed_reminder(
                    session=session, reminder_id=claim.reminder_id, worker_id=self.worker_id,
                    why=f"milestone {milestone.status}, visit {visit.status}",
                )
                return None
            session.expunge_all()
        return ReminderNotice(
            reminder_id=claim.reminder_id, kind=reminder.kind, offset_days=reminder.offset_days,
            due_at=reminder.due_at, today=london_date(self.clock()), visit=visit, milestone=milestone,
        )

    def _deliver_one(
        self, claim: dispatch.Claim, notice: ReminderNotice, report: PassReport, lock: threading.Lock
    ) -> None:
        try:
            posted, outcome = None, "posted"
            if claim.reclaimed and claim.previous_claim_at is not None:
                posted = self.poster.find_posted(notice, since=claim.previous_claim_at - timedelta(minutes=5))
                outcome = "reconciled"
            if posted is None:
                posted, outcome = self.poster.post(notice), "posted"
        except TransientPostError as error:
            self._retry_or_fail(notice, str(error), report, lock)
            return
        except PermanentPostError as error:
            self._fail(notice, str(error), report, lock)
            return
        except Exception as error:  # an unknown fault is retried, and reported if it persists
            logger.exception("posting reminder %s failed", notice.reminder_id)
            self._retry_or_fail(notice, f"{type(error).__name__}: {error}", report, lock)
            return
        now = self.clock()
        with session_scope(self.engine) as session:
            recorded = dispatch.mark_reminder_sent(
                session=session, reminder_id=notice.reminder_id, worker_id=self.worker_id,
                channel_id=posted.channel_id, message_ts=posted.ts, now=now,
            )
            if recorded and notice.kind in ("due_day", "overdue", "escalation"):
                # The next overdue reminder is planned only once this one is out.
                milestone = session.get(Milestone, notice.milestone.id)
                visit = session.get(Visit, notice.visit.id)
                if milestone is not None and visit is not None:
                    replan_milestone(session=session, visit=visit, milestone=milestone, defaults=self.defaults, now=now)
            lag = (now - notice.due_at).total_seconds()
        with lock:
            if not recorded:
                report.lost_claims += 1
                logger.error("reminder %s was posted but its claim had expired", notice.reminder_id)
            elif outcome == "reconciled":
                report.reconciled += 1
            else:
                report.posted += 1
                report.lags.append(lag)

    def _retry_or_fail(self, notice: ReminderNotice, error: str, report: PassReport, lock: threading.Lock) -> None:
        with session_scope(self.engine) as session:
            reminder = session.get(Reminder, notice.reminder_id)
            attempts = reminder.attempts if reminder else self.max_attempts
        if attempts >= self.max_attempts:
            self._fail(notice, error, report, lock)
            return
        backoff = self.retry_backoff * (2 ** max(0, attempts - 1))
        with session_scope(self.engine) as session:
            dispatch.release_for_retry(
                session=session, reminder_id=notice.reminder_id, worker_id=self.worker_id,
                error=error, retry_at=self.clock() + backoff,
            )
        logger.warning("reminder %s will be retried in %s: %s", notice.reminder_id, backoff, error)
        with lock:
            report.retried += 1

    def _fail(self, notice: ReminderNotice, error: str, report: PassReport, lock: threading.Lock) -> None:
        with session_scope(self.engine) as session:
            dispatch.mark_reminder_failed(session=session, reminder_id=notice.reminder_id, worker_id=self.worker_id, error=error)
            repo.append_audit_event(
                session=session, visit_id=notice.visit.id or 0, milestone_id=notice.milestone.id,
                actor_user_id=repo.SYSTEM_ACTOR, action="reminder_failed", now=self.clock(),
                note=f"{notice.kind} reminder could not be posted: {error}"[:2000],
                idempotency_key=f"reminder_failed:{notice.reminder_id}",
            )
        logger.error("reminder %s failed for good: %s", notice.reminder_id, error)
        try:
            self.poster.report_failure(notice, error=error)
        except Exception:
            logger.exception("could not report the failure of reminder %s", notice.reminder_id)
        with lock:
            report.failed += 1


class DispatcherClock:
    """APScheduler as the clock: a pass every `interval` seconds and a wake-up at the next due
    reminder, so a reminder due between passes goes out on time."""

    def __init__(self, dispatcher: Dispatcher, *, interval: float) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        self.dispatcher = dispatcher
        self.interval = interval
        self.scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})

    def start(self) -> None:
        self.scheduler.add_job(self._tick, "interval", seconds=self.interval, id="dispatch-pass", next_run_time=datetime.now().astimezone())
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.shutdown(wait=True)

    def _tick(self) -> None:
        try:
            report = self.dispatcher.run_pass()
            if report.claimed:
                logger.info("dispatch pass: %s", report)
            wakeup = self.dispatcher.next_wakeup()
        except Exception:
            logger.exception("dispatch pass failed; the next pass will try again")
            return
        if wakeup is not None:
            self.scheduler.add_job(
                self._tick, "date", run_date=wakeup, id="dispatch-wakeup", replace_existing=True
            )
