"""A message from the council's mailbox becomes a letter preview, or an answer saying why not.

Platform-free: the chat it is posted to is a `MailChannel` handed in (Slack's is
handlers/slack/mailbox.py). Reading uses the same reader and bounds as a shared file (a child
process with memory and time limits), and the same letter reader. Nothing becomes a visit here:
a draft waits for a person to press Create visit or Attach to an existing visit.

Posting once: every message posted for a mail carries a marker (`mail_<row id>`). A process that
died after posting and before noting it leaves the marker in the channel, and whoever finishes
the message finds it there instead of posting again.

Duplicates (the minimum of the one-visit-per-letter rule, until it has a home of its own): a
letter whose authority, date and visit type are those of a visit already tracked, or whose text
is that of a letter already previewed from this mailbox and not dismissed, is answered as a
duplicate and not previewed for creation.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.engine import Engine

from handlers.core.access import Workspace
from handlers.core.context import CoreContext
from handlers.core.errors import UserError
from handlers.core.people import Asker
from handlers.core.visits import answers_refusals, find_visit, take_draft, visible_to
from scheduler.calendar import ENGLAND_AND_WALES, WorkingDayCalendar
from scheduler.documents import UnreadableDocument
from scheduler.letters import LetterFacts, NotAnOfstedLetter, read_letter
from scheduler.mailbox.messages import Attachment, Envelope, Mail, is_document
from scheduler.rules import DocumentKind
from scheduler.sandbox import read_document_bounded
from storage import mail as mail_store
from storage import repo
from storage.db import session_scope

logger = logging.getLogger(__name__)

MAILBOX_ACTOR = "mailbox"
"""Who made a draft read from the mailbox: no person did; the one who confirms it is recorded."""
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
    fingerprint: str


@dataclass(frozen=True)
class NoLetter:
    """Why nothing was previewed, in words for the channel."""

    reason: str
    outcome: str = "refused"


def fingerprint(text: str) -> str:
    """The letter's text, case and spacing folded, hashed: the same letter whatever the file."""
    return hashlib.sha256(" ".join(text.lower().split()).encode()).hexdigest()


@dataclass(frozen=True)
class _Read:
    attachment: Attachment
    text: str
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
        letters.append(_Read(attachment, text, rank, facts))
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
            fingerprint=fingerprint(chosen.text),
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
                fingerprint=fingerprint(mail.body),
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

    def post_answer(self, *, marker: str, envelope: Envelope, text: str) -> str: ...

    def post_notice(self, *, text: str) -> None: ...


@dataclass
class MailLetters:
    """What the watcher hands each new message to (scheduler.mailbox.watcher.MailHandler)."""

    engine: Engine
    channel: MailChannel
    workspace: Workspace
    clock: Callable[[], datetime]
    calendar: WorkingDayCalendar = ENGLAND_AND_WALES
    read: Reader = field(default=read_bounded)

    def __call__(self, *, row_id: int, envelope: Envelope, mail: Mail | None) -> str:
        marker = f"mail_{row_id}"
        with session_scope(self.engine) as session:
            row = mail_store.get_message(session=session, row_id=row_id)
            if row is None:
                raise LookupError(f"mail message {row_id} is not recorded")
            if row.posted_ts:  # posted by a process that died before it could say so
                return "previewed" if row.draft_id else "refused"
            draft_id, claimed_at = row.draft_id, row.created_at
        if mail is None:
            found: LetterInMail | NoLetter = NoLetter(
                "It is too large to download (more than 60 MB): nothing to preview. "
                "Share the letter here instead."
            )
        else:
            found = read_mail(mail, calendar=self.calendar, read=self.read)
        if isinstance(found, LetterInMail) and draft_id is None:
            duplicate = self._duplicate(found, row_id=row_id)
            if duplicate is not None:
                found = NoLetter(duplicate, outcome="duplicate")
        if isinstance(found, NoLetter):
            ts = self.channel.find_posted(
                marker=marker, since=claimed_at
            ) or self.channel.post_answer(marker=marker, envelope=envelope, text=found.reason)
            self._note_posted(row_id, ts)
            return found.outcome
        if draft_id is None:
            draft_id = self._save_draft(row_id, found)
        ts = self.channel.find_posted(marker=marker, since=claimed_at) or self.channel.post_preview(
            marker=marker, envelope=envelope, letter=found, draft_id=draft_id
        )
        self._note_posted(row_id, ts, draft_id=draft_id)
        return "previewed"

    def _duplicate(self, letter: LetterInMail, *, row_id: int) -> str | None:
        facts = letter.facts
        with session_scope(self.engine) as session:
            visit = mail_store.find_visit_for_letter(
                session=session,
                team_id=self.workspace.team_id,
                local_authority=facts.local_authority,
                letter_date=facts.letter_date,
                visit_type=facts.visit_type.value,
            )
            if visit is not None:
                return (
                    f"This letter is already tracked as visit `{visit.reference}`: one visit per "
                    "letter, so there is nothing new to create."
                )
            earlier = mail_store.earlier_with_fingerprint(
                session=session,
                fingerprint=letter.fingerprint,
                before_id=row_id,
                team_id=self.workspace.team_id,
            )
            if earlier is not None:
                when = (earlier.received_at or earlier.created_at).strftime("%d %B %Y %H:%M UTC")
                return (
                    f"The same letter came before (“{earlier.subject}”, received {when}) and was "
                    "previewed here: use that preview."
                )
        return None

    def _save_draft(self, row_id: int, letter: LetterInMail) -> int:
        with session_scope(self.engine) as session:
            draft = repo.save_letter_draft(
                session=session,
                facts=letter.facts.to_json(),
                created_by=MAILBOX_ACTOR,
                now=self.clock(),
                filename=letter.letter.filename if letter.letter else None,
                channel_id=self.channel.channel_id,
                team_id=self.workspace.team_id,
                enterprise_id=self.workspace.enterprise_id,
            )
            if draft is None or draft.id is None:
                raise RuntimeError("the letter's draft was not saved")
            mail_store.attach_draft(
                session=session, row_id=row_id, draft_id=draft.id, fingerprint=letter.fingerprint
            )
            return draft.id

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
