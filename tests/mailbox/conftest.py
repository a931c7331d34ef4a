"""A real IMAP server (Dovecot, started by .ci/run or .ci/dovecot.sh), the Slack stand-in, and
the mailbox watcher as `ofsted-bot mailbox` builds it.

The IMAP tests are skipped when no server answers at TEST_IMAP_URL (default
imap://ofsted@127.0.0.1:10143, password TEST_IMAP_PASSWORD), unless OFSTED_REQUIRE_IMAP=1 (as in
CI), when they fail instead. Each test gets folders of its own, so tests never see each other's
mail; mail is delivered by IMAP APPEND, as a mail server's delivery agent would file it.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from imapclient import IMAPClient
from sqlmodel import Session, select

from bot.mailbox import build_watcher
from bot.settings import Settings
from scheduler.mailbox.imap import ImapAddress, ImapMailbox
from scheduler.mailbox.watcher import MailboxWatcher
from storage.mail import MailMessage
from tests.factories import pdf_from_text
from tests.handlers import conftest as handler_fixtures
from tests.handlers.conftest import CHANNEL, SIGNING_SECRET, all_text

# The bot over HTTP, its database and clock, and the Slack stand-in: the handlers' fixtures.
bot = handler_fixtures.bot
bot_engine = handler_fixtures.bot_engine
clock = handler_fixtures.clock
slack = handler_fixtures.slack

DEFAULT_IMAP_URL = "imap://ofsted@127.0.0.1:10143"
DEFAULT_IMAP_PASSWORD = "mailbox-test-password"
OFSTED = "ProtectionOfChildren@ofsted.gov.uk"
EXAMPLES = Path(__file__).resolve().parents[2] / "bot" / "examples"
EXAMPLE = (EXAMPLES / "focused-visit-final-report-cover.txt").read_text()
REPORT = """Saxonford: focused visit to children's services

Inspection of local authority children's services: the findings in full.
Inspectors looked at the experiences of children in need of help and protection.
Annex: the records sampled during the visit.
"""


@dataclass(frozen=True)
class ImapServer:
    host: str
    port: int
    user: str
    password: str

    def client(self) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client


@pytest.fixture(scope="session")
def imap_server() -> ImapServer:
    url = urlsplit(os.environ.get("TEST_IMAP_URL") or DEFAULT_IMAP_URL)
    server = ImapServer(
        host=url.hostname or "127.0.0.1",
        port=url.port or 143,
        user=url.username or "ofsted",
        password=os.environ.get("TEST_IMAP_PASSWORD") or DEFAULT_IMAP_PASSWORD,
    )
    try:
        server.client().logout()
    except Exception as error:
        reason = f"no IMAP server at {server.host}:{server.port} ({type(error).__name__}: {error})"
        if os.environ.get("OFSTED_REQUIRE_IMAP") == "1":
            pytest.fail(f"{reason} (OFSTED_REQUIRE_IMAP=1)", pytrace=False)
        pytest.skip(f"{reason}; run .ci/dovecot.sh, or set OFSTED_REQUIRE_IMAP=1 to fail instead")
    return server


@dataclass
class Folders:
    """The watched folder and the done folder of one test, on the real server."""

    server: ImapServer
    inbox: str
    done: str

    @property
    def url(self) -> str:
        return f"imap://{self.server.user}@{self.server.host}:{self.server.port}/{self.inbox}"

    def deliver(self, message: EmailMessage | bytes) -> None:
        raw = message if isinstance(message, bytes) else message.as_bytes()
        client = self.server.client()
        try:
            client.append(self.inbox, raw)
        finally:
            client.logout()

    def count(self, folder: str) -> int:
        client = self.server.client()
        try:
            if not client.folder_exists(folder):
                return 0
            return int(client.folder_status(folder, ["MESSAGES"])[b"MESSAGES"])
        finally:
            client.logout()

    def deleted_flags(self) -> int:
        """Messages flagged \\Deleted anywhere in this test's folders: must stay 0."""
        client = self.server.client()
        try:
            total = 0
            for folder in (self.inbox, self.done):
                if client.folder_exists(folder):
                    client.select_folder(folder, readonly=True)
                    total += len(client.search(["DELETED"]))
            return total
        finally:
            client.logout()


@pytest.fixture
def folders(imap_server: ImapServer) -> Iterator[Folders]:
    name = f"t{secrets.token_hex(4)}"
    client = imap_server.client()
    client.create_folder(name)
    client.logout()
    found = Folders(server=imap_server, inbox=name, done=f"{name}done")
    yield found
    client = imap_server.client()
    for folder in (found.inbox, found.done):
        if client.folder_exists(folder):
            client.delete_folder(folder)  # the test's own folders: the bot never deletes
    client.logout()


def letter_mail(
    *,
    sender: str = OFSTED,
    subject: str = "Saxonford focused visit: final report",
    attachments: tuple[tuple[str, bytes], ...] | None = None,
    body: str = "Please find attached the letter about the recent focused visit.",
    message_id: str | None = None,
) -> EmailMessage:
    """A mail as Ofsted sends it: a short note, the letter as a PDF attachment."""
    message = EmailMessage()
    message["From"] = f"Ofsted <{sender}>"
    message["To"] = "letters@saxonford.example.gov.uk"
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id or make_msgid(domain="ofsted.gov.uk")
    message.set_content(body)
    if attachments is None:
        attachments = (("Saxonford focused visit letter.pdf", pdf_from_text(EXAMPLE)),)
    for filename, data in attachments:
        pdf = filename.endswith(".pdf")
        maintype, subtype = ("application", "pdf") if pdf else ("text", "plain")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def mailbox_settings(standin: Any, folders: Folders, database_url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": standin.token,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": standin.api_url,
        "database_url": database_url,
        "mailbox_url": folders.url,
        "mailbox_password": folders.server.password,
        "mailbox_channel": CHANNEL,
        "mailbox_done_folder": folders.done,
        "mailbox_interval": 10.0,
        "mailbox_lease": 2.0,
    }
    values.update(extra)
    return Settings(**values)


def settings_environment(settings: Settings) -> dict[str, str]:
    """The environment `ofsted-bot mailbox` reads these settings from."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("MAILBOX_")
    }
    for name, value in settings.model_dump().items():
        if value is not None and name.startswith(("slack_", "database_", "mailbox_")):
            environment[name.upper()] = str(value)
    return environment


# The mailed letters are dated Tuesday 28 April 2026: the watcher's clock starts the next
# morning (09:00 London) and runs on, so leases and back-off still see time pass, while the
# letters' dates stay ahead of it whenever the tests run (past them, a preview would offer
# "Track as a record").
DAY_AFTER_THE_LETTERS = datetime(2026, 4, 29, 8, 0, tzinfo=UTC)


def running_from(start: datetime) -> Callable[[], datetime]:
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


@dataclass
class Watching:
    watcher: MailboxWatcher
    stop: threading.Event
    thread: threading.Thread


@pytest.fixture
def watch(slack: Any, folders: Folders, bot_engine: Any) -> Iterator[Any]:
    """Start the watcher (as `ofsted-bot mailbox` builds it) on a thread; stopped at the end."""
    started: list[Watching] = []

    def start(*, idle: bool = True, **extra: Any) -> Watching:
        settings = mailbox_settings(slack, folders, str(bot_engine.url), **extra)
        mailbox = None
        if not idle:  # a server that does not offer IDLE: read every interval
            mailbox = ImapMailbox(
                address=ImapAddress.from_url(settings.mailbox_url or ""),
                password=folders.server.password, done_folder=folders.done, use_idle=False,
            )
        watcher = build_watcher(
            settings, bot_engine, clock=running_from(DAY_AFTER_THE_LETTERS), mailbox=mailbox
        )
        stop = threading.Event()
        thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
        thread.start()
        started.append(Watching(watcher, stop, thread))
        return started[-1]

    yield start
    for watching in started:
        watching.stop.set()
    for watching in started:
        watching.thread.join(timeout=30)


def _from_mail(message: dict[str, Any]) -> bool:
    return any(
        str(block.get("block_id", "")).startswith("mail_") for block in message.get("blocks") or []
    )


def mail_posts(standin: Any, channel: str = CHANNEL) -> list[dict[str, Any]]:
    """What the mailbox posted in the channel: messages whose first line names a mail."""
    return [message for message in standin.messages(channel) if _from_mail(message)]


def previews(standin: Any) -> list[dict[str, Any]]:
    return [m for m in mail_posts(standin) if "Letter read" in all_text(m["blocks"])]


def mail_rows(engine: Any) -> list[MailMessage]:
    with Session(engine) as session:
        return list(session.exec(select(MailMessage).order_by(MailMessage.id)))


def buttons(message: dict[str, Any]) -> list[str]:
    return [
        element["text"]["text"]
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
