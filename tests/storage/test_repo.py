"""Repository functions, on SQLite and PostgreSQL through the `session` fixture."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.models import AuditEvent, Milestone, Reminder, Visit
from storage.repo import (
    SYSTEM_ACTOR,
    NewMilestone,
    NewReminder,
    VisibleTo,
    add_reminders,
    adopt_unowned_rows,
    append_audit_event,
    cancel_pending_reminders,
    close_visit,
    create_visit,
    get_milestone,
    get_visit,
    get_visit_by_id,
    list_approvers,
    list_audit_events,
    list_milestones,
    list_open_visits,
    list_reminders,
    reference_base,
    set_milestone_owner,
    set_milestone_status,
)
from tests.conftest import FACTORY_TEAM

EVERY_VISIT = VisibleTo(team_id=FACTORY_TEAM, user_id="U_ANYONE", channel_ids=None)
"""Every visit of the workspace, as an administrator sees them."""

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2021, 6, 22, 8, 0, tzinfo=UTC)
LATER = datetime(2021, 6, 23, 14, 30, tzinfo=UTC)

MakeVisit = Callable[..., Visit]


def _id(value: int | None) -> int:
    assert value is not None
    return value


def _first_milestone(session: Session, visit: Visit) -> Milestone:
    return list_milestones(session=session, visit_id=_id(visit.id))[0]


def _wait_until_blocked(engine: Engine) -> None:
    """Give a second writer time to reach the point where it waits for the first."""
    if engine.dialect.name != "postgresql":
        time.sleep(0.3)  # SQLite: it waits in BEGIN IMMEDIATE; nothing to observe
        return
    deadline = time.monotonic() + 5
    with engine.connect() as observer:
        while time.monotonic() < deadline:
            waiting = observer.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            ).scalar_one()
            observer.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the second writer never waited for the first")


# --- create_visit -----------------------------------------------------------------


def test_create_visit_round_trip(session: Session, engine: Engine) -> None:
    milestones = [
        NewMilestone(
            kind="action_plan_draft_due",
            label="Draft action plan",
            due_date=date(2021, 7, 20),
            source="rule",
            rule="20 working days from the letter date",
            needs_approval=True,
            owner_user_id="U_DCS",
        ),
        NewMilestone(
            kind="complaint_deadline",
            label="Complaint window closes",
            due_date=date(2021, 6, 29),
            source="rule",
            rule="5 working days from the letter date",
        ),
        NewMilestone(
            kind="survey_deadline",
            label="Post-inspection survey",
            due_date=date(2021, 8, 20),
            source="letter",
            evidence="We would be grateful for your feedback by 20 August 2021",
        ),
    ]
    created = create_visit(
        session=session,
        team_id=FACTORY_TEAM,
        local_authority="St Helens",
        visit_type="standard_inspection",
        letter_date=date(2021, 6, 22),
        visit_dates=[date(2021, 6, 18), date(2021, 6, 7), date(2021, 6, 10)],
        inspectors=["Jo Inspector", "Sam Inspector"],
        milestones=milestones,
        created_by="U_CREATOR",
        channel_id="C_OFSTED",
        approvers=["U_DCS", "U_HEAD", "U_DCS", " "],
        now=datetime(2021, 6, 22, 9, 15, tzinfo=LONDON),
    )
    session.commit()

    with Session(engine) as fresh:
        visit = get_visit(session=fresh, reference="st-helens-2106", team_id=FACTORY_TEAM)
        assert visit is not None
        assert visit.id == created.id
        assert (visit.local_authority, visit.visit_type, visit.status) == (
            "St Helens",
            "standard_inspection",
            "open",
        )
        assert (visit.letter_date, visit.visit_start, visit.visit_end) == (
            date(2021, 6, 22),
            date(2021, 6, 7),
            date(2021, 6, 18),
        )
        assert visit.inspectors == ["Jo Inspector", "Sam Inspector"]
        assert visit.channel_id == "C_OFSTED"
        assert visit.created_by == "U_CREATOR"
        assert visit.created_at == datetime(2021, 6, 22, 8, 15, tzinfo=UTC)
        assert visit.created_at.tzinfo is not None
        assert visit.closed_at is None
        assert (visit.reminder_time, visit.reminder_offsets) == (None, None)

        stored = list_milestones(session=fresh, visit_id=_id(visit.id))
        assert [m.kind for m in stored] == [
            "complaint_deadline",
            "action_plan_draft_due",
            "survey_deadline",
        ]
        draft = stored[1]
        assert (draft.label, draft.due_date, draft.source, draft.rule) == (
            "Draft action plan",
            date(2021, 7, 20),
            "rule",
            "20 working days from the letter date",
        )
        assert (draft.needs_approval, draft.owner_user_id, draft.status) == (True, "U_DCS", "open")
        assert draft.approval_status is None
        assert stored[2].evidence == "We would be grateful for your feedback by 20 August 2021"
        assert all(m.created_at == m.updated_at == created.created_at for m in stored)
        kept = get_milestone(session=fresh, milestone_id=_id(draft.id), team_id=FACTORY_TEAM)
        assert kept == draft

        assert list_approvers(session=fresh, visit_id=_id(visit.id)) == ["U_DCS", "U_HEAD"]

        [event] = list_audit_events(session=fresh, visit_id=_id(visit.id))
        assert (event.action, event.actor_user_id, event.outcome) == (
            "visit_created",
            "U_CREATOR",
            "ok",
        )
        assert event.milestone_id is None
        assert event.at == datetime(2021, 6, 22, 8, 15, tzinfo=UTC)
        assert event.note is not None and "st-helens-2106" in event.note


def test_visit_created_without_a_user_is_audited_as_the_system(
    make_visit: MakeVisit, session: Session
) -> None:
    visit = make_visit(created_by=None)

    [event] = list_audit_events(session=session, visit_id=_id(visit.id))
    assert event.actor_user_id == SYSTEM_ACTOR


def test_get_visit_by_id(make_visit: MakeVisit, session: Session) -> None:
    visit = make_visit()

    assert get_visit_by_id(session=session, visit_id=_id(visit.id), team_id=FACTORY_TEAM) == visit
    assert (
        get_visit_by_id(session=session, visit_id=_id(visit.id) + 1, team_id=FACTORY_TEAM) is None
    )
    assert get_visit_by_id(session=session, visit_id=_id(visit.id), team_id="T_ELSEWHERE") is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"visit_type": "inspection"}, "unknown visit type"),
        (
            {"milestones": [NewMilestone("embargo_lift", "Embargo", date(2021, 7, 2), "guess")]},
            "unknown milestone source",
        ),
        (
            {"milestones": [NewMilestone(" ", "Nameless", date(2021, 7, 2), "manual")]},
            "needs a kind",
        ),
        ({"now": datetime(2021, 6, 22, 9, 0)}, "naive"),
    ],
    ids=["visit-type", "milestone-source", "milestone-kind", "naive-now"],
)
def test_create_visit_refuses_bad_input_and_writes_nothing(
    make_visit: MakeVisit, session: Session, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make_visit(**overrides)
    session.rollback()

    assert session.exec(select(Visit)).all() == []


# --- references -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local_authority", "letter_date", "expected"),
    [
        ("St Helens", date(2021, 6, 22), "st-helens-2106"),
        ("St. Helens", date(2021, 6, 22), "st-helens-2106"),
        ("Bath & North East Somerset", date(2018, 11, 5), "bath-and-north-east-somerset-1811"),
        ("Southend-on-Sea", date(2019, 1, 31), "southend-on-sea-1901"),
        ("King's Lynn", date(2020, 10, 1), "kings-lynn-2010"),
        ("Ynys Môn", date(2022, 2, 2), "ynys-mon-2202"),
        (
            "The Royal Borough of Windsor and Maidenhead Children's Services",
            date(2023, 3, 3),
            "the-royal-borough-of-windsor-and-2303",
        ),
        ("St Helens", None, "st-helens"),
        (None, date(2021, 6, 22), "visit-2106"),
        ("  ", date(2021, 6, 22), "visit-2106"),
        (None, None, "visit"),
    ],
    ids=[
        "plain",
        "full-stop",
        "ampersand",
        "hyphenated",
        "apostrophe",
        "accent",
        "long-cut-at-a-word",
        "no-letter-date",
        "no-authority",
        "blank-authority",
        "nothing-known",
    ],
)
def test_reference_base(
    local_authority: str | None, letter_date: date | None, expected: str
) -> None:
    assert reference_base(local_authority=local_authority, letter_date=letter_date) == expected


def test_colliding_references_get_numbered_suffixes(make_visit: MakeVisit) -> None:
    references = [make_visit().reference for _ in range(3)]
    other_month = make_visit(letter_date=date(2021, 7, 1)).reference
    unknown = [make_visit(local_authority=None, letter_date=None).reference for _ in range(2)]

    assert references == ["st-helens-2106", "st-helens-2106-2", "st-helens-2106-3"]
    assert other_month == "st-helens-2107"
    assert unknown == ["visit", "visit-2"]


def test_suffix_fills_a_gap_left_by_no_one(make_visit: MakeVisit, session: Session) -> None:
    """A reference that only looks like ours (another authority's slug) is not skipped over."""
    first = make_visit(local_authority="Visit", letter_date=None)
    second = make_visit(local_authority=None, letter_date=None)

    assert (first.reference, second.reference) == ("visit", "visit-2")


@pytest.mark.parametrize(
    "typed",
    ["st-helens-2106", "ST-Helens-2106", "  st-helens-2106\n"],
    ids=["exact", "upper-case", "spaces"],
)
def test_get_visit_ignores_case_and_spaces(
    make_visit: MakeVisit, session: Session, typed: str
) -> None:
    visit = make_visit()

    assert get_visit(session=session, reference=typed, team_id=FACTORY_TEAM) == visit


def test_get_visit_unknown_reference(make_visit: MakeVisit, session: Session) -> None:
    make_visit()

    assert get_visit(session=session, reference="st-helens-2107", team_id=FACTORY_TEAM) is None
    assert get_visit(session=session, reference="st-helens-2106", team_id="T_ELSEWHERE") is None


def test_two_writers_racing_for_a_reference_both_succeed(engine: Engine) -> None:
    """The second writer cannot see the first's uncommitted visit; the constraint settles it."""

    def create(session: Session) -> Visit:
        return create_visit(
            session=session,
            team_id=FACTORY_TEAM,
            local_authority="St Helens",
            visit_type="focused_visit",
            letter_date=date(2021, 6, 22),
            visit_dates=[],
            inspectors=[],
            milestones=[],
            created_by="U1",
            now=NOW,
        )

    second_result: list[str] = []

    def second_writer() -> None:
        with Session(engine) as session:
            second_result.append(create(session).reference)
            session.commit()

    with Session(engine, expire_on_commit=False) as first:
        first_visit = create(first)
        thread = threading.Thread(target=second_writer)
        thread.start()
        _wait_until_blocked(engine)
        first.commit()
    thread.join(timeout=10)

    assert first_visit.reference == "st-helens-2106"
    assert second_result == ["st-helens-2106-2"]


# --- open visits ------------------------------------------------------------------


def _milestone(kind: str, due: date) -> NewMilestone:
    return NewMilestone(kind=kind, label=kind, due_date=due, source="manual")


def test_list_open_visits_orders_by_next_open_milestone(
    make_visit: MakeVisit, session: Session
) -> None:
    later = make_visit(
        local_authority="Later",
        milestones=[
            _milestone("survey_deadline", date(2021, 7, 10)),
            _milestone("complaint_deadline", date(2021, 7, 1)),  # done below: ignored
        ],
    )
    make_visit(
        local_authority="Sooner",
        milestones=[
            _milestone("embargo_lift", date(2021, 7, 5)),
            _milestone("survey_deadline", date(2021, 8, 1)),
        ],
    )
    acknowledged = make_visit(
        local_authority="Acknowledged",
        milestones=[_milestone("embargo_lift", date(2021, 7, 8))],  # acknowledged: still open
    )
    nothing_open = make_visit(
        local_authority="All Done", milestones=[_milestone("embargo_lift", date(2021, 6, 1))]
    )
    no_milestones = make_visit(local_authority="Empty", milestones=[])
    closed = make_visit(
        local_authority="Closed", milestones=[_milestone("embargo_lift", date(2021, 6, 2))]
    )
    for visit, status in [
        (later, "done"),
        (acknowledged, "acknowledged"),
        (nothing_open, "waived"),
    ]:
        milestones = list_milestones(session=session, visit_id=_id(visit.id))
        target = min(milestones, key=lambda m: m.due_date)
        set_milestone_status(
            session=session, milestone=target, status=status, actor_user_id="U1", now=LATER
        )
    close_visit(session=session, visit=closed, actor_user_id="U1", now=LATER)
    session.commit()

    ordered = [v.local_authority for v in list_open_visits(session=session, visible_to=EVERY_VISIT)]

    assert ordered == ["Sooner", "Acknowledged", "Later", "All Done", "Empty"]
    assert no_milestones.reference == "empty-2106"


def test_close_visit(make_visit: MakeVisit, session: Session, engine: Engine) -> None:
    visit = make_visit()

    event = close_visit(session=session, visit=visit, actor_user_id="U_DCS", now=LATER)
    again = close_visit(session=session, visit=visit, actor_user_id="U_DCS", now=LATER)
    session.commit()

    assert event is not None
    assert (event.action, event.actor_user_id, event.note) == (
        "visit_closed",
        "U_DCS",
        "status open → closed",
    )
    assert again is None
    with Session(engine) as fresh:
        stored = get_visit(session=fresh, reference=visit.reference, team_id=FACTORY_TEAM)
        assert stored is not None
        assert (stored.status, stored.closed_at) == ("closed", LATER)
        assert list_open_visits(session=fresh, visible_to=EVERY_VISIT) == []
        actions = [e.action for e in list_audit_events(session=fresh, visit_id=_id(visit.id))]
        assert actions == ["visit_created", "visit_closed"]


# --- milestone changes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "arguments", "field", "value", "action", "note"),
    [
        (
            set_milestone_status,
            {"status": "done"},
            "status",
            "done",
            "milestone_status_changed",
            "status open → done",
        ),
        (
            set_milestone_owner,
            {"owner_user_id": "U_OWNER"},
            "owner_user_id",
            "U_OWNER",
            "milestone_owner_changed",
            "owner none → U_OWNER",
        ),
    ],
    ids=["status", "owner"],
)
def test_milestone_changes_are_audited_old_to_new(
    make_visit: MakeVisit,
    session: Session,
    engine: Engine,
    change: Callable[..., AuditEvent | None],
    arguments: dict[str, Any],
    field: str,
    value: object,
    action: str,
    note: str,
) -> None:
    visit = make_visit()
    milestone = _first_milestone(session, visit)

    event = change(
        session=session, milestone=milestone, actor_user_id="U_HEAD", now=LATER, **arguments
    )
    session.commit()

    assert event is not None
    with Session(engine) as fresh:
        stored = get_milestone(session=fresh, milestone_id=_id(milestone.id), team_id=FACTORY_TEAM)
        assert stored is not None
        assert getattr(stored, field) == value
        assert stored.updated_at == LATER
        assert stored.created_at == NOW
        events = list_audit_events(session=fresh, visit_id=_id(visit.id))
        assert [(e.action, e.milestone_id, e.actor_user_id, e.at, e.note) for e in events] == [
            ("visit_created", None, "U_CREATOR", NOW, events[0].note),
            (action, milestone.id, "U_HEAD", LATER, note),
        ]


def test_owner_can_be_removed(make_visit: MakeVisit, session: Session) -> None:
    milestone = _first_milestone(session, make_visit())
    set_milestone_owner(
        session=session, milestone=milestone, owner_user_id="U1", actor_user_id="U1", now=LATER
    )

    event = set_milestone_owner(
        session=session, milestone=milestone, owner_user_id=None, actor_user_id="U2", now=LATER
    )

    assert event is not None and event.note == "owner U1 → none"
    assert milestone.owner_user_id is None


def test_a_change_to_the_same_value_records_nothing(
    make_visit: MakeVisit, session: Session
) -> None:
    visit = make_visit()
    milestone = _first_milestone(session, visit)

    results = [
        set_milestone_status(
            session=session, milestone=milestone, status="open", actor_user_id="U1", now=LATER
        ),
        set_milestone_owner(
            session=session, milestone=milestone, owner_user_id=None, actor_user_id="U1", now=LATER
        ),
    ]

    assert results == [None, None]
    assert len(list_audit_events(session=session, visit_id=_id(visit.id))) == 1
    assert milestone.updated_at == NOW


def test_a_repeated_click_changes_nothing_the_second_time(
    make_visit: MakeVisit, session: Session
) -> None:
    """Same idempotency key (a Slack retry): the second change is not applied."""
    visit = make_visit()
    milestone = _first_milestone(session, visit)

    first = set_milestone_status(
        session=session,
        milestone=milestone,
        status="acknowledged",
        actor_user_id="U1",
        now=LATER,
        idempotency_key="action:1234.5678:ack",
    )
    second = set_milestone_status(
        session=session,
        milestone=milestone,
        status="done",
        actor_user_id="U1",
        now=LATER,
        idempotency_key="action:1234.5678:ack",
    )

    assert first is not None and second is None
    assert milestone.status == "acknowledged"
    assert len(list_audit_events(session=session, visit_id=_id(visit.id))) == 2


def test_a_reason_is_kept_with_the_change(make_visit: MakeVisit, session: Session) -> None:
    milestone = _first_milestone(session, make_visit())

    event = set_milestone_status(
        session=session,
        milestone=milestone,
        status="waived",
        actor_user_id="U_DCS",
        now=LATER,
        note="decided not to complain",
    )

    assert event is not None
    assert event.note == "status open → waived; decided not to complain"


def test_unknown_milestone_status_is_refused(make_visit: MakeVisit, session: Session) -> None:
    milestone = _first_milestone(session, make_visit())

    with pytest.raises(ValueError, match="unknown milestone status"):
        set_milestone_status(
            session=session, milestone=milestone, status="finished", actor_user_id="U1", now=LATER
        )
    assert milestone.status == "open"


# --- audit ------------------------------------------------------------------------


def _append(session: Session, visit: Visit, *, key: str | None, now: datetime = LATER) -> Any:
    return append_audit_event(
        session=session,
        visit_id=_id(visit.id),
        milestone_id=None,
        actor_user_id="U1",
        action="reminder_acknowledged",
        now=now,
        idempotency_key=key,
    )


def test_idempotency_key_is_recorded_once(make_visit: MakeVisit, session: Session) -> None:
    visit = make_visit()

    first = _append(session, visit, key="click-1")
    second = _append(session, visit, key="click-1")
    other = _append(session, visit, key="click-2")
    unkeyed = [_append(session, visit, key=None) for _ in range(2)]
    session.commit()

    assert isinstance(first, AuditEvent) and second is None
    assert isinstance(other, AuditEvent)
    assert all(isinstance(e, AuditEvent) for e in unkeyed)
    keys = [e.idempotency_key for e in list_audit_events(session=session, visit_id=_id(visit.id))]
    assert keys == [None, "click-1", "click-2", None, None]


def test_idempotency_key_holds_across_committed_sessions(
    make_visit: MakeVisit, session: Session, engine: Engine
) -> None:
    visit = make_visit()
    session.commit()

    for _ in range(2):
        with Session(engine) as other:
            _append(other, visit, key="retry-1")
            other.commit()

    events = list_audit_events(session=session, visit_id=_id(visit.id))
    assert [e.idempotency_key for e in events].count("retry-1") == 1


def test_two_sessions_racing_with_one_key_record_it_once(
    make_visit: MakeVisit, session: Session, engine: Engine
) -> None:
    """The second request cannot see the first's uncommitted event; the constraint settles it."""
    visit = make_visit()
    session.commit()
    second_result: list[object] = []
    second_error: list[Exception] = []

    def second_request() -> None:
        try:
            with Session(engine) as other:
                second_result.append(_append(other, visit, key="race-1"))
                other.commit()
        except Exception as error:
            second_error.append(error)

    with Session(engine) as first:
        first_result = _append(first, visit, key="race-1")
        thread = threading.Thread(target=second_request)
        thread.start()
        _wait_until_blocked(engine)
        first.commit()
    thread.join(timeout=10)

    assert second_error == []
    assert isinstance(first_result, AuditEvent)
    assert second_result == [None]
    events = list_audit_events(session=session, visit_id=_id(visit.id))
    assert [e.idempotency_key for e in events] == [None, "race-1"]


def test_other_integrity_errors_are_not_mistaken_for_a_repeat(session: Session) -> None:
    with pytest.raises(IntegrityError):
        append_audit_event(
            session=session,
            visit_id=999,
            milestone_id=None,
            actor_user_id="U1",
            action="visit_closed",
            now=NOW,
            idempotency_key="no-such-visit",
        )


def test_unknown_audit_outcome_is_refused(make_visit: MakeVisit, session: Session) -> None:
    visit = make_visit()

    with pytest.raises(ValueError, match="unknown audit outcome"):
        append_audit_event(
            session=session,
            visit_id=_id(visit.id),
            milestone_id=None,
            actor_user_id="U1",
            action="visit_closed",
            now=LATER,
            outcome="maybe",
        )


def test_audit_events_are_listed_in_time_order(make_visit: MakeVisit, session: Session) -> None:
    visit = make_visit()
    for hours in (5, 1, 3):
        _append(session, visit, key=f"at-{hours}", now=NOW + timedelta(hours=hours))
    session.commit()

    events = list_audit_events(session=session, visit_id=_id(visit.id))

    assert [e.idempotency_key for e in events] == [None, "at-1", "at-3", "at-5"]
    assert [e.at for e in events] == sorted(e.at for e in events)


def test_refused_outcome_is_recorded(make_visit: MakeVisit, session: Session) -> None:
    visit = make_visit()

    event = append_audit_event(
        session=session,
        visit_id=_id(visit.id),
        milestone_id=None,
        actor_user_id="U_STRANGER",
        action="milestone_approved",
        now=LATER,
        outcome="refused",
        note="not an approver",
    )
    session.commit()

    assert event is not None
    assert session.exec(select(AuditEvent.outcome).where(AuditEvent.id == event.id)).one() == (
        "refused"
    )


# --- reminders --------------------------------------------------------------------


def _reminders(*moments_and_kinds: tuple[datetime, str]) -> list[NewReminder]:
    return [NewReminder(due_at=at, kind=kind, offset_days=1) for at, kind in moments_and_kinds]


def test_add_reminders_skips_ones_already_stored(make_visit: MakeVisit, session: Session) -> None:
    milestone_id = _id(_first_milestone(session, make_visit()).id)
    nine_bst = datetime(2021, 6, 28, 9, 0, tzinfo=LONDON)

    added = add_reminders(
        session=session,
        milestone_id=milestone_id,
        reminders=_reminders((nine_bst, "due_day"), (nine_bst - timedelta(days=3), "ahead")),
    )
    session.commit()
    again = add_reminders(
        session=session,
        milestone_id=milestone_id,
        reminders=_reminders(
            (nine_bst.astimezone(UTC), "due_day"),  # the same moment, written in UTC
            (nine_bst, "due_day"),
            (nine_bst, "escalation"),  # new: another kind at the same time
        ),
    )
    session.commit()

    assert len(added) == 2
    assert [(r.kind, r.due_at) for r in again] == [
        ("escalation", datetime(2021, 6, 28, 8, 0, tzinfo=UTC))
    ]
    stored = list_reminders(session=session, milestone_id=milestone_id)
    assert [(r.kind, r.status, r.attempts) for r in stored] == [
        ("ahead", "pending", 0),
        ("due_day", "pending", 0),
        ("escalation", "pending", 0),
    ]
    assert stored[0].due_at == datetime(2021, 6, 25, 8, 0, tzinfo=UTC)


def test_cancel_pending_reminders_leaves_claimed_and_sent_alone(
    make_visit: MakeVisit, session: Session, engine: Engine
) -> None:
    visit = make_visit()
    first, second = list_milestones(session=session, visit_id=_id(visit.id))
    at = datetime(2021, 6, 28, 8, 0, tzinfo=UTC)
    rows = add_reminders(
        session=session,
        milestone_id=_id(first.id),
        reminders=_reminders((at, "ahead"), (at, "due_day"), (at, "overdue"), (at, "escalation")),
    )
    add_reminders(session=session, milestone_id=_id(second.id), reminders=_reminders((at, "ahead")))
    rows[2].status = "claimed"
    rows[3].status = "sent"
    session.commit()

    cancelled = cancel_pending_reminders(session=session, milestone_id=_id(first.id))
    session.commit()

    assert cancelled == 2
    with Session(engine) as fresh:
        statuses = [r.status for r in list_reminders(session=fresh, milestone_id=_id(first.id))]
        assert sorted(statuses) == ["cancelled", "cancelled", "claimed", "sent"]
        other = list_reminders(session=fresh, milestone_id=_id(second.id))
        assert [r.status for r in other] == ["pending"]
    assert cancel_pending_reminders(session=session, milestone_id=_id(first.id)) == 0


def test_replanning_a_cancelled_reminder_makes_it_pending_again(
    make_visit: MakeVisit, session: Session
) -> None:
    milestone_id = _id(_first_milestone(session, make_visit()).id)
    at = datetime(2021, 6, 28, 8, 0, tzinfo=UTC)
    [row] = add_reminders(
        session=session, milestone_id=milestone_id, reminders=_reminders((at, "ahead"))
    )
    row.attempts = 2
    row.last_error = "channel_not_found"
    cancel_pending_reminders(session=session, milestone_id=milestone_id)
    session.commit()

    revived = add_reminders(
        session=session, milestone_id=milestone_id, reminders=_reminders((at, "ahead"))
    )
    session.commit()

    assert [r.id for r in revived] == [row.id]
    [stored] = list_reminders(session=session, milestone_id=milestone_id)
    assert (stored.status, stored.attempts, stored.last_error) == ("pending", 0, None)


@pytest.mark.parametrize(
    ("reminder", "message"),
    [
        (NewReminder(datetime(2021, 6, 28, 9, 0), "ahead", 1), "naive"),
        (NewReminder(datetime(2021, 6, 28, 9, 0, tzinfo=UTC), "nudge", 1), "unknown reminder kind"),
    ],
    ids=["naive", "unknown-kind"],
)
def test_add_reminders_refuses_bad_input(
    make_visit: MakeVisit, session: Session, reminder: NewReminder, message: str
) -> None:
    milestone_id = _id(_first_milestone(session, make_visit()).id)

    with pytest.raises(ValueError, match=message):
        add_reminders(session=session, milestone_id=milestone_id, reminders=[reminder])
    session.rollback()

    assert session.exec(select(Reminder)).all() == []


def test_rows_stored_before_workspaces_are_adopted_into_the_installations_team(
    session: Session,
) -> None:
    unowned = create_visit(
        session=session,
        local_authority="Oldham",
        visit_type="jtai",
        letter_date=date(2021, 6, 22),
        visit_dates=[],
        inspectors=[],
        created_by="U1",
        now=NOW,
        milestones=[
            NewMilestone(
                kind="survey_deadline", label="Survey", due_date=date(2021, 7, 1), source="letter"
            )
        ],
    )
    session.commit()
    assert get_visit(session=session, reference=unowned.reference, team_id="T_HOME") is None

    assert adopt_unowned_rows(session=session, team_id="T_HOME", enterprise_id="E_ONE") == 1
    session.commit()
    assert (
        adopt_unowned_rows(session=session, team_id="T_OTHER", enterprise_id=None) == 0
    )  # once only

    adopted = get_visit(session=session, reference=unowned.reference, team_id="T_HOME")
    assert adopted is not None and adopted.enterprise_id == "E_ONE"
    assert get_milestone(session=session, milestone_id=1, team_id="T_HOME") is not None
