"""The dispatcher's claim queries, on SQLite and PostgreSQL: what is claimed, what is left, what
an expired claim tells its next claimer, and claims renewed while they wait their turn."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select

from storage import dispatch, repo
from storage.models import Reminder

NOW = datetime(2026, 4, 28, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


def _milestones(session: Session, count: int) -> list[int]:
    visit = repo.create_visit(
        session=session,
        local_authority="Fernleigh",
        visit_type="other",
        letter_date=None,
        visit_dates=[],
        inspectors=[],
        created_by="U1",
        channel_id="C1",
        now=NOW - timedelta(days=10),
        milestones=[
            repo.NewMilestone(
                kind=f"custom_{k}",
                label=f"Milestone {k}",
                due_date=date(2026, 5, 6),
                source="manual",
            )
            for k in range(count)
        ],
    )
    session.flush()
    return [m.id or 0 for m in repo.list_milestones(session=session, visit_id=visit.id or 0)]


def _reminder(session: Session, milestone_id: int, due_at: datetime, **fields: object) -> int:
    row = Reminder(milestone_id=milestone_id, due_at=due_at, kind="ahead", offset_days=5, **fields)
    session.add(row)
    session.flush()
    return row.id or 0


def test_due_pending_reminders_are_claimed_soonest_first_and_the_rest_left(session):
    m = _milestones(session, 6)
    late = _reminder(session, m[0], NOW - timedelta(minutes=1))
    early = _reminder(session, m[1], NOW - timedelta(hours=1))
    future = _reminder(session, m[2], NOW + timedelta(seconds=1))
    backing_off = _reminder(
        session, m[3], NOW - timedelta(hours=2), next_attempt_at=NOW + timedelta(seconds=30)
    )
    retry_due = _reminder(
        session,
        m[4],
        NOW - timedelta(hours=3),
        next_attempt_at=NOW,
        attempts=1,
        claimed_at=NOW - timedelta(minutes=1),
    )
    sent = _reminder(session, m[5], NOW - timedelta(hours=4), status="sent")
    session.commit()

    claims = dispatch.claim_due_reminders(
        session=session, now=NOW, worker_id="w1", limit=10, lease=LEASE
    )
    session.commit()

    assert [c.reminder_id for c in claims] == [retry_due, early, late]
    # Only the retry had an earlier attempt: it is looked for in the channel before posting.
    assert [(c.reclaimed, c.previous_claim_at) for c in claims] == [
        (True, NOW - timedelta(minutes=1)),
        (False, None),
        (False, None),
    ]
    rows = {r.id: r for r in session.exec(select(Reminder))}
    for claimed in (retry_due, early, late):
        assert (rows[claimed].status, rows[claimed].claimed_by, rows[claimed].claimed_at) == (
            "claimed",
            "w1",
            NOW,
        )
    assert rows[retry_due].attempts == 2 and rows[early].attempts == 1
    assert {rows[i].status for i in (future, backing_off)} == {"pending"}
    assert rows[sent].status == "sent"
    # Nothing is claimed twice.
    assert (
        dispatch.claim_due_reminders(
            session=session, now=NOW, worker_id="w2", limit=10, lease=LEASE
        )
        == []
    )


def test_the_limit_is_kept_and_expired_claims_come_first(session):
    m = _milestones(session, 5)
    pending = [_reminder(session, m[k], NOW - timedelta(minutes=k)) for k in range(4)]
    stale = _reminder(
        session,
        m[4],
        NOW - timedelta(minutes=1),
        status="claimed",
        claimed_by="dead",
        attempts=1,
        claimed_at=NOW - LEASE - timedelta(seconds=1),
    )
    session.commit()

    first = dispatch.claim_due_reminders(
        session=session, now=NOW, worker_id="w1", limit=3, lease=LEASE
    )
    session.commit()
    second = dispatch.claim_due_reminders(
        session=session, now=NOW, worker_id="w1", limit=3, lease=LEASE
    )
    session.commit()

    assert first[0].reminder_id == stale and first[0].reclaimed
    assert first[0].previous_claim_at == NOW - LEASE - timedelta(seconds=1)
    assert len(first) == 3 and len(second) == 2
    assert sorted(c.reminder_id for c in first + second) == sorted([*pending, stale])


def test_renewing_keeps_a_waiting_claim_from_expiring_and_only_for_its_holder(session):
    m = _milestones(session, 2)
    mine = _reminder(session, m[0], NOW - timedelta(minutes=1))
    theirs = _reminder(session, m[1], NOW - timedelta(minutes=1))
    session.commit()
    dispatch.claim_due_reminders(session=session, now=NOW, worker_id="w1", limit=1, lease=LEASE)
    dispatch.claim_due_reminders(session=session, now=NOW, worker_id="w2", limit=1, lease=LEASE)
    session.commit()

    later = NOW + LEASE - timedelta(seconds=10)
    renewed = dispatch.renew_claims(
        session=session, reminder_ids=[mine, theirs], worker_id="w1", now=later
    )
    session.commit()

    assert renewed == 1
    # Past the first lease: w2's claim has expired, w1's renewed one has not.
    after = NOW + LEASE + timedelta(seconds=1)
    taken = dispatch.claim_due_reminders(
        session=session, now=after, worker_id="w3", limit=10, lease=LEASE
    )
    assert [c.reminder_id for c in taken] == [theirs]


def test_load_claimed_gives_each_reminder_with_its_milestone_and_visit_in_one_go(session):
    m = _milestones(session, 3)
    ids = [_reminder(session, milestone, NOW) for milestone in m]
    session.commit()

    rows = dispatch.load_claimed(session=session, reminder_ids=[*ids, 999_999])

    assert sorted(reminder.id for reminder, _, _ in rows) == sorted(ids)
    assert all(
        milestone.id == reminder.milestone_id and visit.id == milestone.visit_id
        for reminder, milestone, visit in rows
    )
    assert dispatch.load_claimed(session=session, reminder_ids=[]) == []


def test_the_wake_up_is_the_soonest_pending_reminder_or_retry(session):
    m = _milestones(session, 4)
    assert dispatch.next_reminder_due_at(session=session) is None
    _reminder(session, m[0], NOW + timedelta(hours=2))
    _reminder(session, m[1], NOW - timedelta(days=1), status="sent")
    session.commit()
    assert dispatch.next_reminder_due_at(session=session) == NOW + timedelta(hours=2)

    # A retry put off to before the next fresh reminder wakes the dispatcher for it ...
    _reminder(
        session,
        m[2],
        NOW - timedelta(hours=1),
        attempts=1,
        next_attempt_at=NOW + timedelta(minutes=10),
    )
    session.commit()
    assert dispatch.next_reminder_due_at(session=session) == NOW + timedelta(minutes=10)
    # ... and a fresh reminder due sooner than every retry wakes it first.
    _reminder(session, m[3], NOW + timedelta(minutes=5))
    session.commit()
    assert dispatch.next_reminder_due_at(session=session) == NOW + timedelta(minutes=5)


def test_the_wake_up_with_only_retries_pending_is_the_soonest_retry(session):
    m = _milestones(session, 2)
    _reminder(
        session,
        m[0],
        NOW - timedelta(hours=3),
        attempts=2,
        next_attempt_at=NOW + timedelta(minutes=30),
    )
    _reminder(
        session,
        m[1],
        NOW - timedelta(hours=1),
        attempts=1,
        next_attempt_at=NOW + timedelta(minutes=3),
    )
    session.commit()
    assert dispatch.next_reminder_due_at(session=session) == NOW + timedelta(minutes=3)
