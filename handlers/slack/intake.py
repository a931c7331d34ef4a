"""Letters arriving from Slack: fetching a shared file, reading it (handlers.core.letters) and
showing what was read as a preview with Create / Edit dates / Dismiss.

The bot's token goes only where Settings.file_origins say Slack keeps files: every URL, a
redirect's too, is checked before the request is made, and no other scheme, host or port is
opened. One deadline covers the whole download, and the body is cut off at the size limit as it
arrives. Failures are logged with the host, never the URL (a file URL names the team and file).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3
from slack_sdk import WebClient

from handlers.core.access import Workspace
from handlers.core.errors import UserError
from handlers.core.letters import (
    attach_report,
    document_hash,
    facts_from_document,
    record_preview,
    save_draft,
    tracked_letter,
)
from handlers.core.people import Asker
from handlers.core.text import escape_mrkdwn
from handlers.slack import blocks
from handlers.slack.context import HandlerContext
from scheduler.documents import MAX_DOCUMENT_BYTES
from scheduler.letters import LetterFacts

logger = logging.getLogger(__name__)

LETTER_FILETYPES = {"pdf", "docx", "text", "txt", "plain"}
DOWNLOAD_SECONDS = 20
# Slack serves a file from the URL it names; a redirect within its own hosts is followed.
MAX_REDIRECTS = 3
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK_BYTES = 64 * 1024

Origin = tuple[str, str, int]


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
        return self.filetype in LETTER_FILETYPES or self.name.lower().endswith(
            (".pdf", ".docx", ".txt")
        )


def facts_from_file(
    file: SharedFile, *, token: str | None, origins: tuple[str, ...]
) -> LetterFacts:
    """Download a shared file with the bot's token (from Slack's hosts only) and read it."""
    return read_shared_file(file, token=token, origins=origins)[0]


def read_shared_file(
    file: SharedFile, *, token: str | None, origins: tuple[str, ...]
) -> tuple[LetterFacts, str]:
    """A shared file's facts and its content hash (the same document shared again is known)."""
    if file.size > MAX_DOCUMENT_BYTES:
        raise UserError(
            f"{escape_mrkdwn(file.name)} is too large to be a letter ({file.size // 1_000_000} MB)."
        )
    data = download(file.url, token=token, origins=origins, filename=escape_mrkdwn(file.name))
    return facts_from_document(data, filename=file.name), document_hash(data)


def download(
    url: str,
    *,
    token: str | None,
    origins: tuple[str, ...],
    filename: str = "that file",
    seconds: float = DOWNLOAD_SECONDS,
    limit: int = MAX_DOCUMENT_BYTES,
) -> bytes:
    """A shared file's bytes, fetched with the token from one of `origins` only."""
    if not url:
        raise UserError("Slack did not give me a way to download that file. Please share it again.")
    deadline = time.monotonic() + seconds
    allowed = {origin for origin in map(file_origin, origins) if origin is not None}
    headers = {"Accept-Encoding": "identity"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    with urllib3.PoolManager(retries=False) as pool:
        for _ in range(MAX_REDIRECTS + 1):
            host = urlsplit(url).hostname or f"a {urlsplit(url).scheme or 'relative'} URL"
            if file_origin(url) not in allowed:
                logger.warning("did not download a file from %s: not a Slack file host", host)
                raise UserError(
                    f"I did not fetch {filename}: it is not on Slack's own file servers. "
                    "Please share the letter as a file in Slack."
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _too_slow(filename, seconds=seconds, host=host)
            try:
                response = pool.request(
                    "GET",
                    url,
                    headers=headers,
                    preload_content=False,
                    redirect=False,
                    timeout=urllib3.Timeout(connect=remaining, read=remaining),
                )
            except (urllib3.exceptions.HTTPError, OSError) as error:
                if time.monotonic() >= deadline:
                    raise _too_slow(filename, seconds=seconds, host=host) from None
                raise _failed(filename, host=host, reason=type(error).__name__) from None
            try:
                if response.status in _REDIRECT_STATUSES and response.headers.get("Location"):
                    url = urljoin(url, response.headers["Location"])
                    continue
                if response.status != 200:
                    raise _failed(filename, host=host, reason=f"HTTP {response.status}")
                return _body(
                    response,
                    deadline=deadline,
                    limit=limit,
                    filename=filename,
                    seconds=seconds,
                    host=host,
                )
            finally:
                # Closed, not kept: an unread body (a redirect's) must not meet the next request.
                response.close()
                response.release_conn()
    raise _failed(filename, host=host, reason="too many redirects")


def file_origin(url: str) -> Origin | None:
    """(scheme, host, port) of a URL the token may go to: https, or http on this machine only."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
        return None
    host = parts.hostname.lower()
    if scheme == "http" and not _is_loopback(host):
        return None
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        return None
    return scheme, host, port


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _body(
    response: urllib3.BaseHTTPResponse,
    *,
    deadline: float,
    limit: int,
    filename: str,
    seconds: float,
    host: str,
) -> bytes:
    """The response body as it arrives, stopped at `limit` bytes or at the deadline."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(filename, limit=limit, host=host)
    if response.headers.get("Content-Encoding", "identity").lower() not in ("", "identity"):
        raise _failed(filename, host=host, reason="an encoded body")
    # A read that is waiting when the deadline comes is ended by shutting the socket.
    watchdog = threading.Timer(max(deadline - time.monotonic(), 0), _shut, args=(response,))
    watchdog.daemon = True
    watchdog.start()
    body = bytearray()
    try:
        while chunk := response.read1(_CHUNK_BYTES, decode_content=False):
            body += chunk
            if len(body) > limit:
                raise _too_large(filename, limit=limit, host=host)
            if time.monotonic() >= deadline:
                raise _too_slow(filename, seconds=seconds, host=host)
    except (urllib3.exceptions.HTTPError, OSError) as error:
        if time.monotonic() >= deadline:
            raise _too_slow(filename, seconds=seconds, host=host) from None
        raise _failed(filename, host=host, reason=type(error).__name__) from None
    finally:
        watchdog.cancel()
    if time.monotonic() >= deadline:
        raise _too_slow(filename, seconds=seconds, host=host)
    return bytes(body)


def _shut(response: urllib3.BaseHTTPResponse) -> None:
    with contextlib.suppress(ValueError, RuntimeError, OSError):  # already finished
        response.shutdown()


def _failed(filename: str, *, host: str, reason: str) -> UserError:
    logger.warning("could not download a shared file from %s: %s", host, reason)
    return UserError(f"I could not download {filename} from Slack. Please try sharing it again.")


def _too_slow(filename: str, *, seconds: float, host: str) -> UserError:
    logger.warning("downloading a shared file from %s took more than %s s", host, seconds)
    return UserError(
        f"Slack took more than {seconds:g} seconds to send me {filename}. "
        "Please try sharing it again."
    )


def _too_large(filename: str, *, limit: int, host: str) -> UserError:
    logger.warning("a shared file from %s is over %s bytes: download stopped", host, limit)
    return UserError(
        f"{filename} is more than {limit // (1024 * 1024)} MB, too large to be a letter. "
        "Please share the letter itself."
    )


def save_and_preview(
    *,
    ctx: HandlerContext,
    client: WebClient,
    facts: LetterFacts,
    created_by: str,
    filename: str | None,
    visit_channel_id: str | None,
    preview_channel_id: str,
    workspace: Workspace,
    thread_ts: str | None = None,
    asker: Asker | None = None,
    content_hash: str | None = None,
) -> None:
    """Keep the letter's facts as a draft and show them, with Create / Edit dates / Dismiss.

    Nothing becomes a visit until a person confirms. A draft already made for the same shared
    message (Slack delivered the event twice) is not previewed again. A letter already tracked
    (`asker` given: as they may see it) says so instead, with "Open it" and "Track it anyway";
    a report of a visit already tracked is kept with that visit.
    """
    tracked = (
        tracked_letter(ctx, asker=asker, facts=facts, content_hash=content_hash)
        if asker is not None
        else None
    )
    if asker is not None and tracked is not None and tracked.report:
        attached = attach_report(
            ctx,
            asker=asker,
            tracked=tracked,
            facts=facts,
            filename=filename,
            channel_id=visit_channel_id,
            thread_ts=thread_ts,
            content_hash=content_hash,
        )
        if attached is not None:
            client.chat_postMessage(
                channel=preview_channel_id,
                thread_ts=thread_ts,
                text=f"Kept with `{attached.reference}`: it is that visit's report.",
                blocks=blocks.report_attached_blocks(attached=attached, filename=filename),
            )
        return
    saved = save_draft(
        ctx,
        workspace=workspace,
        facts=facts,
        created_by=created_by,
        filename=filename,
        visit_channel_id=visit_channel_id,
        thread_ts=thread_ts,
        content_hash=content_hash,
    )
    if saved is None:
        return
    if tracked is not None:
        shown = blocks.already_tracked_blocks(tracked=tracked, draft_id=saved.draft_id)
        text = f"This letter is already tracked as `{tracked.reference}`."
    else:
        shown = blocks.letter_preview_blocks(
            facts=facts, draft_id=saved.draft_id, today=ctx.today(), calendar=ctx.calendar
        )
        text = f"I read {escape_mrkdwn(filename or 'the letter')}: please check its dates."
    posted = client.chat_postMessage(
        channel=preview_channel_id, thread_ts=thread_ts, text=text, blocks=shown
    )
    record_preview(
        ctx,
        workspace=workspace,
        draft_id=saved.draft_id,
        channel_id=str(posted["channel"]),
        message_id=str(posted["ts"]),
    )
