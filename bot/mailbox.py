"""Assembling the mailbox watcher from settings: `ofsted-bot mailbox`, or a thread in `serve`.

MAILBOX_URL says which kind: imap:// or imaps:// (imapclient), graph:// (Microsoft Graph).
Previews go to MAILBOX_CHANNEL through the bot's own Slack token.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit

from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.app import reminder_defaults, web_client
from bot.settings import Settings
from handlers.core.access import Workspace
from handlers.core.context import system_clock
from handlers.core.mailbox import MailLetters
from handlers.slack.mailbox import SlackMailChannel
from scheduler.mailbox.imap import ImapAddress, ImapMailbox
from scheduler.mailbox.messages import parse_senders
from scheduler.mailbox.watcher import Mailbox, MailboxWatcher
from storage import mail as mail_store
from storage.db import session_scope

logger = logging.getLogger(__name__)


class MailboxSettingsError(ValueError):
    """The mailbox cannot be watched as configured; the message says which variable to set."""


def check_settings(settings: Settings) -> None:
    if not settings.mailbox_url:
        raise MailboxSettingsError(
            "MAILBOX_URL is not set: see README.md, 'Letters from a mailbox'"
        )
    if not settings.mailbox_channel:
        raise MailboxSettingsError("MAILBOX_CHANNEL is not set: the channel for mail previews")
    if not settings.slack_bot_token:
        raise MailboxSettingsError("SLACK_BOT_TOKEN is not set: previews are posted with it")
    scheme = urlsplit(settings.mailbox_url).scheme
    if scheme in ("imap", "imaps"):
        try:
            ImapAddress.from_url(settings.mailbox_url)
        except ValueError as error:
            raise MailboxSettingsError(f"MAILBOX_URL {error}") from None
        if not settings.mailbox_password:
            raise MailboxSettingsError("MAILBOX_PASSWORD is not set: the IMAP login needs it")
    elif scheme == "graph":
        if not (settings.microsoft_app_id and settings.microsoft_app_tenant_id):
            raise MailboxSettingsError(
                "a graph:// mailbox needs MICROSOFT_APP_ID and MICROSOFT_APP_TENANT_ID"
            )
        if not (settings.microsoft_app_password or settings.microsoft_app_certificate):
            raise MailboxSettingsError(
                "a graph:// mailbox needs MICROSOFT_APP_PASSWORD or MICROSOFT_APP_CERTIFICATE"
            )
    else:
        raise MailboxSettingsError(
            "MAILBOX_URL must start imaps://, imap:// or graph://, such as "
            "imaps://letters@mail.example.gov.uk/INBOX"
        )


def build_mailbox(settings: Settings, engine: Engine) -> Mailbox:
    check_settings(settings)
    url = settings.mailbox_url or ""
    parts = urlsplit(url)
    if parts.scheme == "graph":
        from scheduler.mailbox.graph import GraphMailbox, graph_credential

        address = unquote(parts.netloc + parts.path).strip("/")
        name = f"graph://{address}"

        def load_cursor() -> str | None:
            with session_scope(engine) as session:
                return mail_store.get_cursor(session=session, mailbox=name)

        def save_cursor(cursor: str) -> None:
            with session_scope(engine) as session:
                mail_store.set_cursor(session=session, mailbox=name, cursor=cursor)

        credential = graph_credential(
            tenant_id=settings.microsoft_app_tenant_id or "",
            client_id=settings.microsoft_app_id or "",
            secret=settings.microsoft_app_password,
            certificate_path=settings.microsoft_app_certificate,
            login_url=settings.microsoft_login_url,
            ca_file=settings.mailbox_ca_file,
        )
        verify: ssl.SSLContext | bool = True
        if settings.mailbox_ca_file:
            verify = ssl.create_default_context(cafile=settings.mailbox_ca_file)
        return GraphMailbox(
            address=address,
            credential=credential,
            done_folder=settings.mailbox_done_folder,
            load_cursor=load_cursor,
            save_cursor=save_cursor,
            graph_url=settings.microsoft_graph_url,
            verify=verify,
        )
    context = None
    if settings.mailbox_ca_file:
        context = ssl.create_default_context(cafile=settings.mailbox_ca_file)
    return ImapMailbox(
        address=ImapAddress.from_url(url),
        password=settings.mailbox_password or "",
        done_folder=settings.mailbox_done_folder,
        ssl_context=context,
    )


def bot_workspace(client: WebClient) -> Workspace:
    """The workspace the token belongs to: drafts from the mailbox are that workspace's."""
    identity = client.auth_test()
    return Workspace(
        team_id=str(identity["team_id"]), enterprise_id=identity.get("enterprise_id") or None
    )


def build_watcher(
    settings: Settings,
    engine: Engine,
    *,
    clock: Callable[[], datetime] = system_clock,
    mailbox: Mailbox | None = None,
) -> MailboxWatcher:
    mailbox = mailbox or build_mailbox(settings, engine)
    client = web_client(settings)
    calendar = reminder_defaults(settings).calendar
    letters = MailLetters(
        engine=engine,
        channel=SlackMailChannel(
            client=client, channel_id=settings.mailbox_channel or "", calendar=calendar, clock=clock
        ),
        workspace=bot_workspace(client),
        clock=clock,
        calendar=calendar,
    )
    return MailboxWatcher(
        mailbox=mailbox,
        engine=engine,
        handle=letters,
        report=letters.report_outage,
        clock=clock,
        senders=parse_senders(settings.mailbox_senders),
        interval=settings.mailbox_interval,
        lease=timedelta(seconds=settings.mailbox_lease),
        # One interval of silence is a hiccup; three are an outage worth a message.
        report_after=timedelta(seconds=3 * settings.mailbox_interval),
    )


def start_watching(settings: Settings, engine: Engine) -> tuple[threading.Thread, threading.Event]:
    """The watcher on a thread of its own (inside `serve`); set the event to stop it."""
    watcher = build_watcher(settings, engine)
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), name="mailbox", daemon=True)
    thread.start()
    logger.info("watching the mailbox %s every %s s", watcher.mailbox.name, watcher.interval)
    return thread, stop
