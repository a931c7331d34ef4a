"""`POST /api/messages`: the Bot Framework messaging endpoint, on aiohttp, through the SDK.

The SDK's `CloudAdapter` reads the activity, runs `TeamsBot.on_turn` and answers: 202 for a
message, the invoke response for a card click. With credentials, the SDK's JWT middleware stands
before it (401 without a valid token); without, `loopback_only` does.
"""

from __future__ import annotations

import logging
import warnings

from aiohttp import web
from microsoft_agents.hosting.aiohttp import CloudAdapter, jwt_authorization_middleware
from microsoft_agents.hosting.core.authorization import Connections

from handlers.teams.auth import TeamsSettings, loopback_only
from handlers.teams.bot import TeamsBot, TeamsContext

logger = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
ADAPTER = web.AppKey("adapter", CloudAdapter)
BOT = web.AppKey("bot", TeamsBot)


def build_teams_app(
    *, ctx: TeamsContext, settings: TeamsSettings, connections: Connections | None = None
) -> web.Application:
    """The aiohttp application; `connections` replaces MSAL (for a stand-in of Entra in tests)."""
    adapter = CloudAdapter(connection_manager=connections or settings.connections())
    bot = TeamsBot(ctx, app_id=settings.microsoft_app_id)
    middleware = jwt_authorization_middleware if settings.authenticated else loopback_only
    app = web.Application(middlewares=[middleware])
    with warnings.catch_warnings():
        # The SDK's middleware reads its configuration under this plain string key.
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        app["agent_configuration"] = settings.auth_configuration()
    app[ADAPTER] = adapter
    app[BOT] = bot

    async def messages(request: web.Request) -> web.StreamResponse:
        response = await adapter.process(request, bot)
        return response if response is not None else web.Response(status=202)

    app.router.add_post(MESSAGES_PATH, messages)
    if not settings.authenticated:
        # Said once at start (settings.describe); the SDK would repeat it on every activity.
        logging.getLogger(
            "microsoft_agents.hosting.core.connector.client.user_token_client"
        ).setLevel(logging.ERROR)
    logger.info(settings.describe())
    return app


def serve_teams(*, ctx: TeamsContext, settings: TeamsSettings, host: str, port: int) -> None:
    """`ofsted-bot serve --teams`: the endpoint until stopped."""
    print(settings.describe(), flush=True)
    web.run_app(build_teams_app(ctx=ctx, settings=settings), host=host, port=port, print=None)
