"""Letters: read into typed facts, kept as a draft until a person creates a visit or dismisses it.

Reading is the same code the command line uses (scheduler.letters), a document's text in a child
process with memory and time limits (scheduler.sandbox). The facts stay `LetterFacts` from the
reader to the draft's row and back: the row keeps their `to_json` form, read back in one place
(`LetterFacts.from_json`). Creating a visit from a draft is in handlers.core.visits.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from handlers.core.access import Workspace
from handlers.core.context import CoreContext
from handlers.core.errors import UserError
from handlers.core.people import Asker
from handlers.core.results import DraftDismissed, DraftForReview, DraftSaved
from handlers.core.text import escape_mrkdwn
from handlers.core.visits import already_resolved, answers_refusals, take_draft, visit_facts
from handlers.core.wording import visit_title
from scheduler.calendar import london_date
from scheduler.documents import UnreadableDocument
from scheduler.letters import LetterFacts, NotAnOfstedLetter, read_letter
from scheduler.sandbox import read_document_bounded
from storage import repo
from storage.models import Visit


def not_a_letter(subject: str, error: NotAnOfstedLetter) -> str:
    """ "That does not look like an Ofsted letter: it has no mention of …", one sentence: the
    reader's reason says the same words again, so only what it found is kept."""
    reason = str(error)
    found = re.fullmatch(r"this does not look like an Ofsted letter[^(]*\((.*)\)", reason)
    why = f"I found {found.group(1)}" if found else reason
    return f"{subject} does not look like an Ofsted letter: {escape_mrkdwn(why)}."


def facts_from_text(text: str) -> LetterFacts:
    """A pasted letter's facts, or a UserError that says what is wrong with it."""
    try:
        return read_letter(text)
    except NotAnOfstedLetter as error:
        raise UserError(
            f"{not_a_letter('That', error)} Paste the letter from its date line down, or attach "
            "the PDF or Word file Ofsted sent."
        ) from None


def facts_from_document(data: bytes, *, filename: str) -> LetterFacts:
    """A letter file's facts (PDF, Word or text), or a UserError that says what is wrong."""
    try:
        text = read_document_bounded(data, filename=filename)
    except UnreadableDocument as error:
        raise UserError(f"I could not use that file: {escape_mrkdwn(str(error))}.") from None
    try:
        return read_letter(text)
    except NotAnOfstedLetter as error:
        raise UserError(not_a_letter(escape_mrkdwn(filename), error)) from None


def save_draft(
    ctx: CoreContext,
    *,
    workspace: Workspace,
    facts: LetterFacts,
    created_by: str,
    filename: str | None,
    visit_channel_id: str | None,
    thread_ts: str | None = None,
    content_hash: str | None = None,
) -> DraftSaved | None:
    """Keep a letter's facts as a draft; nothing becomes a visit until a person confirms.

    None when a draft for the same shared message exists already (the platform delivered the
    event twice): the front end then shows nothing, so the channel sees one preview.
    """
    with ctx.session() as session:
        draft = repo.save_letter_draft(
            session=session,
            facts=facts.to_json(),
            created_by=created_by,
            now=ctx.now(),
            filename=filename,
            channel_id=visit_channel_id,
            thread_ts=thread_ts,
            team_id=workspace.team_id,
            enterprise_id=workspace.enterprise_id,
            content_hash=content_hash,
        )
        if draft is None:
            return None
        return DraftSaved(draft_id=draft.id or 0, facts=facts)


# --- One visit per letter ----------------------------------------------------------------------


def document_hash(data: bytes | str) -> str:
    """A shared document's content hash: a file's bytes, or a pasted text with its spacing
    evened out (the same letter pasted twice is one letter)."""
    raw = " ".join(data.split()).encode() if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def is_report(facts: LetterFacts) -> bool:
    """A document with no deadlines of its own (an inspection report): it belongs to a visit,
    and is never made a visit by itself."""
    return not facts.milestones


@dataclass(frozen=True)
class TrackedLetter:
    """The visit that already tracks a letter (or that a report is about), as a person sees it.

    `why`: "document" (the same file, by content hash), "letter" (the same authority, visit
    type and letter date) or "report" (a report whose authority and inspection dates are the
    visit's). `shared_by`/`shared_on`: who shared the letter the visit was made from, and when
    (its creator and creation, for a visit entered by hand).
    """

    visit_id: int
    reference: str
    title: str
    shared_by: str | None
    shared_on: date
    why: str
    report: bool
    closed: bool = False


def tracked_letter(
    ctx: CoreContext, *, asker: Asker, facts: LetterFacts, content_hash: str | None = None
) -> TrackedLetter | None:
    """The visit this letter is already tracked as, if one is and the asker may see it; None
    when it is new (or tracked only where this person cannot see: nothing is revealed).

    Platform-neutral: Slack's intake, the mail intake and Teams ask it before previewing.
    """
    with ctx.reading() as session:
        found = _tracking_visit(
            session=session, team_id=asker.team_id, facts=facts, content_hash=content_hash
        )
        if found is None:
            return None
        visit, why = found
        if not asker.sees(visit_facts(session=session, visit=visit)):
            return None
        draft = repo.draft_of_visit(session=session, visit_id=visit.id or 0)
        shared_at = draft.created_at if draft is not None else visit.created_at
        return TrackedLetter(
            visit_id=visit.id or 0,
            reference=visit.reference,
            title=visit_title(visit),
            shared_by=draft.created_by if draft is not None else visit.created_by,
            shared_on=london_date(shared_at),
            why=why,
            report=is_report(facts),
            closed=visit.status == "closed",
        )


def _tracking_visit(
    *, session: Session, team_id: str, facts: LetterFacts, content_hash: str | None
) -> tuple[Visit, str] | None:
    if content_hash:
        visit = repo.visit_of_document(session=session, team_id=team_id, content_hash=content_hash)
        if visit is not None:
            return visit, "document"
    if not facts.local_authority:
        return None
    for visit in repo.visits_of_authority(
        session=session, team_id=team_id, local_authority=facts.local_authority
    ):
        if is_report(facts):
            if _same_inspection(facts.visit_dates, visit):
                return visit, "report"
        elif (
            facts.letter_date is not None
            and visit.letter_date == facts.letter_date
            and visit.visit_type == facts.visit_type.value
        ):
            return visit, "letter"
    return None


def _same_inspection(days: tuple[date, ...], visit: Visit) -> bool:
    """A report's inspection dates fall within the visit's: without both, it cannot be told."""
    if not days or visit.visit_start is None:
        return False
    end = visit.visit_end or visit.visit_start
    return all(visit.visit_start <= day <= end for day in days)


@dataclass(frozen=True)
class ReportAttached:
    reference: str
    title: str


def attach_report(
    ctx: CoreContext,
    *,
    asker: Asker,
    tracked: TrackedLetter,
    facts: LetterFacts,
    filename: str | None,
    channel_id: str | None,
    thread_ts: str | None = None,
    content_hash: str | None = None,
) -> ReportAttached | None:
    """Keep a report with the visit it is about (`tracked_letter` found it): stored as a draft
    resolved into that visit, and audited on it; no new visit. None when this very share was
    attached already (the platform delivered it twice)."""
    now = ctx.now()
    with ctx.session() as session:
        draft = repo.save_letter_draft(
            session=session,
            facts=facts.to_json(),
            created_by=asker.user_id,
            now=now,
            filename=filename,
            channel_id=channel_id,
            thread_ts=thread_ts,
            team_id=asker.team_id,
            enterprise_id=asker.actor.workspace.enterprise_id,
            content_hash=content_hash,
        )
        if draft is None:
            return None
        repo.resolve_letter_draft(
            session=session,
            draft_id=draft.id or 0,
            status="created",
            actor_user_id=asker.user_id,
            now=now,
            visit_id=tracked.visit_id,
        )
        published = (
            f", published {facts.report_published.isoformat()}" if facts.report_published else ""
        )
        repo.append_audit_event(
            session=session,
            visit_id=tracked.visit_id,
            milestone_id=None,
            actor_user_id=asker.user_id,
            action="report_attached",
            now=now,
            note=f"{filename or 'a report'}{published}",
        )
        return ReportAttached(reference=tracked.reference, title=tracked.title)


def already_previewed(ctx: CoreContext, *, channel_id: str, message_ts: str) -> bool:
    """Whether a shared message's letter has its draft already (the event came again)."""
    with ctx.session() as session:
        return (
            repo.find_letter_draft_for_message(
                session=session, channel_id=channel_id, thread_ts=message_ts
            )
            is not None
        )


def record_preview(
    ctx: CoreContext, *, workspace: Workspace, draft_id: int, channel_id: str, message_id: str
) -> None:
    """Where the draft's preview was posted, so it can be settled when the draft is resolved."""
    with ctx.session() as session:
        stored = repo.get_letter_draft(
            session=session, draft_id=draft_id, team_id=workspace.team_id
        )
        if stored is not None:
            repo.set_letter_draft_preview(
                session=session, draft=stored, channel_id=channel_id, preview_ts=message_id
            )


@answers_refusals
def review_draft(ctx: CoreContext, *, asker: Asker, draft_id: int) -> DraftForReview:
    """A pending draft's facts, for a person to check and correct ("Edit dates")."""
    with ctx.session() as session:
        draft = repo.get_letter_draft(session=session, draft_id=draft_id, team_id=asker.team_id)
        if draft is None:
            raise UserError("I can't find that letter any more. Share it again.")
        if draft.status != "pending":
            raise UserError(already_resolved(draft))
        return DraftForReview(
            draft_id=draft.id or 0,
            facts=LetterFacts.from_json(draft.facts),
            channel_id=draft.channel_id,
        )


@answers_refusals
def dismiss_draft(
    ctx: CoreContext,
    *,
    asker: Asker,
    draft_id: int,
    clicked_preview: tuple[str | None, str | None] | None = None,
) -> DraftDismissed:
    """ "Dismiss" on a letter's preview: no visit is created."""
    with ctx.session() as session:
        draft = take_draft(
            session=session,
            draft_id=draft_id,
            asker=asker,
            status="dismissed",
            now=ctx.now(),
            taken=None,
        )
        preview = clicked_preview or (draft.preview_channel_id, draft.preview_ts)
        return DraftDismissed(dismissed_by=asker.user_id, preview=preview)
