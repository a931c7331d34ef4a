"""Turning what slack_sdk (or curl) sends into one dict of arguments, as Slack reads it.

slack_sdk sends form-encoded or JSON bodies, or query-string arguments (GET), and
several arguments (`blocks`, `view`, `metadata`, `attachments`, `files`) arrive as
JSON-encoded strings in forms but as objects in JSON bodies; both end up decoded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from bot.offline.standin.errors import SlackError

# argument -> the error Slack answers when its JSON string cannot be decoded
JSON_ARGUMENTS = {
    "blocks": "invalid_blocks_format",
    "attachments": "invalid_attachments",
    "metadata": "invalid_metadata_format",
    "view": "invalid_arguments",
    "files": "invalid_arguments",
}


@dataclass(frozen=True)
class ParsedRequest:
    args: dict[str, Any]
    is_json: bool


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_request(*, content_type: str | None, body: bytes, query: str) -> ParsedRequest:
    """Query-string arguments first, then the body's (the body wins, as on Slack)."""
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    kind = media_type(content_type)
    if kind == "application/json":
        args.update(_json_body(body))
        return ParsedRequest(args=args, is_json=True)
    if body:
        args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return ParsedRequest(args=args, is_json=False)


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise SlackError("invalid_json") from None
    if not isinstance(data, dict):
        raise SlackError("json_not_object")
    return data


def decode_json_arguments(args: Mapping[str, Any]) -> dict[str, Any]:
    decoded = dict(args)
    for name, error in JSON_ARGUMENTS.items():
        value = decoded.get(name)
        if isinstance(value, str) and value.strip():
            try:
                decoded[name] = json.loads(value)
            except ValueError:
                raise SlackError(error, messages=[f"{name} is not valid JSON"]) from None
    return decoded


class Args(Mapping[str, Any]):
    """Read-only arguments with Slack's coercions (`"1"`/`"true"` flags, numeric strings)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self._values.get(name)
        if value is None or value == "":
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def flag(self, name: str, *, default: bool = False) -> bool:
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in {"1", "true", "yes"}

    def integer(self, name: str, *, default: int) -> int:
        value = self._values.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments", messages=[f"{name} must be a number"]) from None

    def ids(self, name: str) -> list[str]:
        """A comma-separated list (`users`, `channels`), or a JSON list."""
        value = self._values.get(name)
        if not value:
            return []
        items = value if isinstance(value, list) else str(value).split(",")
        return [str(item).strip() for item in items if str(item).strip()]
