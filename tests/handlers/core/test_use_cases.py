"""The use cases called directly, as a Teams front end will call them: no Slack anywhere.

Each takes typed inputs and the person asking (an `Actor` and the members of channels, as plain
sets), and answers with a typed result or a typed `Refusal`, whose words are the bot's own.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from handlers.core import exports, letters, milestones, visits
from handlers.core.access import Actor, Workspace
from handlers.core.context import CoreContext
from handlers.core.milestones import MilestoneChange, Verb
from handlers.core.people import Asker, KnownMembers
from handlers.core.results import (
    MilestoneChanged,
    Refusal,
    SettingsSaved,
    SettingsShown,
    VisitClosed,
    VisitCreated,
)
from scheduler.rules import MilestoneKind
from storage import repo
from storage.models import Reminder

NOW = datetime(2026, 4, 29, 8, 0, tzinfo=UTC)
TEAM = Workspace(team_id="T_CORE")
CHANNEL = "C_VISIT"
CREATOR, MEMBER, OUTSIDER = "U_CREATOR", "U_MEMBER", "U_OUTSIDER"
MEMBERS = KnownMembers({CHANNEL: frozenset({CREATOR, MEMBER})})


def _asker(user_id: str) -> Asker:
    return Asker(actor=Actor(workspace=TEAM, user_id=user_id), membership=MEMBERS)


def _new_visit(ctx: CoreContext) -> VisitCreated:
    form = visits.VisitForm(
        local_authority="Fernleigh",
        visit_type="focused_visit",
        letter_date=date(2026, 4, 28),
        visit_dates=(),
        due_dates={
            MilestoneKind.COMPLAINT_DEADLINE: date(2026, 5, 6),
            MilestoneKind.SURVEY_DEADLINE: date(2026, 6, 26),
        },
        channel_id=CHANNEL,
    )
    created = visits.create_visit(ctx, asker=_asker(CREATOR), form=form)
    assert isinstance(created, VisitCreated)
    return created


def _audit(ctx: CoreContext, visit_id: int) -> list[tuple[str, str, str]]:
    with ctx.reading() as session:
        return [
            (e.actor_user_id, e.action, e.outcome)
            for e in repo.list_audit_events(session=session, visit_id=visit_id)
        ]


def _pending_reminders(ctx: CoreContext, milestone_id: int) -> list[Reminder]:
    with ctx.reading() as session:
        return [
            r
            for r in repo.list_reminders(session=session, milestone_id=milestone_id)
            if r.status == "pending"
        ]


def test_a_visit_made_from_a_form_has_its_reminders_planned(engine: Engine) -> None:
    ctx = CoreContext(engine=engine, clock=lambda: NOW)
    created = _new_visit(ctx)
    assert [m.source for m in created.timeline.milestones] == ["manual", "manual"]
    assert all(_pending_reminders(ctx, m.id or 0) for m in created.timeline.milestones)


def test_acknowledging_as_someone_outside_the_channel_is_a_typed_refusal_on_the_record(
    engine: Engine,
) -> None:
    ctx = CoreContext(engine=engine, clock=lambda: NOW)
    created = _new_visit(ctx)
    milestone = created.timeline.milestones[0]
    change = MilestoneChange(Verb.ACKNOWLEDGE, milestone.id or 0, OUTSIDER, "key-1")

    answer = milestones.change_milestone(ctx, asker=_asker(OUTSIDER), change=change)

    # To someone who may not see the visit, the milestone does not exist.
    assert answer == Refusal("That milestone no longer exists.")
    visit_id = created.timeline.visit.id or 0
    assert _audit(ctx, visit_id)[-1] == (OUTSIDER, Verb.ACKNOWLEDGE.value, "refused")
    with ctx.reading() as session:
        assert repo.list_milestones(session=session, visit_id=visit_id)[0].status == "open"


def test_a_member_acknowledges_once_and_a_second_click_is_told_who_was_first(
    engine: Engine,
) -> None:
    ctx = CoreContext(engine=engine, clock=lambda: NOW)
    milestone = _new_visit(ctx).timeline.milestones[0]

    done = milestones.change_milestone(
        ctx,
        asker=_asker(MEMBER),
        change=MilestoneChange(Verb.ACKNOWLEDGE, milestone.id or 0, MEMBER, "key-1"),
    )
    again = milestones.change_milestone(
        ctx,
        asker=_asker(CREATOR),
        change=MilestoneChange(Verb.ACKNOWLEDGE, milestone.id or 0, CREATOR, "key-2"),
    )

    assert isinstance(done, MilestoneChanged) and done.milestone.status == "acknowledged"
    assert isinstance(again, Refusal)
    assert again.text.startswith(f"<@{MEMBER}> already acknowledged *Complaint window closes*")


def test_closing_is_for_managers_and_cancels_the_reminders(engine: Engine) -> None:
    ctx = CoreContext(engine=engine, clock=lambda: NOW)
    created = _new_visit(ctx)
    reference = created.timeline.visit.reference

    refused = visits.close_visit(ctx, asker=_asker(MEMBER), reference=reference)
    closed = visits.close_visit(ctx, asker=_asker(CREATOR), reference=reference)

    assert refused == Refusal(f"Only this visit's managers can close it: <@{CREATOR}>.")
    assert closed == VisitClosed(reference=reference)
    assert not any(_pending_reminders(ctx, m.id or 0) for m in created.timeline.milestones)


def test_settings_saved_replan_and_a_stale_form_saves_nothing(engine: Engine) -> None:
    ctx = CoreContext(engine=engine, clock=lambda: NOW)
    created = _new_visit(ctx)
    visit = created.timeline.visit
    shown = visits.open_settings(ctx, asker=_asker(CREATOR), reference=visit.reference)
    assert isinstance(shown, SettingsShown)
    form = visits.SettingsForm(
        channel_id=CHANNEL,
        reminder_time="10:30",
        reminder_offsets="3,0",
        approvers=(),
        escalation_user_id=None,
    )
    fingerprint = visits.settings_now(shown)

    saved = visits.save_settings(
        ctx, asker=_asker(CREATOR), visit_id=visit.id or 0, form=form, shown=fingerprint
    )
    stale = visits.save_settings(
        ctx, asker=_asker(CREATOR), visit_id=visit.id or 0, form=form, shown=fingerprint
    )

    assert isinstance(saved, SettingsSaved) and saved.change
    assert isinstance(stale, Refusal) and "already changed the settings of" in stale.text
    # Re-planned at the new time (a catch-up for a date already inside the window goes at once).
    planned = [
        r
        for r in _pending_reminders(ctx, created.timeline.milestones[0].id or 0)
        if r.kind != "catch_up"
    ]
    assert planned and all(r.due_at.astimezone(UTC).minute == 30 for r in planned)


def test_an_export_is_refused_to_whoever_may_not_see_the_visit(engine: Engine) -> None:
    ctx = CoreContext(engine=engine, clock=lambda: NOW)
    reference = _new_visit(ctx).timeline.visit.reference

    hidden = exports.export_visit(
        ctx, asker=_asker(OUTSIDER), reference=reference, export_format="csv"
    )
    shown = exports.export_visit(
        ctx, asker=_asker(MEMBER), reference=reference, export_format="ics"
    )

    assert isinstance(hidden, Refusal) and hidden.text.startswith(
        f"I have no visit called `{reference}`"
    )
    assert not isinstance(shown, Refusal) and shown.content.startswith(b"BEGIN:VCALENDAR")


def test_a_pasted_letter_becomes_a_draft_and_then_one_visit(engine: Engine) -> None:
    ctx = CoreContext(engine=engine, clock=lambda: NOW)
    text = (
        Path(__file__).resolve().parents[3]
        / "bot"
        / "examples"
        / "focused-visit-final-report-cover.txt"
    ).read_text()
    saved = letters.save_draft(
        ctx,
        workspace=TEAM,
        facts=letters.facts_from_text(text),
        created_by=CREATOR,
        filename=None,
        visit_channel_id=CHANNEL,
    )
    assert saved is not None

    first = visits.create_visit_from_draft(ctx, asker=_asker(CREATOR), draft_id=saved.draft_id)
    second = visits.create_visit_from_draft(ctx, asker=_asker(MEMBER), draft_id=saved.draft_id)

    assert isinstance(first, VisitCreated) and first.timeline.visit.reference == "saxonford-2604"
    assert second == Refusal(f"This letter was already made into a visit by <@{CREATOR}>.")
