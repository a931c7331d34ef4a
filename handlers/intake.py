"""Letters arriving from Slack: fetching a shared file and reading it into facts.

Fetching is the only I/O here; reading is the same pure code the command line uses.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from handlers import blocks
from handlers.context import HandlerContext
from handlers.errors import UserError
from handlers.text import escape_mrkdwn
from scheduler.documents import MAX_DOCUMENT_BYTES, UnreadableDocument, document_text
from scheduler.letters import NotAnOfstedLetter, read_letter
from storage import repo

logger = logging.getLogger(__name__)

LETTER_FILETYPES = {"pdf", "docx", "text", "txt", "plain"}
DOWNLOAD_TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class SharedFile:
    id: str
    name: str
    filetype: str
    size: int
    url: str

    @classmethod
    def from_slack(cls, file: dict[str, Any]) -> SharedFile:
        return cls(
            id=file.get("id", ""),
            name=file.get("name") or file.get("title") or "letter",
            filetype=(file.get("filetype") or "").lower(),
            size=int(file.get("size") or 0),
            url=file.get("url_private_download") or file.get("url_private") or "",
        )

    @property
    def looks_like_a_letter(self) -> bool:
        return self.filetype in LETTER_FILETYPES or self.name.lower().endswith((".pdf", ".docx", ".txt"))


def facts_from_text(text: str) -> dict[str, Any]:
    """A pasted letter's facts, or a UserError that says what is wrong with it."""
    try:
        return read_letter(text).to_json()
    except NotAnOfstedLetter as error:
        raise UserError(
            f"That does not look like an Ofsted letter: {escape_mrkdwn(str(error))}. Paste the letter from its "
            "date line down, or attach the PDF or Word file Ofsted sent."
        ) from None


def facts_from_file(file: SharedFile, *, token: str | None) -> dict[str, Any]:
    """Download a shared file with the bot's token and read it."""
    if file.size > MAX_DOCUMENT_BYTES:
        raise UserError(f"{escape_mrkdwn(file.name)} is too large to be a letter ({file.size // 1_000_000} MB).")
    data = download(file.url, token=token)
    try:
        text = document_text(data, filename=file.name)
    except UnreadableDocument as error:
        raise UserError(f"I could not read {escape_mrkdwn(str(error))}.") from None
    try:
        return read_letter(text).to_json()
    except NotAnOfstedLetter as error:
        raise UserError(
            f"{escape_mrkdwn(file.name)} does not look like an Ofsted letter: {escape_mrkdwn(str(error))}."
        ) from None


def download(url: str, *, token: str | None) -> bytes:
    if not url:
        raise UserError("Slack did not give me a way to download that file. Please share it again.")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token or ''}"})
    try:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:
            data: bytes = response.read(MAX_DOCUMENT_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        logger.warning("could not download %s: %s", url, error)
        raise UserError("I could not download that file from Slack. Please try sharing it again.") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise UserError("That file is too large to be a letter.")
    return data


def save_and_preview(
    *,
    ctx: HandlerContext,
    client: WebClient,
    facts: dict[str, Any],
    created_by: str,
    filename: str | None,
    visit_channel_id: str | None,
    preview_channel_id: str,
    thread_ts: str | None = None,
) -> None:
    """Keep the letter's facts as a draft and show them, with Create / Edit dates / Dismiss.

    Nothing becomes a visit until a person confirms. A draft already made for the same shared
    message (Slack delivered the event twice) is not previewed again.
    """
    with ctx.session() as session:
        draft = repo.save_letter_draft(
            session=session, facts=facts, created_by=created_by, now=ctx.now(), filename=filename,
            channel_id=visit_channel_id, thread_ts=thread_ts,
        )
        if draft is None:
            return
        draft_id = draft.id or 0
        preview = blocks.letter_preview_blocks(facts=facts, draft_id=draft_id, today=ctx.today(), calendar=ctx.calendar)
    posted = client.chat_postMessage(
        channel=preview_channel_id,
        thread_ts=thread_ts,
        text=f"I read {escape_mrkdwn(filename or 'the letter')}: please check its dates.",
        blocks=preview,
    )
    with ctx.session() as session:
        stored = repo.get_letter_draft(session=session, draft_id=draft_id)
        if stored is not None:
            repo.set_letter_draft_preview(
                session=session, draft=stored, channel_id=str(posted["channel"]), preview_ts=str(posted["ts"])
            )
