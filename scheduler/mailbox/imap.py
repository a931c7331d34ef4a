"""An IMAP mailbox through imapclient: new mail in the watched folder, read, then moved.

Nothing is deleted or flagged \\Deleted: a message handled is MOVEd to the done folder (created
when missing); a server without MOVE gets a COPY, and the original is left where it was (the
database remembers it was handled). Bodies are fetched with BODY.PEEK, so \\Seen is not set on a
message the bot only looked at.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from imapclient import IMAPClient  # type: ignore[import-untyped]
from imapclient.exceptions import IMAPClientError  # type: ignore[import-untyped]

from scheduler.mailbox import MailboxUnavailable
from scheduler.mailbox.messages import Envelope, envelope_from_headers

logger = logging.getLogger(__name__)

CONNECT_SECONDS = 30.0
_HEADERS = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID FROM SUBJECT DATE)]"
_HEADERS_KEY = b"BODY[HEADER.FIELDS (MESSAGE-ID FROM SUBJECT DATE)]"
# The server ends an IDLE after 30 minutes at most (RFC 2177): re-issue it well before.
IDLE_SECONDS_AT_MOST = 25 * 60


@dataclass(frozen=True)
class ImapAddress:
    host: str
    port: int
    user: str
    folder: str
    tls: bool

    @classmethod
    def from_url(cls, url: str) -> ImapAddress:
        """imaps://user@host[:port]/FOLDER (TLS), or imap://... for a server on this network."""
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
            raise ValueError("must look like imaps://user@host/INBOX")
        tls = parts.scheme == "imaps"
        return cls(
            host=parts.hostname,
            port=parts.port or (993 if tls else 143),
            user=unquote(parts.username),
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
            tls=tls,
        )

    @property
    def name(self) -> str:
        """The mailbox's name in the database and the logs: no password in it."""
        scheme = "imaps" if self.tls else "imap"
        return f"{scheme}://{self.user}@{self.host}:{self.port}/{self.folder}"


class ImapMailbox:
    """One connection to one folder; every failure of the server is a MailboxUnavailable."""

    def __init__(
        self,
        *,
        address: ImapAddress,
        password: str,
        done_folder: str,
        ssl_context: ssl.SSLContext | None = None,
        use_idle: bool = True,
    ) -> None:
        self.address = address
        self.name = address.name
        self._password = password
        self._done_folder = done_folder
        self._ssl_context = ssl_context
        self._use_idle = use_idle
        self._client: Any = None
        self._uidvalidity = 0
        # Whether a handled message leaves the folder (MOVE), or a copy stays behind.
        self.moves = True

    def connect(self) -> None:
        if self._client is not None:
            return
        try:
            client = IMAPClient(
                self.address.host,
                port=self.address.port,
                ssl=self.address.tls,
                ssl_context=self._ssl_context,
                timeout=CONNECT_SECONDS,
            )
            # Aware datetimes for INTERNALDATE: the received time shown in the channel.
            client.normalise_times = False
            client.login(self.address.user, self._password)
            selected = client.select_folder(self.address.folder)
            if not client.folder_exists(self._done_folder):
                client.create_folder(self._done_folder)
        except (IMAPClientError, OSError) as error:
            raise MailboxUnavailable(_reason(error)) from None
        self._uidvalidity = int(selected.get(b"UIDVALIDITY", 0))
        self.moves = bool(client.has_capability("MOVE"))
        self._client = client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except (IMAPClientError, OSError):
            with contextlib.suppress(IMAPClientError, OSError):
                client.shutdown()

    def new_messages(self) -> Iterator[Envelope]:
        """Every message in the folder, oldest first: what was handled has been moved away."""
        client = self._connected()
        try:
            uids = sorted(client.search("ALL"))
        except (IMAPClientError, OSError) as error:
            raise MailboxUnavailable(_reason(error)) from None
        yield from self._envelopes(uids)

    def envelope(self, location: str) -> Envelope | None:
        """The message found at `location` earlier, if it is still in the folder."""
        uid = self._uid(location)
        return None if uid is None else next(iter(self._envelopes([uid])), None)

    def _envelopes(self, uids: list[int]) -> list[Envelope]:
        if not uids:
            return []
        try:
            fetched = self._connected().fetch(uids, ["INTERNALDATE", "RFC822.SIZE", _HEADERS])
        except (IMAPClientError, OSError) as error:
            raise MailboxUnavailable(_reason(error)) from None
        found = []
        for uid in uids:
            data = fetched.get(uid)
            if data is None:
                continue  # moved away between SEARCH and FETCH
            found.append(
                envelope_from_headers(
                    data.get(_HEADERS_KEY) or b"",
                    location=f"{self._uidvalidity}:{uid}",
                    received_at=_aware(data.get(b"INTERNALDATE")),
                    size=int(data.get(b"RFC822.SIZE") or 0),
                )
            )
        return found

    def fetch(self, location: str) -> bytes | None:
        """The whole message, or None when it is no longer in the folder."""
        uid = self._uid(location)
        if uid is None:
            return None
        client = self._connected()
        try:
            data = client.fetch([uid], ["BODY.PEEK[]"]).get(uid)
        except (IMAPClientError, OSError) as error:
            raise MailboxUnavailable(_reason(error)) from None
        body = None if data is None else data.get(b"BODY[]")
        return body if isinstance(body, bytes) else None

    def settle(self, location: str) -> None:
        """Move the message to the done folder."""
        uid = self._uid(location)
        if uid is None:
            return
        client = self._connected()
        try:
            if self.moves:
                client.move([uid], self._done_folder)
            else:
                client.copy([uid], self._done_folder)
        except (IMAPClientError, OSError) as error:
            raise MailboxUnavailable(_reason(error)) from None

    def wait(self, seconds: float, stop: threading.Event) -> None:
        """Until new mail may have come: IDLE where the server offers it, else `seconds`."""
        client = self._connected()
        if not (self._use_idle and client.has_capability("IDLE")):
            stop.wait(seconds)
            return
        # Woken by the server's EXISTS as mail arrives; checked every second for `stop`. Mail
        # that came during the last read was announced in the answer to another command, which
        # the client does not hand back; NOOP asks for what is pending before IDLE begins.
        deadline = time.monotonic() + min(seconds, IDLE_SECONDS_AT_MOST)
        try:
            if _announces_mail(client.noop()[1]):
                return
            client.idle()
            try:
                while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
                    if _announces_mail(client.idle_check(timeout=min(1.0, left))):
                        break
            finally:
                client.idle_done()
        except (IMAPClientError, OSError) as error:
            raise MailboxUnavailable(_reason(error)) from None

    def _connected(self) -> Any:
        if self._client is None:
            raise MailboxUnavailable("not connected")
        return self._client

    def _uid(self, location: str) -> int | None:
        validity, _, uid = location.partition(":")
        # A UID means nothing once the folder's UIDVALIDITY has changed.
        if not uid.isdigit() or validity != str(self._uidvalidity):
            return None
        return int(uid)


def _announces_mail(responses: list[Any]) -> bool:
    return any(isinstance(r, tuple) and len(r) > 1 and r[1] == b"EXISTS" for r in responses)


def _aware(moment: object) -> datetime | None:
    if not isinstance(moment, datetime):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _reason(error: BaseException) -> str:
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
