"""Who is in a Teams conversation: the Bot Connector's paged member list, kept a few minutes.

The twin of `handlers.members.ChannelMembers` for Teams: the policy (`handlers.core.access`)
decides from a plain set of user ids; this module gets it, from
`GET /v3/conversations/{id}/pagedmembers` (page by page, with the continuation token), through the
SDK's connector client for the activity's service URL. A conversation the bot cannot read has
no members as far as the bot knows, and is asked about again soon.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

logger = logging.getLogger(__name__)

MEMBERS_KEPT_SECONDS = 300.0
NOT_READABLE_KEPT_SECONDS = 30.0
MEMBERS_PAGE = 100
MAX_PAGES = 200  # 20,000 members: more than any council's channel


class Conversations(Protocol):
    """What this module needs of the SDK's `connector_client.conversations`."""

    async def get_conversation_paged_members(
        self,
        conversation_id: str,
        page_size: int | None = None,
        continuation_token: str | None = None,
    ) -> Any: ...


def member_ids(members: Iterable[Any]) -> set[str]:
    """A member as the policy knows them: their Teams user id (`29:…`) and their Entra object id,
    so that administrators may be named by either."""
    ids: set[str] = set()
    for member in members:
        ids.update(
            filter(None, (getattr(member, "id", None), getattr(member, "aad_object_id", None)))
        )
    return ids


class ConversationMembers:
    """Members of each conversation, kept `kept_seconds`; `forget` when Teams says someone came
    or went (a `conversationUpdate`)."""

    def __init__(
        self,
        *,
        kept_seconds: float = MEMBERS_KEPT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._kept_seconds = kept_seconds
        self._clock = clock
        self._kept: dict[str, tuple[float, frozenset[str], dict[str, str]]] = {}

    async def of(self, conversations: Conversations, conversation_id: str) -> frozenset[str]:
        return (await self._lookup(conversations, conversation_id))[0]

    async def names(self, conversations: Conversations, conversation_id: str) -> dict[str, str]:
        """user id → display name, for cards that name people and the Assign picker."""
        return (await self._lookup(conversations, conversation_id))[1]

    async def _lookup(
        self, conversations: Conversations, conversation_id: str
    ) -> tuple[frozenset[str], dict[str, str]]:
        now = self._clock()
        kept = self._kept.get(conversation_id)
        if kept is not None and kept[0] > now:
            return kept[1], kept[2]
        ids, names, keep_for = await self._ask(conversations, conversation_id)
        self._kept[conversation_id] = (now + keep_for, ids, names)
        return ids, names

    async def _ask(
        self, conversations: Conversations, conversation_id: str
    ) -> tuple[frozenset[str], dict[str, str], float]:
        ids: set[str] = set()
        names: dict[str, str] = {}
        token: str | None = None
        try:
            for _ in range(MAX_PAGES):
                page = await conversations.get_conversation_paged_members(
                    conversation_id, page_size=MEMBERS_PAGE, continuation_token=token
                )
                found = list(page.members or [])
                ids |= member_ids(found)
                names.update({m.id: m.name for m in found if m.id and m.name})
                token = page.continuation_token or None
                if not token:
                    break
        except Exception as error:  # the SDK raises its own and aiohttp's errors
            logger.warning("could not read the members of a conversation: %s", type(error).__name__)
            return frozenset(), {}, NOT_READABLE_KEPT_SECONDS
        return frozenset(ids), names, self._kept_seconds

    def forget(self, conversation_id: str) -> None:
        self._kept.pop(conversation_id, None)
