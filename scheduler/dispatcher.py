"""The reminder dispatcher: the one piece of mechanism. The database is the truth, APScheduler
only the clock.

A pass claims the reminders that are due, posts each through the `Poster` it was given (it
never imports Slack), paced to about one post a second per channel, and records the outcome:
sent (with the message's ts), retried later with back-off, failed and reported, or cancelled
because the milestone no longer needs it. A reminder whose earlier claim expired (its process
died between posting and recording) is first looked for in the channel, by the metadata each
post carries, so it is recorded instead of posted twice. Claims still waiting their turn in a
busy channel are renewed while they wait, so a pass longer than the lease keeps them.
"""

from __future__ import annotations

import heapq
import logging
import os
import queue
import socket
import threading
import time as clock_time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session

from scheduler.calendar import london_date
from scheduler.planning import ReminderDefaults, replan_milestone
from scheduler.reminders import CATCH_UP, CLOSING, ESCALATION, OVERDUE, kind_on
from scheduler.rules import MilestoneNature, closing_note, nature_of
from storage import dispatch, repo
from storage.db import session_scope
from storage.models import OPEN_MILESTONE_STATUSES, Milestone, Reminder, Visit

logger = logging.getLogger(__name__)

DEFAULT_REMINDERS = ReminderDefaults()


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
    # Other milestones of the same visit said in the same post: dates that had passed before the
    # bot knew of them are caught up in one post per visit, not one per milestone.
    also: tuple[Milestone, ...] = ()

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
        defaults: ReminderDefaults = DEFAULT_REMINDERS,
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
        # Other work on the same clock and pass (chasing sign-offs: handlers.slack.signoffs),
        # each given the pass's time; one failing is logged and does not stop the reminders.
        self.side_passes: list[Callable[[datetime], object]] = []

    # --- one pass ---------------------------------------------------------------------------

    def run_pass(self) -> PassReport:
        """Claim and post everything due now; passes in one process never overlap."""
        with self._pass_lock:
            report = PassReport()
            for side_pass in self.side_passes:
                try:
                    side_pass(self.clock())
                except Exception:
                    logger.exception("a side pass of the dispatcher failed")
            while True:
                now = self.clock()
                with session_scope(self.engine) as session:
                    claims = dispatch.claim_due_reminders(
                        session=session, now=now, worker_id=self.worker_id,
                        limit=self.batch_size, lease=self.lease,
                    )
                if not claims:
                    return report
                report.claimed += len(claims)
                self._deliver(claims, report, claimed_at=now)
                if len(claims) < self.batch_size:
                    return report

    def next_wakeup(self) -> datetime | None:
        with session_scope(self.engine) as session:
            return dispatch.next_reminder_due_at(session=session)

    # --- delivery, paced per channel --------------------------------------------------------
    #
    # Three roles. This thread prepares the pass (one query for every claimed reminder), then
    # hands posts to a pool of posting threads, at most one a channel at a time and the next one
    # in a channel `channel_interval` after the previous one's answer came back (Slack counts
    # arrivals: pacing from the answer, not from the request, keeps two posts apart even when
    # one request was slower to leave than the next). The posting threads only talk to Slack.
    # One recorder thread writes every outcome to the database, in batches: a burst is not a
    # thousand write transactions racing for SQLite's single write lock, and posting never
    # waits for the database.

    def _deliver(
        self, claims: list[dispatch.Claim], report: PassReport, *, claimed_at: datetime
    ) -> None:
        by_channel = self._prepare(claims, report)
        ready: list[tuple[float, str]] = [(0.0, channel) for channel in by_channel]
        heapq.heapify(ready)
        recorder = _Recorder(self, report, held_since=claimed_at)
        queued = sum(len(waiting) for waiting in by_channel.values())  # claimed, not yet handed out
        renew_every = self.lease.total_seconds() / 4
        next_renewal = clock_time.monotonic() + renew_every
        # Posting threads hand back (channel, attempt) here: one blocking get per wake-up, where
        # concurrent.futures.wait() would lock and unlock every future in flight each time.
        finished: queue.SimpleQueue[tuple[str, _Attempt]] = queue.SimpleQueue()
        in_flight = 0
        try:
            with ThreadPoolExecutor(
                max_workers=self.concurrency, thread_name_prefix="dispatch"
            ) as pool:
                while queued or in_flight:
                    now = clock_time.monotonic()
                    if queued and self._must_stop(recorder):
                        # What is not posted yet stays claimed; when its lease runs out it is
                        # looked for in its channel, not found, and posted then.
                        ready.clear()
                        for waiting in by_channel.values():
                            waiting.clear()
                        queued = 0
                    if queued and now >= next_renewal:
                        recorder.renew(
                            [
                                notice.reminder_id
                                for waiting in by_channel.values()
                                for _, notice in waiting
                            ]
                        )
                        next_renewal = now + renew_every
                    while ready and ready[0][0] <= now and in_flight < self.concurrency:
                        _, channel = heapq.heappop(ready)
                        claim, notice = by_channel[channel].popleft()
                        queued -= 1
                        in_flight += 1
                        pool.submit(self._post_into, finished, channel, claim, notice)
                    # Sleep until a post comes back, a channel's turn comes (if a thread is free to
                    # take it: with every thread busy only a post coming back changes anything),
                    # or claims are due for renewal.
                    wake_at = next_renewal if queued else None
                    if ready and in_flight < self.concurrency:
                        wake_at = min(ready[0][0], wake_at if wake_at is not None else ready[0][0])
                    timeout = None if wake_at is None else max(0.0, wake_at - now)
                    if not in_flight:
                        clock_time.sleep(timeout or 0)
                        continue
                    try:
                        results = [finished.get(timeout=timeout)]
                    except queue.Empty:
                        continue
                    while True:
                        try:
                            results.append(finished.get_nowait())
                        except queue.Empty:
                            break
                    for channel, attempt in results:
                        in_flight -= 1
                        recorder.put(attempt)
                        if by_channel[channel]:
                            heapq.heappush(
                                ready, (attempt.finished + self.channel_interval, channel)
                            )
        finally:
            recorder.close()
        if recorder.error is not None:
            raise recorder.error

    def _must_stop(self, recorder: _Recorder) -> bool:
        """Stop handing out posts when outcomes cannot be written, or when the claims still
        waiting may have outlived their lease (renewals failing): another dispatcher may have
        taken them, and posting them too would post them twice."""
        if recorder.error is not None:
            return True
        if self.clock() - recorder.held_since > self.lease * 0.75:
            logger.error(
                "claims could not be renewed for %s: leaving the rest to expire", self.lease * 0.75
            )
            return True
        return False

    def _prepare(
        self, claims: list[dispatch.Claim], report: PassReport
    ) -> dict[str, deque[tuple[dispatch.Claim, ReminderNotice]]]:
        """What to post, by channel, soonest first; reminders no longer needed are cancelled."""
        today = london_date(self.clock())
        latest: dict[int, tuple[dispatch.Claim, ReminderNotice]] = {}
        with session_scope(self.engine) as session:
            rows = {
                reminder.id: (reminder, milestone, visit)
                for reminder, milestone, visit in dispatch.load_claimed(
                    session=session, reminder_ids=[claim.reminder_id for claim in claims]
                )
            }
            for claim in claims:
                row = rows.get(claim.reminder_id)
                if row is None:
                    report.cancelled += 1
                    continue
                reminder, milestone, visit = row
                if visit.status != "open" or milestone.status not in OPEN_MILESTONE_STATUSES:
                    dispatch.cancel_claimed_reminder(
                        session=session,
                        reminder_id=claim.reminder_id,
                        worker_id=self.worker_id,
                        why=f"milestone {milestone.status}, visit {visit.status}",
                    )
                    report.cancelled += 1
                    continue
                kind, offset_days = self._kind_today(reminder, milestone, visit, today)
                notice = ReminderNotice(
                    reminder_id=claim.reminder_id,
                    kind=kind,
                    offset_days=offset_days,
                    due_at=reminder.due_at,
                    today=today,
                    visit=visit,
                    milestone=milestone,
                )
                if kind == CLOSING and _closes_silently(milestone):
                    self._close(session, notice, silently=True)
                    report.cancelled += 1
                    continue
                # Several reminders of one milestone due at once (the bot was down, or a visit was
                # entered late): one post says it all, the latest; the others are superseded.
                earlier = latest.get(milestone.id or 0)
                if earlier is not None:
                    older, newer = sorted(
                        (earlier, (claim, notice)), key=lambda pair: pair[1].due_at
                    )
                    dispatch.cancel_claimed_reminder(
                        session=session,
                        reminder_id=older[0].reminder_id,
                        worker_id=self.worker_id,
                        why=f"superseded by reminder {newer[1].reminder_id}, "
                        "due at the same time or later",
                    )
                    report.superseded += 1
                    latest[milestone.id or 0] = newer
                else:
                    latest[milestone.id or 0] = (claim, notice)
            merged = self._caught_up_together(session, list(latest.values()), report)
            for milestone_id, pair in merged.items():
                if pair is None:
                    del latest[milestone_id]
                else:
                    latest[milestone_id] = pair
            session.expunge_all()
        by_channel: dict[str, deque[tuple[dispatch.Claim, ReminderNotice]]] = {}
        for claim, notice in sorted(latest.values(), key=lambda pair: pair[1].due_at):
            channel = notice.channel_id or f"user:{notice.visit.created_by}"
            by_channel.setdefault(channel, deque()).append((claim, notice))
        return by_channel

    def _kind_today(
        self, reminder: Reminder, milestone: Milestone, visit: Visit, today: date
    ) -> tuple[str, int]:
        """A reminder posted late takes the kind of the day it is posted; "escalated" only when
        there is someone to tell (the escalation contact, else the visit's creator)."""
        kind, offset_days = reminder.kind, reminder.offset_days
        if kind != CLOSING and london_date(reminder.due_at) < today:
            kind, offset_days = kind_on(
                day=today,
                due=milestone.due_date,
                nature=nature_of(milestone.kind),
                calendar=self.defaults.calendar,
                escalate_after=self.defaults.escalate_after,
            )
        if kind == ESCALATION and (
            not (visit.escalation_user_id or visit.created_by) or _passed_before_known(milestone)
        ):
            # Nobody to tell; or late before the bot knew of it, which no escalation mends.
            kind = OVERDUE
        return kind, offset_days

    def _caught_up_together(
        self,
        session: Session,
        pairs: list[tuple[dispatch.Claim, ReminderNotice]],
        report: PassReport,
    ) -> dict[int, tuple[dispatch.Claim, ReminderNotice] | None]:
        """One post per visit for the dates that had passed before the bot knew of them (an old
        letter entered late) and the catch-ups due at once: the soonest speaks for the rest.
        By milestone id: the post that now stands for it, or None where another one says it."""
        by_visit: dict[int, list[tuple[dispatch.Claim, ReminderNotice]]] = {}
        for pair in pairs:
            notice = pair[1]
            if notice.kind == CATCH_UP or (
                notice.kind in (OVERDUE, ESCALATION) and _passed_before_known(notice.milestone)
            ):
                by_visit.setdefault(notice.visit.id or 0, []).append(pair)
        changes: dict[int, tuple[dispatch.Claim, ReminderNotice] | None] = {}
        for group in by_visit.values():
            if len(group) < 2:
                continue
            group.sort(key=lambda pair: (pair[1].milestone.due_date, pair[1].milestone.id or 0))
            (claim, first), rest = group[0], group[1:]
            for other_claim, other in rest:
                dispatch.cancel_claimed_reminder(
                    session=session,
                    reminder_id=other_claim.reminder_id,
                    worker_id=self.worker_id,
                    why=f"said in the visit's catching-up post, reminder {first.reminder_id}",
                )
                report.superseded += 1
                changes[other.milestone.id or 0] = None
            also = tuple(other.milestone for _, other in rest)
            changes[first.milestone.id or 0] = (claim, replace(first, kind=CATCH_UP, also=also))
        return changes

    def _close(self, session: Session, notice: ReminderNotice, *, silently: bool) -> None:
        """An event's day or a decision window has passed: the milestone closes, once."""
        milestone = session.get(Milestone, notice.milestone.id)
        if silently:
            dispatch.mark_reminder_sent(
                session=session,
                reminder_id=notice.reminder_id,
                worker_id=self.worker_id,
                channel_id=notice.visit.channel_id or "",
                message_ts="",
                now=self.clock(),
            )
        if milestone is None or milestone.status not in OPEN_MILESTONE_STATUSES:
            return
        repo.set_milestone_status(
            session=session,
            milestone=milestone,
            status="done",
            actor_user_id=repo.SYSTEM_ACTOR,
            now=self.clock(),
            note=closing_note(
                kind=milestone.kind,
                approval_status=milestone.approval_status,
                passed_before=_passed_before_known(milestone),
            ),
            idempotency_key=f"closing:{notice.reminder_id}",
        )

    def _post_into(
        self,
        finished: queue.SimpleQueue[tuple[str, _Attempt]],
        channel: str,
        claim: dispatch.Claim,
        notice: ReminderNotice,
    ) -> None:
        try:
            attempt = self._post_one(claim, notice)
        except Exception as error:  # never leave the pass waiting for an answer that won't come
            logger.exception("posting reminder %s failed", notice.reminder_id)
            attempt = _Attempt(
                claim=claim,
                notice=notice,
                outcome="transient",
                error=f"{type(error).__name__}: {error}",
                finished=clock_time.monotonic(),
            )
        finished.put((channel, attempt))

    def _post_one(self, claim: dispatch.Claim, notice: ReminderNotice) -> _Attempt:
        """Post one reminder (after looking for it, if an earlier attempt may have posted it).
        Runs on a posting thread; never raises: the outcome goes to the recorder."""
        attempt = _Attempt(claim=claim, notice=notice)
        try:
            if claim.reclaimed and claim.previous_claim_at is not None:
                # Every attempt came after the reminder fell due: look from then on.
                since = min(claim.previous_claim_at, notice.due_at) - timedelta(minutes=5)
                attempt.posted = self.poster.find_posted(notice, since=since)
                attempt.outcome = "reconciled"
            if attempt.posted is None:
                attempt.posted, attempt.outcome = self.poster.post(notice), "posted"
        except TransientPostError as error:
            attempt.outcome, attempt.error = "transient", str(error)
        except PermanentPostError as error:
            attempt.outcome, attempt.error = "permanent", str(error)
        except Exception as error:  # an unknown fault is retried, and reported if it persists
            logger.exception("posting reminder %s failed", notice.reminder_id)
            attempt.outcome, attempt.error = "transient", f"{type(error).__name__}: {error}"
        attempt.at = self.clock()
        attempt.finished = clock_time.monotonic()
        return attempt

    # --- recording, on the recorder thread ---------------------------------------------------

    def _record(
        self, session: Session, attempt: _Attempt, tally: PassReport, failures: list[_Attempt]
    ) -> None:
        """Write one outcome in the recorder's transaction. Counts go to `tally` and failures to
        report to `failures`, both acted on only once the transaction commits."""
        notice, now = attempt.notice, attempt.at or self.clock()
        if attempt.posted is None:
            reminder = session.get(Reminder, notice.reminder_id)
            attempts = reminder.attempts if reminder else self.max_attempts
            if attempt.outcome == "permanent" or attempts >= self.max_attempts:
                self._fail(session, notice, attempt.error or "unknown error", now=now)
                failures.append(attempt)
                tally.failed += 1
                return
            backoff = self.retry_backoff * (2 ** max(0, attempts - 1))
            dispatch.release_for_retry(
                session=session,
                reminder_id=notice.reminder_id,
                worker_id=self.worker_id,
                error=attempt.error or "unknown error",
                retry_at=now + backoff,
            )
            logger.warning(
                "reminder %s will be retried in %s: %s", notice.reminder_id, backoff, attempt.error
            )
            tally.retried += 1
            return
        recorded = dispatch.mark_reminder_sent(
            session=session,
            reminder_id=notice.reminder_id,
            worker_id=self.worker_id,
            channel_id=attempt.posted.channel_id,
            message_ts=attempt.posted.ts,
            now=now,
        )
        if not recorded:
            tally.lost_claims += 1
            logger.error("reminder %s was posted but its claim had expired", notice.reminder_id)
            return
        if notice.kind == CLOSING:
            self._close(session, notice, silently=False)
        if notice.kind in ("due_day", "overdue", "escalation") or notice.also:
            # The next overdue reminder is planned only once this one is out (for each milestone
            # a catching-up post spoke for).
            visit = session.get(Visit, notice.visit.id)
            for said in (notice.milestone, *notice.also):
                milestone = session.get(Milestone, said.id)
                if milestone is None or visit is None:
                    continue
                replan_milestone(
                    session=session,
                    visit=visit,
                    milestone=milestone,
                    defaults=self.defaults,
                    now=now,
                )
        if attempt.outcome == "reconciled":
            tally.reconciled += 1
        else:
            tally.posted += 1
            tally.lags.append((now - notice.due_at).total_seconds())

    def _fail(self, session: Session, notice: ReminderNotice, error: str, *, now: datetime) -> None:
        dispatch.mark_reminder_failed(
            session=session, reminder_id=notice.reminder_id, worker_id=self.worker_id, error=error
        )
        repo.append_audit_event(
            session=session,
            visit_id=notice.visit.id or 0,
            milestone_id=notice.milestone.id,
            actor_user_id=repo.SYSTEM_ACTOR,
            action="reminder_failed",
            now=now,
            note=f"{notice.kind} reminder could not be posted: {error}"[:2000],
            idempotency_key=f"reminder_failed:{notice.reminder_id}",
        )

    def _report_failure(self, attempt: _Attempt) -> None:
        """Tell a person, once the failure is stored, so it is never lost silently."""
        logger.error("reminder %s failed for good: %s", attempt.notice.reminder_id, attempt.error)
        try:
            self.poster.report_failure(attempt.notice, error=attempt.error or "unknown error")
        except Exception:
            logger.exception(
                "could not report the failure of reminder %s", attempt.notice.reminder_id
            )


def _passed_before_known(milestone: Milestone) -> bool:
    """Its date had passed before its schedule began (an old letter, a date moved back)."""
    began = milestone.schedule_from or milestone.created_at
    return milestone.due_date < london_date(began)


def _closes_silently(milestone: Milestone) -> bool:
    """An event closes without a word (it was announced on its day); so does anything whose day
    had passed before the bot knew of it. A decision window says what was decided."""
    return nature_of(milestone.kind) == MilestoneNature.EVENT or _passed_before_known(milestone)


@dataclass
class _Attempt:
    """What became of one post: handed from a posting thread to the recorder."""

    claim: dispatch.Claim
    notice: ReminderNotice
    posted: Posted | None = None
    outcome: str = "posted"  # posted, reconciled, transient or permanent
    error: str | None = None
    at: datetime | None = None  # the dispatcher's clock when the post returned
    finished: float = 0.0  # monotonic, for pacing the channel's next post


class _Recorder:
    """The one thread that writes a pass's outcomes, batching whatever has arrived.

    A batch is one transaction; if it fails, each outcome is tried again in a transaction of its
    own, so one bad row cannot hold back the others. An outcome that still cannot be written
    stays claimed: when its lease runs out it is looked for in the channel, found, and recorded
    (never posted again). The first such error stops the pass and is raised at its end.
    """

    BATCH = 200

    def __init__(self, dispatcher: Dispatcher, report: PassReport, *, held_since: datetime) -> None:
        self.dispatcher = dispatcher
        self.report = report
        self.error: BaseException | None = None
        self.held_since = held_since  # when the waiting claims were last claimed or renewed
        self._queue: queue.SimpleQueue[_Attempt | list[int] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="dispatch-recorder", daemon=True)
        self._thread.start()

    def put(self, attempt: _Attempt) -> None:
        self._queue.put(attempt)

    def renew(self, reminder_ids: list[int]) -> None:
        self._queue.put(reminder_ids)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            items = [self._queue.get()]
            while len(items) < self.BATCH and items[-1] is not None:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            attempts = [item for item in items if isinstance(item, _Attempt)]
            renewals = [item for item in items if isinstance(item, list)]
            if attempts:
                self._write(attempts)
            if renewals:
                self._renew(renewals[-1])
            if items[-1] is None:
                return

    def _write(self, attempts: list[_Attempt]) -> None:
        if len(attempts) > 1:
            try:
                self._commit(attempts)
                return
            except Exception:
                logger.warning(
                    "recording %d outcomes together failed; one by one now",
                    len(attempts),
                    exc_info=True,
                )
        for attempt in attempts:
            try:
                self._commit([attempt])
            except Exception as error:
                logger.exception(
                    "could not record reminder %s; it stays claimed, and will be looked for in "
                    "its channel when its lease runs out",
                    attempt.notice.reminder_id,
                )
                self.error = self.error or error

    def _commit(self, attempts: list[_Attempt]) -> None:
        tally, failures = PassReport(), list[_Attempt]()
        with session_scope(self.dispatcher.engine) as session:
            for attempt in attempts:
                self.dispatcher._record(session, attempt, tally, failures)
        report = self.report
        report.posted += tally.posted
        report.reconciled += tally.reconciled
        report.retried += tally.retried
        report.failed += tally.failed
        report.lost_claims += tally.lost_claims
        report.lags.extend(tally.lags)
        for attempt in failures:
            self.dispatcher._report_failure(attempt)

    def _renew(self, reminder_ids: list[int]) -> None:
        now = self.dispatcher.clock()
        try:
            with session_scope(self.dispatcher.engine) as session:
                dispatch.renew_claims(
                    session=session,
                    reminder_ids=reminder_ids,
                    worker_id=self.dispatcher.worker_id,
                    now=now,
                )
        except Exception:
            logger.warning("could not renew %d claims", len(reminder_ids), exc_info=True)
            return
        self.held_since = now


class DispatcherClock:
    """APScheduler as the clock: a pass every `interval` seconds and a wake-up at the next due
    reminder, so a reminder due between passes goes out on time."""

    def __init__(self, dispatcher: Dispatcher, *, interval: float) -> None:
        from apscheduler.schedulers.background import (  # type: ignore[import-untyped]
            BackgroundScheduler,
        )

        self.dispatcher = dispatcher
        self.interval = interval
        self.scheduler = BackgroundScheduler(
            timezone="UTC",
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    def start(self) -> None:
        self.scheduler.add_job(
            self._tick,
            "interval",
            seconds=self.interval,
            id="dispatch-pass",
            next_run_time=datetime.now().astimezone(),
        )
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
