"""How the Teams endpoint knows an activity came from Teams, and how the bot signs its replies.

With `MICROSOFT_APP_ID` (and `MICROSOFT_APP_PASSWORD`, or a certificate, and
`MICROSOFT_APP_TENANT_ID`) set, the SDK validates every incoming activity's JWT (its middleware,
401 without a good one) and gets tokens for the Bot Connector through MSAL. Without them, the
endpoint takes unauthenticated activities from this machine only (as the Bot Framework Emulator
does), for the offline shell and the tests: the SDK wants a connection manager even then, and one
that hands out its anonymous token provider serves.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from microsoft_agents.hosting.core.authorization import (
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    AuthTypes,
    Connections,
)
from microsoft_agents.hosting.core.authorization._entra_issuers import BOTFRAMEWORK_JWKS_URIS
from microsoft_agents.hosting.core.authorization.connection_manager import ConnectionManager
from pydantic import BaseModel, ConfigDict

logger = logging.getLogger(__name__)

SERVICE_CONNECTION = "SERVICE_CONNECTION"
_FORWARDED = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


class TeamsSettings(BaseModel):
    """The Azure Bot registration's credentials (bot.settings reads them: MICROSOFT_APP_…)."""

    model_config = ConfigDict(frozen=True)

    microsoft_app_id: str | None = None
    microsoft_app_password: str | None = None
    microsoft_app_tenant_id: str | None = None
    # A PEM/PFX certificate file instead of the password.
    microsoft_app_certificate: str | None = None

    @property
    def authenticated(self) -> bool:
        return bool(self.microsoft_app_id)

    def auth_configuration(self) -> AgentAuthConfiguration:
        """What the SDK validates tokens against (its audience is the app id) and signs with."""
        if not self.authenticated:
            return AgentAuthConfiguration(
                anonymous_allowed=True, connection_name=SERVICE_CONNECTION
            )
        if self.microsoft_app_certificate:
            return AgentAuthConfiguration(
                auth_type=AuthTypes.certificate,
                client_id=self.microsoft_app_id,
                tenant_id=self.microsoft_app_tenant_id,
                cert_pfx_file=self.microsoft_app_certificate,
                connection_name=SERVICE_CONNECTION,
            )
        return AgentAuthConfiguration(
            auth_type=AuthTypes.client_secret,
            client_id=self.microsoft_app_id,
            tenant_id=self.microsoft_app_tenant_id,
            client_secret=self.microsoft_app_password,
            connection_name=SERVICE_CONNECTION,
        )

    def connections(self) -> Connections:
        """Where outgoing tokens come from: MSAL with credentials, else the anonymous provider."""
        configuration = self.auth_configuration()
        if not self.authenticated:
            return anonymous_connections()
        from microsoft_agents.authentication.msal import MsalConnectionManager

        manager: Connections = MsalConnectionManager(
            connections_configurations={SERVICE_CONNECTION: configuration}
        )
        return manager

    def describe(self) -> str:
        """What the log says at start, so nobody runs an open endpoint unawares."""
        if self.authenticated:
            app_id = self.microsoft_app_id
            return f"Teams endpoint: every activity's token is checked (app id {app_id})."
        return (
            "Teams endpoint: MICROSOFT_APP_ID is not set, so activities are NOT authenticated "
            "and are taken from this machine (loopback) only, as the Bot Framework Emulator does."
        )


def anonymous_connections(
    provider: Callable[[AgentAuthConfiguration], Any] | None = None,
) -> Connections:
    """A connection manager whose one connection hands out the SDK's anonymous token provider
    (or `provider`'s, for a stand-in of Microsoft Entra in the tests)."""
    return ConnectionManager(
        provider_factory=provider or (lambda _configuration: AnonymousTokenProvider()),
        connections_configurations={
            SERVICE_CONNECTION: AgentAuthConfiguration(
                anonymous_allowed=True, connection_name=SERVICE_CONNECTION
            )
        },
    )


def trust_token_issuer(*, issuer: str, jwks_url: str) -> None:
    """Accept tokens from `issuer`, signed by a key published at `jwks_url`, besides Microsoft's.

    The SDK finds the signing keys of the Bot Framework's issuers in one table; a sovereign
    cloud's or a test's issuer is added to it (the audience, the app id, is checked as ever).
    """
    BOTFRAMEWORK_JWKS_URIS[issuer] = jwks_url


def is_loopback(address: str | None) -> bool:
    if not address:
        return False
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def loopback_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Unauthenticated mode: an activity from another machine, or relayed by a proxy, is refused."""
    if not is_loopback(request.remote) or any(name in request.headers for name in _FORWARDED):
        logger.warning("refused an unauthenticated activity from another machine")
        return web.json_response(
            {
                "error": "This bot has no Microsoft app credentials: "
                "it takes activities from this machine only."
            },
            status=401,
        )
    return await handler(request)
