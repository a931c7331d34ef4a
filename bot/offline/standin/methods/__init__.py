"""The Web API methods the stand-in implements, by name: those the bot calls, no more.

Each is `method(workspace, args) -> dict`: the success body without `"ok": true`,
or a raised SlackError. They run under the stand-in's lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.offline.standin.arguments import Args
from bot.offline.standin.methods import auth, chat, conversations, files, users, views
from bot.offline.standin.workspace import Workspace

Method = Callable[[Workspace, Args], dict[str, Any]]

METHODS: dict[str, Method] = {
    **auth.METHODS,
    **chat.METHODS,
    **conversations.METHODS,
    **views.METHODS,
    **files.METHODS,
    **users.METHODS,
}
