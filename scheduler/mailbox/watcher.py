"""The mechanism that watches one mailbox: read what is new, hand each message over once.

Each message is claimed in the database by its Message-ID before it is handed to `handle`
(which posts its preview) and marked done after; only then is it moved out of the folder. A
process killed in between leaves a claim whose lease runs out, and whoever reads the mailbox
next finishes the message. A mailbox that does not answer is retried with back-off, and the
outage reported once (`report`), whichever of several processes sees it first.

It knows no chat platform: `handle` and `report` are handed in.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.engine import Engine

from scheduler.mailbox import MailboxUnavailable
from scheduler.mailbox.messages import Envelope, Mail, parse_mail, sender_allowed
from storage import mail as mail_store
from storage.db import session_scope

logger = logging.getLogger(__name__)

# A message bigger than this is not downloaded: a letter and its report are a few MB.
MAX_MAIL_BYTES = 60 * 1024 * 1024
BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MOST_SECONDS = 300.0


class Mailbox(Protocol):
    name: str
    # False when a handled message stays in the folder (a copy went to the done folder).
    moves: bool

    def connect(self) -> None: ...
    def close(self) -> None: ...
    def new_messages(self) -> Iterator[Envelope]: ...
    def envelope(self, location: str) -> Envelope | None: ...
    def fetch(self, location: str) -> bytes | None: ...
    def settle(self, location: str) -> None: ...
    def wait(self, seconds: float, stop: threading.Event) -> None: ...


class MailHandler(Protocol):
    def __call__(self, *, row_id: int, envelope: Envelope, mail: Mail | None) -> str:
        """Post the message's preview or answer (once, even when called again); the outcome.

        `mail` is None when the message was too large to download.
        """
        ...


class OutageReport(Protocol):
    def __call__(self, *, mailbox: str, reason: str | None) -> None:
        """Say once that the mailbox stopped answering (`reason`), or answers again (None)."""
        ...


def next_backoff(previous: float) -> float:
    """1, 2, 4 ... seconds, at most five minutes."""
    return min(max(previous * 2, BACKOFF_FIRST_SECONDS), BACKOFF_MOST_SECONDS)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class MailboxWatcher:
    def __init__(
        self,
        *,
        mailbox: Mailbox,
        engine: Engine,
        handle: MailHandler,
        report: OutageReport,
        clock: Callable[[], datetime],
        senders: tuple[str, ...],
        interval: float,
        lease: timedelta = timedelta(minutes=2),
        report_after: timedelta = timedelta(0),
    ) -> None:
        self.mailbox = mailbox
        self.engine = engine
        self.handle = handle
        self.report = report
        self.clock = clock
        self.senders = senders
        self.interval = interval
        self.lease = lease
        self.report_after = report_after
        self.worker = worker_name()
        # Messages this process has finished with and that stay in the folder (senders left
        # alone; a copy left behind by a server without MOVE): not looked at again.
        self._passed: set[str] = set()

    def run(self, stop: threading.Event) -> None:
        """Read, wait for new mail, read again, until `stop` is set."""
        delay = 0.0
        while not stop.is_set():
            try:
                self.mailbox.connect()
                handed = self.read_once()
                delay = 0.0
                if not handed:  # after a round with work, look again at once: more may be there
                    self.mailbox.wait(self.interval, stop)
            except MailboxUnavailable as error:
                self.mailbox.close()
                self._failed(str(error))
                delay = next_backoff(delay)
                logger.warning(
                    "mailbox %s: %s; trying again in %g s", self.mailbox.name, error, delay
                )
                stop.wait(delay)
        self.mailbox.close()

    def read_once(self) -> int:
        """Hand over every new message; how many were handed over."""
        handed = 0
        for envelope in self.mailbox.new_messages():
            if envelope.location in self._passed:
                continue
            if self._take(envelope):
                handed += 1
        handed += self._recover_stale()
        self._read()
        return handed

    def _take(self, envelope: Envelope) -> bool:
        now = self.clock()
        arrival = mail_store.Arrival(
            mailbox=self.mailbox.name, message_id=envelope.message_id, uid=envelope.location,
            sender=envelope.sender, subject=envelope.subject, received_at=envelope.received_at,
        )
        if not sender_allowed(envelope.sender, self.senders):
            with session_scope(self.engine) as session:
                new = mail_store.record_ignored(session=session, arrival=arrival, now=now)
            if new:
                logger.info(
                    "mailbox %s: mail from %s is not from an allowed sender: left alone",
                    self.mailbox.name, envelope.sender or "no sender",
                )
            self._passed.add(envelope.location)
            return False
        with session_scope(self.engine) as session:
            row = mail_store.claim_message(
                session=session, arrival=arrival, worker=self.worker, now=now, lease=self.lease
            )
            row_id = None if row is None else row.id
            settled = row is None and mail_store.is_settled(
                session=session, mailbox=self.mailbox.name, message_id=envelope.message_id
            )
        if row_id is None:
            if settled:  # done before (the same Message-ID delivered again, or not yet moved)
                self._settle(envelope.location)
            return False
        return self._hand_over(row_id, envelope)

    def _hand_over(self, row_id: int, envelope: Envelope) -> bool:
        mail: Mail | None = None
        if envelope.size <= MAX_MAIL_BYTES:
            raw = self.mailbox.fetch(envelope.location)
            if raw is None:
                return False  # gone from the folder: whoever moved it finished it
            mail = parse_mail(raw, envelope=envelope)
        try:
            outcome = self.handle(row_id=row_id, envelope=envelope, mail=mail)
        except Exception:
            # Kept claimed: this process tries again on its next read, another once the lease
            # has run out.
            logger.exception("mailbox %s: could not post a message's preview", self.mailbox.name)
            return False
        with session_scope(self.engine) as session:
            finished = mail_store.finish_message(
                session=session,
                row_id=row_id,
                worker=self.worker,
                outcome=outcome,
                now=self.clock(),
            )
        if not finished:
            logger.warning("mailbox %s: another process took a message over", self.mailbox.name)
        self._settle(envelope.location)
        return True

    def _recover_stale(self) -> int:
        """Messages claimed by a process that died, when the folder's listing did not show them
        again (a Graph delta moves on): fetched by where they were found."""
        with session_scope(self.engine) as session:
            stale = [
                (row.id, row.uid)
                for row in mail_store.stale_claims(
                    session=session, mailbox=self.mailbox.name, now=self.clock()
                )
                if row.id is not None and row.uid
            ]
        recovered = 0
        for _row_id, location in stale:
            envelope = self.mailbox.envelope(location)
            if envelope is not None:
                recovered += int(self._take(envelope))
        return recovered

    def _settle(self, location: str) -> None:
        self.mailbox.settle(location)
        if not self.mailbox.moves:
            self._passed.add(location)

    def _read(self) -> None:
        with session_scope(self.engine) as session:
            recovered = mail_store.note_read(
                session=session, mailbox=self.mailbox.name, now=self.clock()
            )
        if recovered:
            self.report(mailbox=self.mailbox.name, reason=None)

    def _failed(self, reason: str) -> None:
        try:
            with session_scope(self.engine) as session:
                first = mail_store.note_failure(
                    session=session,
                    mailbox=self.mailbox.name,
                    now=self.clock(),
                    report_after=self.report_after,
                )
        except Exception:
            logger.exception("mailbox %s: could not record the outage", self.mailbox.name)
            return
        if first:
            try:
                self.report(mailbox=self.mailbox.name, reason=reason)
            except Exception:
                logger.exception("mailbox %s: could not report the outage", self.mailbox.name)
