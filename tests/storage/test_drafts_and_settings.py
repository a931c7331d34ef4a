"""Letter drafts wait for a person's "Create visit"; visit settings are audited."""

import threading
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from storage.models import UNOWNED
from storage.repo import (
    get_letter_draft,
    list_approvers,
    list_audit_events,
    resolve_letter_draft,
    save_letter_draft,
    update_visit_settings,
)

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
FACTS = {
    "local_authority": "Fernleigh",
    "milestones": [{"kind": "survey_deadline", "due": "2026-12-18"}],
}


def test_a_draft_keeps_the_letters_facts(session):
    draft = save_letter_draft(
        session=session, facts=FACTS, created_by="U1", now=NOW, filename="a.pdf"
    )
    assert draft is not None
    session.commit()
    session.expire_all()
    stored = get_letter_draft(session=session, draft_id=draft.id, team_id=UNOWNED)
    assert stored.facts == FACTS
    assert (stored.status, stored.filename, stored.created_at) == ("pending", "a.pdf", NOW)


def test_a_draft_is_resolved_once(session):
    draft = save_letter_draft(session=session, facts=FACTS, created_by="U1", now=NOW)
    session.commit()
    assert resolve_letter_draft(
        session=session, draft_id=draft.id, status="created", actor_user_id="U2", now=NOW
    )
    assert not resolve_letter_draft(
        session=session, draft_id=draft.id, status="dismissed", actor_user_id="U3", now=NOW
    )
    session.commit()
    session.expire_all()
    stored = get_letter_draft(session=session, draft_id=draft.id, team_id=UNOWNED)
    assert (stored.status, stored.resolved_by) == ("created", "U2")


def test_two_people_clicking_create_at_once_resolve_the_draft_once(engine):
    with Session(engine) as session:
        draft_id = save_letter_draft(session=session, facts=FACTS, created_by="U1", now=NOW).id
        session.commit()
    results: list[bool] = []
    barrier = threading.Barrier(2)

    def click(user_id: str) -> None:
        with Session(engine) as session:
            barrier.wait()
            results.append(
                resolve_letter_draft(
                    session=session,
                    draft_id=draft_id,
                    status="created",
                    actor_user_id=user_id,
                    now=NOW,
                )
            )
            session.commit()

    threads = [threading.Thread(target=click, args=(f"U{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False, True]


def test_unknown_resolution_is_refused(session):
    with pytest.raises(ValueError):
        resolve_letter_draft(
            session=session, draft_id=1, status="pending", actor_user_id="U1", now=NOW
        )


def test_settings_change_is_audited_with_old_and_new_values(session, make_visit):
    visit = make_visit(approvers=["U_DCS"])
    event = update_visit_settings(
        session=session,
        visit=visit,
        channel_id="C_OFSTED",
        reminder_time="08:30",
        reminder_offsets="10,5,0",
        escalation_user_id="U_DCS",
        approvers=["U_LEAD", "U_DCS"],
        actor_user_id="U_ADMIN",
        now=NOW,
    )
    session.commit()
    assert event is not None
    assert "reminder time default → 08:30" in event.note
    assert "approvers U_DCS → U_DCS, U_LEAD" in event.note
    assert list_approvers(session=session, visit_id=visit.id) == ["U_DCS", "U_LEAD"]
    assert (visit.channel_id, visit.reminder_offsets) == ("C_OFSTED", "10,5,0")
    # Saving the same settings again changes and records nothing.
    again = update_visit_settings(
        session=session,
        visit=visit,
        channel_id="C_OFSTED",
        reminder_time="08:30",
        reminder_offsets="10,5,0",
        escalation_user_id="U_DCS",
        approvers=["U_DCS", "U_LEAD"],
        actor_user_id="U_ADMIN",
        now=NOW,
    )
    assert again is None
    actions = [e.action for e in list_audit_events(session=session, visit_id=visit.id)]
    assert actions == ["visit_created", "settings_changed"]


def test_a_second_draft_for_the_same_shared_message_is_not_saved(session):
    first = save_letter_draft(
        session=session, facts=FACTS, created_by="U1", now=NOW, channel_id="C1", thread_ts="1.0001"
    )
    second = save_letter_draft(
        session=session, facts=FACTS, created_by="U1", now=NOW, channel_id="C1", thread_ts="1.0001"
    )
    other = save_letter_draft(
        session=session, facts=FACTS, created_by="U1", now=NOW, channel_id="C1", thread_ts="1.0002"
    )
    session.commit()
    assert first is not None and other is not None
    assert second is None
