"""A Microsoft 365 mailbox through Microsoft Graph (msgraph-sdk): delta queries, not re-reading.

The inbox is read with a delta query; its delta link, kept in the database, makes the next read
ask only for what arrived since, across restarts (mail that came while the bot was down is in the
first delta after it starts). Each message's MIME content ($value) is read by the same parser
as IMAP mail; handled messages are moved to the done folder (created when missing). Nothing is
deleted. The app signs in with client credentials (a secret or a certificate, azure-identity)
and needs the Mail.ReadWrite application permission, ideally limited to this one mailbox with an
application access policy.

The SDK is asynchronous; this adapter runs it on an event loop of its own, so the watcher stays
one plain thread like the IMAP one.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError
from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph.generated.models.mail_folder import MailFolder
from msgraph.generated.models.message import Message
from msgraph.generated.users.item.mail_folders.item.messages.delta.delta_request_builder import (
    DeltaRequestBuilder,
)
from msgraph.generated.users.item.mail_folders.mail_folders_request_builder import (
    MailFoldersRequestBuilder,
)
from msgraph.generated.users.item.messages.item.message_item_request_builder import (
    MessageItemRequestBuilder,
)
from msgraph.generated.users.item.messages.item.move.move_post_request_body import (
    MovePostRequestBody,
)
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient
from msgraph_core import GraphClientFactory  # type: ignore[import-untyped]

from scheduler.mailbox import MailboxUnavailable
from scheduler.mailbox.messages import Envelope

logger = logging.getLogger(__name__)

GRAPH_URL = "https://graph.microsoft.com/v1.0"
LOGIN_URL = "https://login.microsoftonline.com"
REQUEST_SECONDS = 30.0
_FIELDS = ["internetMessageId", "from", "subject", "receivedDateTime"]
T = TypeVar("T")


def graph_credential(
    *,
    tenant_id: str,
    client_id: str,
    secret: str | None,
    certificate_path: str | None,
    login_url: str = LOGIN_URL,
    ca_file: str | None = None,
) -> TokenCredential:
    """The app's client-credentials sign-in: a certificate when one is given, else the secret."""
    from azure.identity import CertificateCredential, ClientSecretCredential

    extra: dict[str, Any] = {"authority": login_url}
    if login_url.rstrip("/") != LOGIN_URL:
        # Instance discovery asks login.microsoftonline.com whether the authority is one of
        # Microsoft's; an authority named on purpose (a national cloud) is taken as given.
        extra["disable_instance_discovery"] = True
    if ca_file:
        extra["connection_verify"] = ca_file
    if certificate_path:
        return CertificateCredential(tenant_id, client_id, certificate_path, **extra)
    if not secret:
        raise ValueError(
            "a Graph mailbox needs MICROSOFT_APP_PASSWORD or MICROSOFT_APP_CERTIFICATE"
        )
    return ClientSecretCredential(tenant_id, client_id, secret, **extra)


class GraphMailbox:
    """One user's (or shared mailbox's) inbox; every failure of Graph is a MailboxUnavailable."""

    moves = True

    def __init__(
        self,
        *,
        address: str,
        credential: TokenCredential,
        done_folder: str,
        load_cursor: Callable[[], str | None],
        save_cursor: Callable[[str], None],
        graph_url: str = GRAPH_URL,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.address = address
        self.name = f"graph://{address}"
        self._done_folder = done_folder
        self._done_folder_id: str | None = None
        self._load_cursor = load_cursor
        self._save_cursor = save_cursor
        self._loop = asyncio.new_event_loop()
        graph_root = urlsplit(graph_url)
        auth = AzureIdentityAuthenticationProvider(
            credential,
            scopes=[f"{graph_root.scheme}://{graph_root.netloc}/.default"],
            allowed_hosts=[graph_root.hostname or ""],
        )
        http = GraphClientFactory.create_with_default_middleware(
            client=httpx.AsyncClient(verify=verify, timeout=REQUEST_SECONDS)
        )
        adapter = GraphRequestAdapter(auth, client=http)
        adapter.base_url = graph_url.rstrip("/")
        self._graph = GraphServiceClient(request_adapter=adapter)

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        try:
            return self._loop.run_until_complete(work)
        except (APIError, httpx.HTTPError, AzureError, OSError) as error:
            raise MailboxUnavailable(_reason(error)) from None

    @property
    def _user(self) -> Any:
        return self._graph.users.by_user_id(self.address)

    def connect(self) -> None:
        if self._done_folder_id is None:
            self._done_folder_id = self._run(self._find_or_create_done_folder())

    async def _find_or_create_done_folder(self) -> str:
        wanted = self._done_folder.replace("'", "''")
        query = MailFoldersRequestBuilder.MailFoldersRequestBuilderGetQueryParameters(
            filter=f"displayName eq '{wanted}'"
        )
        found = await self._user.mail_folders.get(
            request_configuration=RequestConfiguration(query_parameters=query)
        )
        for folder in (found.value if found else None) or []:
            if folder.id:
                return str(folder.id)
        made = await self._user.mail_folders.post(MailFolder(display_name=self._done_folder))
        if made is None or not made.id:
            raise MailboxUnavailable(f"could not create the folder {self._done_folder}")
        return str(made.id)

    def close(self) -> None:
        self._done_folder_id = None

    def new_messages(self) -> Iterator[Envelope]:
        """What arrived in the inbox since the stored delta link; the link moves on at the end."""
        link = self._load_cursor()
        while True:
            page = self._run(self._delta_page(link))
            for message in page.value or []:
                envelope = _envelope(message)
                if envelope is not None:
                    yield envelope
            if page.odata_next_link:
                link = page.odata_next_link
                continue
            if page.odata_delta_link:
                # Reached only when every message above was handed over: a crash before this
                # reads them again, and the database says which were done.
                self._save_cursor(page.odata_delta_link)
            return

    async def _delta_page(self, link: str | None) -> Any:
        delta = self._user.mail_folders.by_mail_folder_id("inbox").messages.delta
        if link:
            return await delta.with_url(link).get()
        query = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(select=_FIELDS)
        answer = await delta.get(request_configuration=RequestConfiguration(query_parameters=query))
        if answer is None:
            raise MailboxUnavailable("Graph answered the delta query with nothing")
        return answer

    def envelope(self, location: str) -> Envelope | None:
        return self._run(self._envelope(location))

    async def _envelope(self, location: str) -> Envelope | None:
        query = MessageItemRequestBuilder.MessageItemRequestBuilderGetQueryParameters(
            select=_FIELDS
        )
        try:
            message = await self._user.messages.by_message_id(location).get(
                request_configuration=RequestConfiguration(query_parameters=query)
            )
        except APIError as error:
            if error.response_status_code == 404:
                return None
            raise
        return None if message is None else _envelope(message)

    def fetch(self, location: str) -> bytes | None:
        return self._run(self._fetch(location))

    async def _fetch(self, location: str) -> bytes | None:
        try:
            content = await self._user.messages.by_message_id(location).content.get()
        except APIError as error:
            if error.response_status_code == 404:
                return None  # moved or gone: whoever moved it finished it
            raise
        return content if isinstance(content, bytes) else None

    def settle(self, location: str) -> None:
        self.connect()
        body = MovePostRequestBody(destination_id=self._done_folder_id)
        self._run(self._user.messages.by_message_id(location).move.post(body))

    def wait(self, seconds: float, stop: threading.Event) -> None:
        # Change notifications would need a public URL for Graph to call: polling instead.
        stop.wait(seconds)


def _envelope(message: Message) -> Envelope | None:
    if not message.id or "@removed" in (message.additional_data or {}):
        return None  # a message that left the folder (moved by us, or by a person)
    sender = ""
    if message.from_ and message.from_.email_address and message.from_.email_address.address:
        sender = message.from_.email_address.address.lower()
    received = message.received_date_time
    if received is not None and received.tzinfo is None:
        received = received.replace(tzinfo=UTC)
    return Envelope(
        location=message.id,
        message_id=message.internet_message_id or f"<{message.id}@graph.invalid>",
        sender=sender,
        subject=" ".join((message.subject or "").split()),
        received_at=received if isinstance(received, datetime) else None,
    )


def _reason(error: BaseException) -> str:
    status = getattr(error, "response_status_code", None)
    if status:
        return f"Microsoft Graph answered HTTP {status}"
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
