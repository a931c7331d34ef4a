"""What the bot sends to Teams outside a turn's own reply: messages and proactive posts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from microsoft_agents.activity import Activity, Attachment, ConversationReference
from microsoft_agents.hosting.core import ChannelServiceAdapter, TurnContext
from microsoft_agents.hosting.core.authorization import ClaimsIdentity

from handlers.teams import cards


def message(text: str | None = None, *, card: cards.Card | None = None) -> Activity:
    """A message activity: Markdown text, and a card when there is one."""
    shown = Activity(type="message", text=text, text_format="markdown")
    if card:
        shown.attachments = [Attachment(content_type=cards.CONTENT_TYPE, content=card)]
    return shown


# Teams takes about 28 KB of message; an export is sent in parts well inside that.
EXPORT_PART_CHARS = 20_000


def export_messages(*, content: bytes, filename: str, comment: str) -> list[Activity]:
    """An export as Teams can take it from a bot: its text in code blocks, in as many messages as
    it needs, with the file name to save it as.

    Why not a file: a bot may send a file in a channel only through Microsoft Graph (SharePoint,
    which this bot is given no permission for); the file consent card works in personal chats
    only; an inline attachment's `contentUrl` is shown for images only, and `data:` URIs are
    refused. Both exports are plain text (CSV, iCalendar), so the text itself is what is sent:
    the same bytes, to paste into a file (Outlook and Excel open them as saved).
    """
    # A fence inside the text would end the code block early.
    text = content.decode("utf-8", errors="replace").replace("```", "'''")
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        if current and len(current) + len(line) > EXPORT_PART_CHARS:
            parts.append(current)
            current = ""
        current += line
    parts.append(current)
    total = len(parts)
    shown = []
    for number, part in enumerate(parts, start=1):
        of = f" (part {number} of {total})" if total > 1 else ""
        lead = f"{comment} Save it as `{filename}`{of}:" if number == 1 else f"`{filename}`{of}:"
        body = part.rstrip("\r\n")
        shown.append(message(f"{lead}\n\n```\n{body}\n```"))
    return shown


async def post_to_conversation(
    adapter: ChannelServiceAdapter,
    *,
    reference: dict[str, Any],
    conversation_id: str,
    activity: Activity | Callable[[Any], Awaitable[Activity]],
    app_id: str | None = None,
) -> str:
    """Post `activity` in `conversation_id` (a channel, a thread of it, a chat) outside any turn
    the user started: `POST /v3/conversations/{id}/activities`; the posted activity's id.

    Without credentials the proactive turn runs with an anonymous identity
    (`continue_conversation_with_claims`: the SDK's `continue_conversation("")` fails for want of
    a token); with them, as the app, its id as the audience.
    """
    continuation = ConversationReference.model_validate(reference).get_continuation_activity()
    sent = activity
    posted: list[str] = []

    async def post(context: TurnContext) -> None:
        connector = context.turn_state[ChannelServiceAdapter._AGENT_CONNECTOR_CLIENT_KEY]
        conversations = connector.conversations  # type: ignore[attr-defined]
        # Made in the turn when it needs the connector (a reminder names the chat's members).
        activity = sent if isinstance(sent, Activity) else await sent(conversations)
        activity.conversation = continuation.conversation.model_copy(update={"id": conversation_id})
        activity.from_property = continuation.recipient or activity.from_property
        activity.service_url = continuation.service_url
        activity.channel_id = continuation.channel_id
        response = await conversations.send_to_conversation(conversation_id, activity)
        posted.append(str(getattr(response, "id", "") or ""))

    if app_id:
        await adapter.continue_conversation(app_id, continuation, post)
    else:
        await adapter.continue_conversation_with_claims(ClaimsIdentity(), continuation, post)
    return posted[0] if posted else ""
