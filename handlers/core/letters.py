"""Letters: read into typed facts, kept as a draft until a person creates a visit or dismisses it.

Reading is the same code the command line uses (scheduler.letters), a document's text in a child
process with memory and time limits (scheduler.sandbox). The facts stay `LetterFacts` from the
reader to the draft's row and back: the row keeps their `to_json` form, read back in one place
(`LetterFacts.from_json`). Creating a visit from a draft is in handlers.core.visits.
"""

from __future__ import annotations

import re

from handlers.core.access import Workspace
from handlers.core.context import CoreContext
from handlers.core.errors import UserError
from handlers.core.people import Asker
from handlers.core.results import DraftDismissed, DraftForReview, DraftSaved
from handlers.core.text import escape_mrkdwn
from handlers.core.visits import already_resolved, answers_refusals, take_draft
from scheduler.documents import UnreadableDocument
from scheduler.letters import LetterFacts, NotAnOfstedLetter, read_letter
from scheduler.sandbox import read_document_bounded
from storage import repo


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
        )
        if draft is None:
            return None
        return DraftSaved(draft_id=draft.id or 0, facts=facts)


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
