"""The one place the Teams front end reaches the bot's use cases: everything it does to visits.

Each function here is what a Teams message or card click asks for, in plain values (who asks,
which visit, when) with a plain result, or a `UserError` whose message is the answer. Milestone
changes and creating a visit from a draft call the platform-free core (`handlers/core/`); list,
show, close and the drafts' own answers still read storage here, in Teams' own words (issue 13
repoints them), and nothing else in `handlers/teams/` touches the database.

All of them are synchronous (the database is): the activity handler runs them on a thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from handlers.core import letters, visits
from handlers.core.access import NOT_FOUND, Actor, Decision, VisitFacts, can_manage, can_see
from handlers.core.context import CoreContext
from handlers.core.errors import Refused, UserError
from handlers.core.milestones import MilestoneChange, Verb, change_milestone
from handlers.core.people import Asker, KnownMembers
from handlers.core.results import Refusal, VisitListing
from handlers.core.visits import KeepWithVisit, visit_facts, visit_listing
from handlers.slack.intake import SharedFile, facts_from_file
from handlers.teams import cards
from handlers.teams.messages import for_teams
from scheduler.letters import LetterFacts
from scheduler.planning import ReminderDefaults, replan_visit
from storage import repo, teams
from storage.db import read_scope, session_scope
from storage.models import AuditEvent, LetterDraft, Milestone, Visit


@dataclass(frozen=True)
class TeamsAsker:
    """The person asking, in their tenant, with the members of the conversations that hold its
    visits (looked up from the Bot Connector by the front end before asking)."""

    actor: Actor
    tenant_id: str
    members: Mapping[str, frozenset[str]]

    @property
    def user_id(self) -> str:
        return self.actor.user_id

    @property
    def team_id(self) -> str:
        return self.actor.workspace.team_id

    def channel_members(self, facts: VisitFacts) -> frozenset[str]:
        return self.members.get(facts.channel_id or "", frozenset())

    def sees(self, facts: VisitFacts) -> Decision:
        return can_see(self.actor, facts, channel_members=self.channel_members(facts))

    @property
    def core(self) -> Asker:
        """The same person as the core's use cases take them."""
        return Asker(actor=self.actor, membership=KnownMembers(self.members))

    def visible_to(self) -> repo.VisibleTo:
        if self.actor.is_admin:
            return repo.VisibleTo(team_id=self.team_id, user_id=self.user_id, channel_ids=None)
        mine = frozenset(c for c, people in self.members.items() if self.user_id in people)
        return repo.VisibleTo(team_id=self.team_id, user_id=self.user_id, channel_ids=mine)


@dataclass(frozen=True)
class Conversation:
    """Where a request came from in Teams: what a visit created from it keeps."""

    tenant_id: str
    conversation_id: str  # without a thread's ;messageid=
    conversation_type: str  # personal, channel, groupChat
    service_url: str
    reference: dict[str, Any]

    @property
    def channel_id(self) -> str | None:
        """What the visit's channel is for the policy: none for a personal chat (its people are
        those the visit names, as for a Slack visit kept in a direct message)."""
        return None if self.conversation_type == "personal" else self.conversation_id


@dataclass(frozen=True)
class ShownVisit:
    visit: Visit
    milestones: list[Milestone]


@dataclass(frozen=True)
class CreatedVisit:
    visit: Visit
    milestones: list[Milestone]
    facts: LetterFacts


def conversations_to_ask_about(*, engine: Engine, tenant_id: str) -> dict[str, str]:
    """The channel conversations holding this tenant's visits, with their service URLs: whose
    members the front end looks up before asking anything that depends on who sees what."""
    with read_scope(engine) as session:
        return teams.tenant_conversations(session=session, tenant_id=tenant_id)


def list_visits(*, engine: Engine, asker: TeamsAsker) -> VisitListing:
    """`list`: the open visits this person may see, soonest next date first."""
    with read_scope(engine) as session:
        listing = visit_listing(session=session, visible_to=asker.visible_to())
        session.expunge_all()
        return listing


def show_visit(*, engine: Engine, asker: TeamsAsker, reference: str, now: datetime) -> ShownVisit:
    """`show <visit>`: its timeline; to someone who may not see it, it does not exist (and the
    attempt is in its audit log)."""
    with _unit_of_work(engine) as session:
        visit = _visible_visit(
            session=session, asker=asker, reference=reference, attempt="visit_shown", now=now
        )
        milestones = repo.list_milestones(session=session, visit_id=visit.id or 0)
        session.expunge_all()
    return ShownVisit(visit=visit, milestones=milestones)


def close_visit(
    *, engine: Engine, asker: TeamsAsker, reference: str, now: datetime, defaults: ReminderDefaults
) -> Visit:
    """`close <visit>`: for its managers; no more reminders."""
    with _unit_of_work(engine) as session:
        visit = _visible_visit(
            session=session, asker=asker, reference=reference, attempt="visit_closed", now=now
        )
        facts = visit_facts(session=session, visit=visit)
        decision = can_manage(
            asker.actor, facts, channel_members=asker.channel_members(facts), what="close"
        )
        if not decision:
            raise _refuse(
                session=session,
                visit=visit,
                asker=asker,
                action="visit_closed",
                decision=decision,
                now=now,
            )
        if (
            repo.close_visit(session=session, visit=visit, actor_user_id=asker.user_id, now=now)
            is None
        ):
            raise UserError(f"`{visit.reference}` is closed already.")
        replan_visit(session=session, visit=visit, defaults=defaults, now=now)
        session.expunge(visit)
    return visit


def not_in_teams_yet(what: str) -> UserError:
    """What a command the Teams front end cannot do yet answers (never silence)."""
    return UserError(
        f"`{what}` is not available in Teams yet: nothing was changed. Ask whoever looks after "
        "this bot, or use it from Slack if your council has both."
    )


def read_attached_letter(
    *, name: str, file_type: str, url: str, allowed_origin: str
) -> LetterFacts:
    """A letter attached in Teams, downloaded from `allowed_origin` only and read within the same
    bounds as a file shared in Slack (handlers.slack.intake, scheduler.sandbox)."""
    shared = SharedFile(id="", name=name, filetype=file_type.lower(), size=0, url=url)
    if not shared.looks_like_a_letter:
        raise UserError(f"{name} is not a PDF, Word or text file: attach the letter Ofsted sent.")
    try:
        return facts_from_file(shared, token=None, origins=(allowed_origin,))
    except UserError as error:
        raise UserError(error.message.replace("Slack", "Teams")) from None


def read_pasted_letter(text: str) -> LetterFacts:
    return letters.facts_from_text(text)


def save_letter(
    *,
    engine: Engine,
    asker: TeamsAsker,
    facts: LetterFacts,
    filename: str | None,
    conversation: Conversation,
    message_id: str | None,
    now: datetime,
) -> int | None:
    """Keep a letter's facts as a draft until someone presses Create visit; None when this very
    message was read already (Teams delivered it twice)."""
    with session_scope(engine) as session:
        draft = repo.save_letter_draft(
            session=session,
            facts=facts.to_json(),
            created_by=asker.user_id,
            now=now,
            filename=filename,
            channel_id=conversation.conversation_id,
            thread_ts=message_id,
            team_id=asker.team_id,
        )
        return None if draft is None else draft.id


def create_visit_from_draft(
    *,
    engine: Engine,
    asker: TeamsAsker,
    draft_id: int,
    conversation: Conversation,
    now: datetime,
    defaults: ReminderDefaults,
) -> CreatedVisit:
    """Create visit: the draft's facts as read, in the conversation the letter came to, once."""

    def keep_conversation(session: Session, visit: Visit) -> None:
        teams.save_visit_conversation(
            session=session,
            visit_id=visit.id or 0,
            tenant_id=conversation.tenant_id,
            conversation_id=conversation.conversation_id,
            conversation_type=conversation.conversation_type,
            service_url=conversation.service_url,
            reference=conversation.reference,
            now=now,
        )

    created = visits.create_visit_from_draft(
        CoreContext(engine=engine, defaults=defaults, clock=lambda: now),
        asker=asker.core,
        draft_id=draft_id,
        keep_with_visit=KeepWithVisit(channel_id=conversation.channel_id, keep=keep_conversation),
    )
    if isinstance(created, Refusal):
        raise UserError(_teams_names(for_teams(created.text)))
    assert created.facts is not None  # made from a draft
    return CreatedVisit(
        visit=created.timeline.visit, milestones=created.timeline.milestones, facts=created.facts
    )


def dismiss_draft(
    *, engine: Engine, asker: TeamsAsker, draft_id: int, now: datetime
) -> LetterFacts:
    """Dismiss: no visit; the draft's facts, for the card that says so."""
    with session_scope(engine) as session:
        draft = _resolve_draft(
            session=session, asker=asker, draft_id=draft_id, status="dismissed", now=now
        )
        return LetterFacts.from_json(draft.facts)


def draft_facts(*, engine: Engine, asker: TeamsAsker, draft_id: int) -> LetterFacts:
    """Edit dates: the facts a pending draft holds."""
    with read_scope(engine) as session:
        draft = repo.get_letter_draft(session=session, draft_id=draft_id, team_id=asker.team_id)
        if draft is None:
            raise UserError("I can't find that letter any more. Share it again.")
        if draft.status != "pending":
            raise UserError(_already(draft.status, draft.resolved_by))
        return LetterFacts.from_json(draft.facts)


@dataclass(frozen=True)
class ClickedMilestone:
    """A click on a milestone's button, done (or refused): what the updated card shows."""

    visit: Visit
    milestone: Milestone
    milestones: list[Milestone]
    history: list[AuditEvent]
    reminder_id: int | None
    reminder_kind: str | None


def click_milestone(
    *,
    engine: Engine,
    asker: TeamsAsker,
    verb: str,
    milestone_id: int,
    key: str,
    now: datetime,
    defaults: ReminderDefaults,
    message_key: str | None = None,
    note: str | None = None,
    owner_user_id: str | None = None,
) -> ClickedMilestone:
    """Acknowledge, Mark done, Snooze, Assign, Request sign-off, Approve, Reject: the core's
    change, with its checks, audit and idempotency (`key`: the same for a retry of this very
    click); a refusal is raised as the answer, in Teams' words."""
    reminder_id = None
    if message_key and message_key.startswith("reminder:") and message_key[9:].isdigit():
        reminder_id = int(message_key[9:])
    changed = change_milestone(
        CoreContext(engine=engine, defaults=defaults, clock=lambda: now),
        asker=asker.core,
        change=MilestoneChange(
            verb=TEAMS_VERBS[verb],
            milestone_id=milestone_id,
            user_id=asker.user_id,
            key=key,
            note=note,
            owner_user_id=owner_user_id,
        ),
        reminder_id=reminder_id,
    )
    if isinstance(changed, Refusal):
        raise UserError(_teams_names(for_teams(changed.text)))
    return ClickedMilestone(
        visit=changed.visit,
        milestone=changed.milestone,
        milestones=changed.milestones,
        history=changed.history,
        reminder_id=reminder_id if changed.reminder_kind else None,
        reminder_kind=changed.reminder_kind,
    )


TEAMS_VERBS = {
    cards.ACKNOWLEDGE: Verb.ACKNOWLEDGE,
    cards.MARK_DONE: Verb.MARK_DONE,
    cards.SNOOZE: Verb.SNOOZE,
    cards.ASSIGN: Verb.ASSIGN,
    cards.REQUEST_SIGN_OFF: Verb.REQUEST_SIGN_OFF,
    cards.APPROVE: Verb.APPROVE,
    cards.REJECT: Verb.REJECT,
}
"""The Teams verbs, as the core names them."""


# --- helpers ----------------------------------------------------------------------------------


def _resolve_draft(
    *, session: Session, asker: TeamsAsker, draft_id: int, status: str, now: datetime
) -> LetterDraft:
    """The pending draft, now created or dismissed by this person; once, whoever clicks first."""
    draft = repo.get_letter_draft(session=session, draft_id=draft_id, team_id=asker.team_id)
    if draft is None:
        raise UserError("I can't find that letter any more. Share it again.")
    if not repo.resolve_letter_draft(
        session=session, draft_id=draft_id, status=status, actor_user_id=asker.user_id, now=now
    ):
        session.refresh(draft)
        raise UserError(_already(draft.status, draft.resolved_by))
    return draft


def _already(status: str, resolved_by: str | None) -> str:
    outcome = "made into a visit" if status == "created" else "dismissed"
    return f"This letter was already {outcome} by {resolved_by or 'someone'}."


def _no_such_visit(*, session: Session, reference: str, asker: TeamsAsker) -> UserError:
    known = [
        v.reference
        for v in repo.list_open_visits(session=session, visible_to=asker.visible_to(), limit=5)
    ]
    hint = f" Open visits: {', '.join(f'`{r}`' for r in known)}." if known else ""
    return UserError(f"I have no visit called `{reference[:60]}`.{hint} `list` shows them all.")


def _visible_visit(
    *, session: Session, asker: TeamsAsker, reference: str, attempt: str, now: datetime
) -> Visit:
    visit = repo.get_visit(session=session, reference=reference, team_id=asker.team_id)
    if visit is None:
        raise _no_such_visit(session=session, reference=reference, asker=asker)
    decision = asker.sees(visit_facts(session=session, visit=visit))
    if decision:
        return visit
    raise _refuse(
        session=session, visit=visit, asker=asker, action=attempt, decision=decision, now=now
    )


def _refuse(
    *,
    session: Session,
    visit: Visit,
    asker: TeamsAsker,
    action: str,
    decision: Decision,
    now: datetime,
) -> Refused:
    """Audit a refused attempt, and the plain answer to give: who can, or that it does not exist."""
    repo.append_audit_event(
        session=session,
        visit_id=visit.id or 0,
        milestone_id=None,
        actor_user_id=asker.user_id,
        action=action,
        now=now,
        outcome="refused",
        note=decision.refusal,
    )
    if decision == NOT_FOUND:
        return Refused(
            _no_such_visit(session=session, reference=visit.reference, asker=asker).message
        )
    return Refused(_teams_names(decision.refusal or "You can't do that."))


def _teams_names(refusal: str) -> str:
    """The policy names people as Slack mentions (`<@id>`); Teams shows the id."""
    return refusal.replace("<@", "").replace(">", "").replace("/ofsted ", "")


def _unit_of_work(engine: Engine) -> AbstractContextManager[Session]:
    """One unit of work; a `Refused` raised in it still commits the refusal's audit event."""
    return CoreContext(engine=engine).session()
