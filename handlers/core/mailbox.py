"""A message from the council's mailbox becomes a letter preview, or an answer saying why not.

Platform-free: the chat it is posted to is a `MailChannel` handed in (Slack's is
handlers/slack/mailbox.py). Reading uses the same reader and bounds as a shared file (a child
process with memory and time limits), and the same letter reader. No visit is made here: a draft
waits for a person to press Create visit or Attach to an existing visit.

Posting once: every message posted for a mail carries a marker (`mail_<row id>`). A process that
died after posting and before noting it leaves the marker in the channel, and whoever finishes
the message finds it there instead of posting again.

One visit per letter: the rule a shared file follows (handlers.core.letters.tracked_letter),
with the content hash of the attachment's bytes (of the mail's text, for a letter in the body).
A letter already tracked, mailed or shared, is answered "already tracked as `ref`" with Open it,
Track it anyway and Dismiss; a report of a tracked visit is kept with that visit
(`attach_report`), never a new one; a document without deadlines is never offered Create visit.
The mailbox asks as the bot that posts in MAILBOX_CHANNEL: it sees every visit of that workspace
(as an administrator does), since the letter came to the council, not to one person.

The draft made from a mail is keyed by the channel and the mail's marker (its `thread_ts`), as a
shared file's is by its message: a process that takes a message over finds the draft, or the
report already kept, that the one before it made, and does not make another.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.engine import Engine

from handlers.core.access import Actor, Workspace
from handlers.core.context import CoreContext
from handlers.core.errors import UserError
from handlers.core.letters import (
    ReportAttached,
    TrackedLetter,
    attach_report,
    document_hash,
    save_draft,
    tracked_letter,
)
from handlers.core.people import Asker, KnownMembers
from handlers.core.visits import answers_refusals, find_visit, take_draft, visible_to
from handlers.core.wording import MAILBOX_ACTOR, visit_title
from scheduler.calendar import ENGLAND_AND_WALES, WorkingDayCalendar
from scheduler.documents import UnreadableDocument
from scheduler.letters import LetterFacts, NotAnOfstedLetter, read_letter
from scheduler.mailbox.messages import Attachment, Envelope, Mail, is_document
from scheduler.rules import DocumentKind
from scheduler.sandbox import read_document_bounded
from storage import mail as mail_store
from storage import repo
from storage.db import session_scope
from storage.models import LetterDraft, Visit

logger = logging.getLogger(__name__)

# Documents that are the letter itself, rather than a report sent with it.
_LETTER_KINDS = frozenset(
    {
        DocumentKind.FINAL_REPORT_COVER,
        DocumentKind.DRAFT_REPORT_COVER,
        DocumentKind.FINDINGS_LETTER,
        DocumentKind.JTAI_LETTER,
    }
)
Reader = Callable[[bytes, str], str]


def read_bounded(data: bytes, filename: str) -> str:
    return read_document_bounded(data, filename=filename)


@dataclass(frozen=True)
class LetterInMail:
    facts: LetterFacts
    # The attachment the letter was read from; None when it was the mail's own text.
    letter: Attachment | None
    # What came with it (the report): attached to the preview.
    others: tuple[Attachment, ...]
    # Attachments that could not be read, said under the preview.
    notes: tuple[str, ...]
    # handlers.core.letters.document_hash of the letter's file (or of the mail's text).
    content_hash: str


@dataclass(frozen=True)
class NoLetter:
    """Why nothing was previewed, in words for the channel."""

    reason: str
    outcome: str = "refused"


@dataclass(frozen=True)
class _Read:
    attachment: Attachment
    rank: tuple[int, int]
    facts: LetterFacts


def read_mail(
    mail: Mail, *, calendar: WorkingDayCalendar = ENGLAND_AND_WALES, read: Reader = read_bounded
) -> LetterInMail | NoLetter:
    """The letter in a message (an attachment, or else the body) and what came with it."""
    documents = [attachment for attachment in mail.attachments if is_document(attachment)]
    letters: list[_Read] = []
    unread: list[Attachment] = []
    notes: list[str] = []
    for attachment in documents:
        try:
            text = read(attachment.data, attachment.filename)
        except UnreadableDocument as error:
            notes.append(f"I could not read {attachment.filename}: {error}.")
            continue
        try:
            facts = read_letter(text, calendar=calendar)
        except NotAnOfstedLetter:
            unread.append(attachment)
            continue
        rank = (int(facts.document_kind in _LETTER_KINDS), len(facts.milestones))
        letters.append(_Read(attachment, rank, facts))
    if letters:
        chosen = max(letters, key=lambda found: found.rank)
        others = tuple(
            attachment
            for attachment in documents
            if attachment is not chosen.attachment and not _named_in(attachment, notes)
        )
        return LetterInMail(
            facts=chosen.facts,
            letter=chosen.attachment,
            others=others,
            notes=tuple(notes),
            content_hash=document_hash(chosen.attachment.data),
        )
    if mail.body.strip():
        try:
            facts = read_letter(mail.body, calendar=calendar)
        except NotAnOfstedLetter:
            pass
        else:
            return LetterInMail(
                facts=facts,
                letter=None,
                others=tuple(documents),
                notes=tuple(notes),
                content_hash=document_hash(mail.body),
            )
    if notes:
        return NoLetter(" ".join(notes) + " No visit can be made from this message.")
    if unread:
        names = ", ".join(attachment.filename for attachment in unread)
        return NoLetter(
            f"None of its attachments ({names}) reads as an Ofsted letter, and neither does "
            "its text: nothing to preview."
        )
    return NoLetter(
        "It has no PDF, Word or text attachment, and its text is not an Ofsted letter: "
        "nothing to preview. If Ofsted sent the letter another way, share it here."
    )


def _named_in(attachment: Attachment, notes: list[str]) -> bool:
    return any(f" {attachment.filename}: " in note for note in notes)


class MailChannel(Protocol):
    """Where mail previews go (MAILBOX_CHANNEL), in whichever chat the bot runs in."""

    channel_id: str

    def find_posted(self, *, marker: str, since: datetime | None) -> str | None:
        """The id of a message already posted with this marker, if there is one."""
        ...

    def post_preview(
        self, *, marker: str, envelope: Envelope, letter: LetterInMail, draft_id: int
    ) -> str: ...

    def post_tracked(
        self, *, marker: str, envelope: Envelope, letter: LetterInMail, tracked: TrackedLetter,
        draft_id: int,
    ) -> str:
        """The answer a letter shared again gets: already tracked, Open it / Track it anyway."""
        ...

    def post_report_kept(
        self, *, marker: str, envelope: Envelope, letter: LetterInMail, attached: ReportAttached
    ) -> str: ...

    def post_answer(self, *, marker: str, envelope: Envelope, text: str) -> str: ...

    def post_notice(self, *, text: str) -> None: ...


@dataclass(frozen=True)
class _Kept:
    """What became of a mailed letter: a draft waiting for a person (a preview, or the "already
    tracked" answer when `tracked`), or a report kept with its visit (`attached`)."""

    draft_id: int
    tracked: TrackedLetter | None = None
    attached: ReportAttached | None = None

    @property
    def outcome(self) -> str:
        if self.attached is not None:
            return "attached"
        return "duplicate" if self.tracked is not None else "previewed"


@dataclass
class MailLetters:
    """What the watcher hands each new message to (scheduler.mailbox.watcher.MailHandler)."""

    engine: Engine
    channel: MailChannel
    workspace: Workspace
    clock: Callable[[], datetime]
    calendar: WorkingDayCalendar = ENGLAND_AND_WALES
    read: Reader = field(default=read_bounded)

    @property
    def core(self) -> CoreContext:
        return CoreContext(engine=self.engine, clock=self.clock)

    @property
    def asker(self) -> Asker:
        """The bot, reading the council's mail for MAILBOX_CHANNEL: it may see every visit of
        its workspace, to say which one a letter is tracked as."""
        return Asker(
            actor=Actor(workspace=self.workspace, user_id=MAILBOX_ACTOR, is_admin=True),
            membership=KnownMembers(),
        )

    def __call__(self, *, row_id: int, envelope: Envelope, mail: Mail | None) -> str:
        marker = f"mail_{row_id}"
        with session_scope(self.engine) as session:
            row = mail_store.get_message(session=session, row_id=row_id)
            if row is None:
                raise LookupError(f"mail message {row_id} is not recorded")
            if row.posted_ts:  # posted by a process that died before it could say so
                return "previewed" if row.draft_id else "refused"
            claimed_at = row.created_at
        if mail is None:
            found: LetterInMail | NoLetter = NoLetter(
                "It is too large to download (more than 60 MB): nothing to preview. "
                "Share the letter here instead."
            )
        else:
            found = read_mail(mail, calendar=self.calendar, read=self.read)
        if isinstance(found, NoLetter):
            ts = self.channel.find_posted(
                marker=marker, since=claimed_at
            ) or self.channel.post_answer(marker=marker, envelope=envelope, text=found.reason)
            self._note_posted(row_id, ts)
            return found.outcome
        kept = self._keep(found, row_id=row_id, marker=marker)
        ts = self.channel.find_posted(marker=marker, since=claimed_at) or self._post(
            kept, marker=marker, envelope=envelope, letter=found
        )
        self._note_posted(row_id, ts, draft_id=None if kept.attached else kept.draft_id)
        return kept.outcome

    def _keep(self, letter: LetterInMail, *, row_id: int, marker: str) -> _Kept:
        """The letter's draft, or the report kept with its visit: made once per message, and
        found again by a process that takes the message over."""
        before = self._draft_of(marker)
        if before is not None:
            return self._kept_before(before, letter)
        tracked = tracked_letter(
            self.core, asker=self.asker, facts=letter.facts, content_hash=letter.content_hash
        )
        filename = letter.letter.filename if letter.letter else None
        attached: ReportAttached | None = None
        if tracked is not None and tracked.report:
            attached = attach_report(
                self.core,
                asker=self.asker,
                tracked=tracked,
                facts=letter.facts,
                filename=filename,
                channel_id=self.channel.channel_id,
                thread_ts=marker,
                content_hash=letter.content_hash,
            )
            saved_id = None if attached is None else self._record_draft(row_id, marker)
        else:
            saved = save_draft(
                self.core,
                workspace=self.workspace,
                facts=letter.facts,
                created_by=MAILBOX_ACTOR,
                filename=filename,
                visit_channel_id=self.channel.channel_id,
                thread_ts=marker,
                content_hash=letter.content_hash,
            )
            saved_id = None if saved is None else self._record_draft(row_id, marker)
        if saved_id is None:  # another process made it meanwhile
            made = self._draft_of(marker)
            if made is None:
                raise RuntimeError("the letter's draft was not saved")
            return self._kept_before(made, letter)
        return _Kept(draft_id=saved_id, tracked=tracked, attached=attached)

    def _kept_before(self, draft: LetterDraft, letter: LetterInMail) -> _Kept:
        if draft.resolved_by == MAILBOX_ACTOR and draft.visit_id is not None:
            with session_scope(self.engine) as session:
                visit = session.get(Visit, draft.visit_id)
                if visit is not None:
                    attached = ReportAttached(reference=visit.reference, title=visit_title(visit))
                    return _Kept(draft_id=draft.id or 0, attached=attached)
        tracked = tracked_letter(
            self.core, asker=self.asker, facts=letter.facts, content_hash=letter.content_hash
        )
        return _Kept(draft_id=draft.id or 0, tracked=tracked)

    def _draft_of(self, marker: str) -> LetterDraft | None:
        with session_scope(self.engine) as session:
            return repo.find_letter_draft_for_message(
                session=session, channel_id=self.channel.channel_id, thread_ts=marker
            )

    def _record_draft(self, row_id: int, marker: str) -> int:
        with session_scope(self.engine) as session:
            draft = repo.find_letter_draft_for_message(
                session=session, channel_id=self.channel.channel_id, thread_ts=marker
            )
            if draft is None or draft.id is None:
                raise RuntimeError("the letter's draft was not saved")
            mail_store.attach_draft(session=session, row_id=row_id, draft_id=draft.id)
            return draft.id

    def _post(self, kept: _Kept, *, marker: str, envelope: Envelope, letter: LetterInMail) -> str:
        if kept.attached is not None:
            return self.channel.post_report_kept(
                marker=marker, envelope=envelope, letter=letter, attached=kept.attached
            )
        if kept.tracked is not None:
            return self.channel.post_tracked(
                marker=marker,
                envelope=envelope,
                letter=letter,
                tracked=kept.tracked,
                draft_id=kept.draft_id,
            )
        return self.channel.post_preview(
            marker=marker, envelope=envelope, letter=letter, draft_id=kept.draft_id
        )

    def _note_posted(self, row_id: int, ts: str, *, draft_id: int | None = None) -> None:
        with session_scope(self.engine) as session:
            mail_store.note_posted(
                session=session, row_id=row_id, channel_id=self.channel.channel_id, ts=ts
            )
            if draft_id is not None:
                draft = repo.get_letter_draft(
                    session=session, draft_id=draft_id, team_id=self.workspace.team_id
                )
                if draft is not None:
                    repo.set_letter_draft_preview(
                        session=session,
                        draft=draft,
                        channel_id=self.channel.channel_id,
                        preview_ts=ts,
                    )

    def report_outage(self, *, mailbox: str, reason: str | None) -> None:
        """The watcher's OutageReport: a notice when the mailbox stops answering, one when back."""
        if reason is None:
            self.channel.post_notice(text=f"The mailbox {mailbox} answers again: reading mail.")
        else:
            self.channel.post_notice(
                text=(
                    f"The mailbox {mailbox} is not answering ({reason}). I keep trying; mail "
                    "that arrives meanwhile is read when it answers again."
                )
            )


# --- Attach to an existing visit -------------------------------------------------------------


@dataclass(frozen=True)
class AttachChoices:
    """The open visits this person may attach a letter to: (reference, label) pairs."""

    draft_id: int
    visits: list[tuple[str, str]]


@dataclass(frozen=True)
class LetterAttached:
    reference: str
    attached_by: str


VISITS_TO_CHOOSE_FROM = 100


@answers_refusals
def attach_choices(ctx: CoreContext, *, asker: Asker, draft_id: int) -> AttachChoices:
    """ "Attach to an existing visit": which visits this person can see and pick."""
    with ctx.session() as session:
        draft = repo.get_letter_draft(session=session, draft_id=draft_id, team_id=asker.team_id)
        if draft is None:
            raise UserError("I can't find that letter any more.")
        if draft.status != "pending":
            raise UserError(f"This letter was already dealt with by <@{draft.resolved_by}>.")
        shown = visible_to(session=session, asker=asker)
        visits = [
            (visit.reference, f"{visit.reference} · {visit.local_authority or 'unknown authority'}")
            for visit in repo.list_open_visits(
                session=session, visible_to=shown, limit=VISITS_TO_CHOOSE_FROM
            )
        ]
    if not visits:
        raise UserError(
            "There is no open visit you can see to attach this letter to: use Create visit."
        )
    return AttachChoices(draft_id=draft_id, visits=visits)


@answers_refusals
def attach_to_visit(
    ctx: CoreContext, *, asker: Asker, draft_id: int, reference: str
) -> LetterAttached:
    """The letter is about a visit already tracked: recorded on it, its dates unchanged.

    The draft is resolved as `created` with the chosen visit's id (one resolution per draft,
    like Create visit and Dismiss), and the visit's audit log says the letter was attached.
    """
    now = ctx.now()
    with ctx.session() as session:
        visit = find_visit(
            session=session, reference=reference, asker=asker, attempt="letter_attached", now=now
        )
        draft = take_draft(
            session=session,
            draft_id=draft_id,
            asker=asker,
            status="created",
            now=now,
            taken="This letter was already made into a visit, attached or dismissed.",
        )
        draft.visit_id = visit.id
        session.add(draft)
        repo.append_audit_event(
            session=session,
            visit_id=visit.id or 0,
            milestone_id=None,
            actor_user_id=asker.user_id,
            action="letter_attached",
            now=now,
            note=f"letter from the mailbox attached: {draft.filename or 'the mail text'}",
        )
        return LetterAttached(reference=visit.reference, attached_by=asker.user_id)
