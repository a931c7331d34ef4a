"""Where the Teams front end meets the platform-free core (`handlers/core/`): who asks, where, and
what a Teams conversation keeps with a visit.

Every Teams command and card click is a translation: the activity read into the core's typed
inputs (here and in `forms`), one core use case, its result drawn as a card (`cards`). What is
Teams' own stays here: the person with the members of their tenant's conversations (looked up
from the Bot Connector before asking), the conversation a new visit is kept with (for
reminders), a letter attached in Teams, and a refusal said in Teams' words (names, not ids).

All of them are synchronous (the database is): the activity handler runs them on a thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlmodel import Session

from handlers.core import letters, visits
from handlers.core.access import Actor
from handlers.core.context import CoreContext
from handlers.core.errors import UserError
from handlers.core.letters import ReportAttached, TrackedLetter
from handlers.core.milestones import MilestoneChange, Verb, change_milestone
from handlers.core.people import ActorAsking, Asker, KnownMembers, KnownNames
from handlers.core.results import MilestoneChanged, Refusal, VisitCreated, VisitListing
from handlers.core.visits import KeepWithVisit, VisitForm, visible_to, visit_listing
from handlers.slack.intake import SharedFile, read_shared_file
from handlers.teams import cards
from handlers.teams.messages import for_teams
from scheduler.letters import LetterFacts
from storage import teams
from storage.db import read_scope
from storage.models import Visit

Result = TypeVar("Result")


@dataclass(frozen=True)
class TeamsAsker(ActorAsking):
    """The person asking, in their tenant, with the members of the conversations that hold its
    visits (looked up from the Bot Connector by the front end before asking), and the display
    names of the conversation they asked in (to name people by)."""

    actor: Actor
    tenant_id: str
    members: Mapping[str, frozenset[str]]
    names: Mapping[str, str] = field(default_factory=dict)

    @property
    def core(self) -> Asker:
        """The same person as the core's use cases take them, with the display names of the
        conversation they asked in (an export's audit trail names people by them)."""
        return Asker(
            actor=self.actor,
            membership=KnownMembers(self.members),
            names=KnownNames(dict(self.names)),
        )

    @property
    def people(self) -> list[tuple[str, str]]:
        """(user id, name) of the conversation asked in, by name: what a form offers to pick."""
        return sorted(self.names.items(), key=lambda item: item[1].lower())


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


def answered(result: Result | Refusal, asker: TeamsAsker) -> Result:
    """A use case's result; its refusal raised as the answer, in Teams' words."""
    if isinstance(result, Refusal):
        raise UserError(for_teams(result.text, asker.names))
    return result


def conversations_to_ask_about(*, engine: Any, tenant_id: str) -> dict[str, str]:
    """The channel conversations holding this tenant's visits, with their service URLs: whose
    members the front end looks up before asking anything that depends on who sees what."""
    with read_scope(engine) as session:
        return teams.tenant_conversations(session=session, tenant_id=tenant_id)


def list_visits(ctx: CoreContext, *, asker: TeamsAsker) -> VisitListing:
    """`list`: the open visits this person may see, soonest next date first."""
    with ctx.reading() as session:
        listing = visit_listing(
            session=session, visible_to=visible_to(session=session, asker=asker.core)
        )
        session.expunge_all()
        return listing


def kept_in(conversation: Conversation, ctx: CoreContext) -> KeepWithVisit:
    """The conversation a new visit is kept with, in the visit's own unit of work: where its
    reminders are posted (proactively, by its conversation reference)."""

    def keep(session: Session, visit: Visit) -> None:
        teams.save_visit_conversation(
            session=session,
            visit_id=visit.id or 0,
            tenant_id=conversation.tenant_id,
            conversation_id=conversation.conversation_id,
            conversation_type=conversation.conversation_type,
            service_url=conversation.service_url,
            reference=conversation.reference,
            now=ctx.now(),
        )

    return KeepWithVisit(channel_id=conversation.channel_id, keep=keep)


def create_visit_from_draft(
    ctx: CoreContext, *, asker: TeamsAsker, draft_id: int, conversation: Conversation
) -> VisitCreated:
    """Create visit: the draft's facts as read, in the conversation the letter came to, once."""
    created = visits.create_visit_from_draft(
        ctx, asker=asker.core, draft_id=draft_id, keep_with_visit=kept_in(conversation, ctx)
    )
    return answered(created, asker)


def create_visit(
    ctx: CoreContext,
    *,
    asker: TeamsAsker,
    form: VisitForm,
    conversation: Conversation,
    draft_id: int | None = None,
) -> VisitCreated:
    """`new`, or a letter's dates as a person checked them: kept in this conversation."""
    created = visits.create_visit(
        ctx,
        asker=asker.core,
        form=form,
        draft_id=draft_id,
        keep_with_visit=kept_in(conversation, ctx),
    )
    return answered(created, asker)


@dataclass(frozen=True)
class LetterRead:
    """A letter as read, with its content hash (the same document shared again is known)."""

    facts: LetterFacts
    content_hash: str


@dataclass(frozen=True)
class LetterKept:
    """What became of a letter read in Teams: a draft to preview (`tracked`: the visit that
    already tracks it, to say so instead), or a report kept with its visit (`report`)."""

    draft_id: int | None = None
    tracked: TrackedLetter | None = None
    report: ReportAttached | None = None


def save_letter(
    ctx: CoreContext,
    *,
    asker: TeamsAsker,
    read: LetterRead,
    filename: str | None,
    conversation: Conversation,
    message_id: str | None,
) -> LetterKept | None:
    """One visit per letter, as in Slack: a report of a visit already tracked is kept with it;
    anything else is kept as a draft until someone presses Create visit (or Track it anyway,
    when it is tracked already). None when this very message was read already (Teams delivered
    it twice)."""
    facts, content_hash = read.facts, read.content_hash
    tracked = letters.tracked_letter(ctx, asker=asker.core, facts=facts, content_hash=content_hash)
    if tracked is not None and tracked.report:
        attached = letters.attach_report(
            ctx,
            asker=asker.core,
            tracked=tracked,
            facts=facts,
            filename=filename,
            channel_id=conversation.conversation_id,
            thread_ts=message_id,
            content_hash=content_hash,
        )
        return None if attached is None else LetterKept(report=attached)
    saved = letters.save_draft(
        ctx,
        workspace=asker.actor.workspace,
        facts=facts,
        created_by=asker.user_id,
        filename=filename,
        visit_channel_id=conversation.conversation_id,
        thread_ts=message_id,
        content_hash=content_hash,
    )
    return None if saved is None else LetterKept(draft_id=saved.draft_id, tracked=tracked)


def read_attached_letter(*, name: str, file_type: str, url: str, allowed_origin: str) -> LetterRead:
    """A letter attached in Teams, downloaded from `allowed_origin` only and read within the same
    bounds as a file shared in Slack (handlers.slack.intake, scheduler.sandbox)."""
    shared = SharedFile(id="", name=name, filetype=file_type.lower(), size=0, url=url)
    if not shared.looks_like_a_letter:
        raise UserError(f"{name} is not a PDF, Word or text file: attach the letter Ofsted sent.")
    try:
        facts, content_hash = read_shared_file(shared, token=None, origins=(allowed_origin,))
    except UserError as error:
        raise UserError(error.message.replace("Slack", "Teams")) from None
    return LetterRead(facts=facts, content_hash=content_hash)


def read_pasted_letter(text: str) -> LetterRead:
    return LetterRead(facts=letters.facts_from_text(text), content_hash=letters.document_hash(text))


def click_milestone(
    ctx: CoreContext,
    *,
    asker: TeamsAsker,
    verb: str,
    milestone_id: int,
    key: str,
    reminder_id: int | None = None,
    note: str | None = None,
    owner_user_id: str | None = None,
) -> MilestoneChanged:
    """Acknowledge, Mark done, Snooze, Assign, Request sign-off, Approve, Reject: the core's
    change, with its checks, audit and idempotency (`key`: the same for a retry of this very
    click); a refusal is raised as the answer, in Teams' words."""
    changed = change_milestone(
        ctx,
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
    return answered(changed, asker)


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
