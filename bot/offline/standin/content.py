"""The visible content of a message (text, blocks, attachments, metadata), checked as Slack does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.offline.standin.blocks import MAX_MESSAGE_BLOCKS, MAX_MESSAGE_TEXT, blocks_problems
from bot.offline.standin.errors import SlackError


def message_content(values: Mapping[str, Any], *, require_text: bool = True) -> dict[str, Any]:
    """The content keys present in `values`, validated; raises SlackError like Slack.

    `require_text`: chat.postMessage needs one of text, blocks or attachments (`no_text`);
    chat.update keeps what it is not given, so it passes False.
    """
    content: dict[str, Any] = {}
    text = values.get("text")
    if text is not None:
        if not isinstance(text, str):
            text = str(text)
        if len(text) > MAX_MESSAGE_TEXT:
            raise SlackError("msg_too_long")
        content["text"] = text
    blocks = values.get("blocks")
    if blocks is not None and blocks != "":
        problems = blocks_problems(blocks, limit=MAX_MESSAGE_BLOCKS)
        if problems:
            raise SlackError("invalid_blocks", messages=problems, errors=problems)
        content["blocks"] = blocks
    attachments = values.get("attachments")
    if attachments is not None and attachments != "":
        if not isinstance(attachments, list):
            raise SlackError("invalid_attachments")
        if len(attachments) > 100:
            raise SlackError("too_many_attachments")
        content["attachments"] = attachments
    metadata = values.get("metadata")
    if metadata is not None and metadata != "":
        content["metadata"] = checked_metadata(metadata)
    if require_text and not (
        content.get("text") or content.get("blocks") or content.get("attachments")
    ):
        raise SlackError("no_text")
    return content


def checked_metadata(metadata: Any) -> dict[str, Any]:
    """Message metadata is `{"event_type": str, "event_payload": object}`."""
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not metadata["event_type"]
        or not isinstance(metadata.get("event_payload", {}), dict)
    ):
        raise SlackError(
            "invalid_metadata_format",
            messages=["metadata must have event_type and an event_payload object"],
        )
    return {
        "event_type": metadata["event_type"],
        "event_payload": metadata.get("event_payload", {}),
    }
