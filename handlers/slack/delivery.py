"""Posting into a channel the bot may not be in: say so to the person rather than fail silently."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.slack.blocks import section

logger = logging.getLogger(__name__)

NOT_A_MEMBER = {"not_in_channel", "channel_not_found", "is_archived"}


def direct_message_channel(*, client: WebClient, user_id: str) -> str:
    opened = client.conversations_open(users=user_id)
    return str(opened["channel"]["id"])


def post_or_tell(
    *, client: WebClient, channel_id: str, user_id: str, text: str, blocks: list[dict[str, Any]]
) -> str | None:
    """Post to the channel; if the bot is not in it, send the post to the user and say how to
    fix it.

    Returns the channel the message went to, or None if nowhere would take it.
    """
    try:
        client.chat_postMessage(channel=channel_id, text=text, blocks=blocks)
        return channel_id
    except SlackApiError as error:
        if error.response.get("error") not in NOT_A_MEMBER:
            raise
    note = (
        f":warning: I could not post in <#{channel_id}>: invite me there with `/invite "
        "@ofsted-bot`, "
        "then try again. Here is what I would have posted."
    )
    dm = direct_message_channel(client=client, user_id=user_id)
    client.chat_postMessage(channel=dm, text=note)
    client.chat_postMessage(channel=dm, text=text, blocks=blocks)
    return dm


def upload_or_send(
    *, client: WebClient, channel_id: str, user_id: str, content: bytes, filename: str, comment: str
) -> None:
    """Upload a file to the channel, or to the user's direct messages if the bot is not there."""
    try:
        client.files_upload_v2(
            channel=channel_id,
            content=content,
            filename=filename,
            title=filename,
            initial_comment=comment,
        )
        return
    except SlackApiError as error:
        if error.response.get("error") not in NOT_A_MEMBER:
            raise
    dm = direct_message_channel(client=client, user_id=user_id)
    client.files_upload_v2(
        channel=dm,
        content=content,
        filename=filename,
        title=filename,
        initial_comment=comment + f"\n(I am not in <#{channel_id}>, so it comes to you here.)",
    )


def send_export(
    *,
    client: WebClient,
    asked_in: str,
    visit_channel_id: str | None,
    user_id: str,
    content: bytes,
    filename: str,
    comment: str,
) -> None:
    """An export goes to the visit's own channel when asked for there, and otherwise privately
    to the person who asked (a DM from the bot): never into some other channel, whose members
    may not see the visit."""
    if visit_channel_id and asked_in == visit_channel_id:
        upload_or_send(
            client=client,
            channel_id=visit_channel_id,
            user_id=user_id,
            content=content,
            filename=filename,
            comment=comment,
        )
        return
    dm = direct_message_channel(client=client, user_id=user_id)
    client.files_upload_v2(
        channel=dm, content=content, filename=filename, title=filename, initial_comment=comment
    )


def post_new_visit_timeline(
    *,
    client: WebClient,
    timeline: list[dict[str, Any]],
    text: str,
    channel_id: str | None,
    user_id: str,
) -> str | None:
    """A new visit's timeline goes to its channel, so the whole team sees what is due when."""
    if channel_id is None:
        channel_id = direct_message_channel(client=client, user_id=user_id)
    return post_or_tell(
        client=client,
        channel_id=channel_id,
        user_id=user_id,
        text=f"New visit by <@{user_id}>. {text}",
        blocks=timeline,
    )


def settle_preview(client: WebClient, preview: tuple[str | None, str | None], text: str) -> None:
    """Replace a letter preview's buttons with what became of it, so nobody presses them twice."""
    channel_id, ts = preview
    if channel_id and ts:
        client.chat_update(channel=channel_id, ts=ts, text=text, blocks=[section(text)])
