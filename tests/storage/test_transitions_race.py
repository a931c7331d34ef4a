"""One decision per sign-off, one transition per click: two clicks at the same instant.

Two threads, each in its own unit of work as two web requests would be, are released
together, 50 times, on SQLite and on PostgreSQL. Exactly one of them changes the row and
writes an `ok` audit event; the other changes nothing and records nothing.

On PostgreSQL both threads first read the row and only then, released together again, ask
for the change, so both act on the same stale state (the race a sign-off meets when Approve
and Reject are pressed at once): only the conditional UPDATE stands between them. SQLite lets
one writer in at a time (BEGIN IMMEDIATE), so there the second reads what the first left; a
second barrier would only make it wait for the busy timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage import repo
from storage.db import session_scope
from storage.models import Approval, AuditEvent, Milestone, Visit

TRIALS = 50
NOW = datetime(2026, 4, 28, 9, 42, tzinfo=UTC)
WAIT_SECONDS = 30  # a barrier never waits this long unless a thread is stuck


@dataclass(frozen=True)
class Race:
    """Two changes to one visit's milestone, by two people, and what the winner leaves."""

    actions: tuple[str, ...]  # the audit actions of a decision
    first: Callable[..., Any]
    second: Callable[..., Any]
    needs_sign_off_requested: bool = False
    also: Callable[[Engine, int, AuditEvent], None] | None = None  # what else the winner leaves


def _approve(*, session: Session, milestone: Milestone, visit: Visit) -> Any:
    return repo.decide_approval(
        session=session, milestone=milestone, decision="approved", actor_user_id="U_JO", now=NOW
    )


def _reject(*, session: Session, milestone: Milestone, visit: Visit) -> Any:
    return repo.decide_approval(
        session=session,
        milestone=milestone,
        decision="rejected",
        reason="Needs the MASH actions",
        actor_user_id="U_SAM",
        now=NOW,
    )


def _done_by(user_id: str) -> Callable[..., Any]:
    def done(*, session: Session, milestone: Milestone, visit: Visit) -> Any:
        return repo.set_milestone_status(
            session=session, milestone=milestone, status="done", actor_user_id=user_id, now=NOW
        )

    return done


def _acknowledge_by(user_id: str) -> Callable[..., Any]:
    def acknowledge(*, session: Session, milestone: Milestone, visit: Visit) -> Any:
        return repo.set_milestone_status(
            session=session,
            milestone=milestone,
            status="acknowledged",
            actor_user_id=user_id,
            now=NOW,
        )

    return acknowledge


def _request_by(user_id: str) -> Callable[..., Any]:
    def request(*, session: Session, milestone: Milestone, visit: Visit) -> Any:
        return repo.request_approval(
            session=session, milestone=milestone, actor_user_id=user_id, now=NOW
        )

    return request


def _assign_to(owner: str) -> Callable[..., Any]:
    def assign(*, session: Session, milestone: Milestone, visit: Visit) -> Any:
        return repo.set_milestone_owner(
            session=session, milestone=milestone, owner_user_id=owner, actor_user_id=owner, now=NOW
        )

    return assign


def _snooze_by(user_id: str) -> Callable[..., Any]:
    def snooze(*, session: Session, milestone: Milestone, visit: Visit) -> Any:
        return repo.snooze_milestone(
            session=session,
            milestone=milestone,
            until=date(2026, 4, 29),
            actor_user_id=user_id,
            now=NOW,
        )

    return snooze


def _close_by(user_id: str) -> Callable[..., Any]:
    def close(*, session: Session, milestone: Milestone, visit: Visit) -> Any:
        return repo.close_visit(session=session, visit=visit, actor_user_id=user_id, now=NOW)

    return close


def _one_decision_on_the_request(engine: Engine, milestone_id: int, winner: AuditEvent) -> None:
    with Session(engine) as session:
        milestone = session.get(Milestone, milestone_id)
        (request,) = session.exec(
            select(Approval).where(col(Approval.milestone_id) == milestone_id)
        ).all()
    decision = winner.action.removeprefix("approval_")
    assert milestone is not None and milestone.approval_status == decision
    assert (request.decision, request.decided_by) == (decision, winner.actor_user_id)


def _one_request(engine: Engine, milestone_id: int, winner: AuditEvent) -> None:
    with Session(engine) as session:
        (request,) = session.exec(
            select(Approval).where(col(Approval.milestone_id) == milestone_id)
        ).all()
    assert request.requested_by == winner.actor_user_id


RACES = {
    "approve-and-reject": Race(
        ("approval_approved", "approval_rejected"),
        _approve,
        _reject,
        needs_sign_off_requested=True,
        also=_one_decision_on_the_request,
    ),
    "done-twice": Race(("milestone_status_changed",), _done_by("U_JO"), _done_by("U_SAM")),
    "acknowledge-twice": Race(
        ("milestone_status_changed",), _acknowledge_by("U_JO"), _acknowledge_by("U_SAM")
    ),
    "request-sign-off-twice": Race(
        ("approval_requested",), _request_by("U_JO"), _request_by("U_SAM"), also=_one_request
    ),
    "snooze-twice": Race(("milestone_snoozed",), _snooze_by("U_JO"), _snooze_by("U_SAM")),
    "close-twice": Race(("visit_closed",), _close_by("U_JO"), _close_by("U_SAM")),
}


TEAM = "T_RACES"


def _new_visit(engine: Engine, *, trial: int, request_sign_off: bool) -> tuple[int, int]:
    with session_scope(engine) as session:
        visit = repo.create_visit(
            session=session,
            local_authority=f"Fernleigh {trial}",
            visit_type="focused_visit",
            letter_date=date(2026, 4, 22),
            visit_dates=[],
            inspectors=[],
            created_by="U_OFFICER",
            approvers=["U_JO", "U_SAM"],
            now=NOW,
            team_id=TEAM,
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
        if request_sign_off:
            repo.request_approval(
                session=session, milestone=milestone, actor_user_id="U_OFFICER", now=NOW
            )
        return visit.id or 0, milestone.id or 0


def _run_together(engine: Engine, race: Race, *, visit_id: int, milestone_id: int) -> list[Any]:
    start = threading.Barrier(2, timeout=WAIT_SECONDS)
    # After both have read: only where reading takes no write lock (see the module docstring).
    both_read = (
        threading.Barrier(2, timeout=WAIT_SECONDS) if engine.dialect.name == "postgresql" else None
    )
    results: list[Any] = [None, None]
    errors: list[BaseException] = []

    def click(index: int, change: Callable[..., Any]) -> None:
        try:
            start.wait()
            with session_scope(engine) as session:
                milestone = repo.get_milestone(
                    session=session, milestone_id=milestone_id, team_id=TEAM
                )
                visit = repo.get_visit_by_id(session=session, visit_id=visit_id, team_id=TEAM)
                assert milestone is not None and visit is not None
                if both_read is not None:
                    both_read.wait()
                results[index] = change(session=session, milestone=milestone, visit=visit)
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)

    threads = [
        threading.Thread(target=click, args=(i, c)) for i, c in enumerate((race.first, race.second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS * 2)
    assert not errors, errors
    return results


def _ok_events(engine: Engine, *, visit_id: int, actions: tuple[str, ...]) -> list[AuditEvent]:
    with Session(engine) as session:
        events = session.exec(
            select(AuditEvent).where(
                col(AuditEvent.visit_id) == visit_id, col(AuditEvent.outcome) == "ok"
            )
        ).all()
    return [e for e in events if e.action in actions]


@pytest.mark.parametrize("race", RACES.values(), ids=RACES.keys())
def test_of_two_clicks_at_once_exactly_one_decides(engine: Engine, race: Race) -> None:
    for trial in range(TRIALS):
        visit_id, milestone_id = _new_visit(
            engine, trial=trial, request_sign_off=race.needs_sign_off_requested
        )

        results = _run_together(engine, race, visit_id=visit_id, milestone_id=milestone_id)

        winners = [result for result in results if result is not None]
        assert len(winners) == 1, f"trial {trial}: {len(winners)} decisions"
        (event,) = _ok_events(engine, visit_id=visit_id, actions=race.actions)
        assert (event.id, event.actor_user_id) == (winners[0].id, winners[0].actor_user_id)
        if race.also is not None:
            race.also(engine, milestone_id, event)


def test_two_owners_assigned_at_once_are_two_transitions_each_from_what_it_replaced(
    engine: Engine,
) -> None:
    """An owner is not a decision: the later pick stands, and the trail shows both, in order."""
    race = Race(("milestone_owner_changed",), _assign_to("U_JO"), _assign_to("U_SAM"))
    for trial in range(TRIALS):
        visit_id, milestone_id = _new_visit(engine, trial=trial, request_sign_off=False)

        _run_together(engine, race, visit_id=visit_id, milestone_id=milestone_id)

        first, second = sorted(
            _ok_events(engine, visit_id=visit_id, actions=race.actions), key=lambda e: e.id or 0
        )
        with Session(engine) as session:
            owner = session.get(Milestone, milestone_id).owner_user_id  # type: ignore[union-attr]
        assert first.note == f"owner none → {first.actor_user_id}"
        assert (
            second.note
            == f"owner {first.actor_user_id} → {second.actor_user_id}"
            == f"owner {first.actor_user_id} → {owner}"
        )


def _settings_by(user_id: str, channel_id: str) -> Callable[..., Any]:
    def save(*, session: Session, milestone: Milestone, visit: Visit) -> Any:
        return repo.update_visit_settings(
            session=session,
            visit=visit,
            channel_id=channel_id,
            reminder_time=None,
            reminder_offsets=None,
            escalation_user_id=None,
            approvers=["U_JO", "U_SAM"],
            actor_user_id=user_id,
            now=NOW,
        )

    return save


def test_two_settings_saved_at_once_are_audited_each_from_what_it_replaced(engine: Engine) -> None:
    """The visit's row is locked for the save, so the second audits the first's values as old."""
    race = Race(("settings_changed",), _settings_by("U_JO", "C_JO"), _settings_by("U_SAM", "C_SAM"))
    for trial in range(TRIALS):
        visit_id, milestone_id = _new_visit(engine, trial=trial, request_sign_off=False)

        _run_together(engine, race, visit_id=visit_id, milestone_id=milestone_id)

        first, second = sorted(
            _ok_events(engine, visit_id=visit_id, actions=race.actions), key=lambda e: e.id or 0
        )
        with Session(engine) as session:
            channel = session.get(Visit, visit_id).channel_id  # type: ignore[union-attr]
        first_channel = f"C_{first.actor_user_id.removeprefix('U_')}"
        assert first.note == f"channel default → {first_channel}"
        assert second.note == f"channel {first_channel} → {channel}" != first.note
