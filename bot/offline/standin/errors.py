"""The one way a Web API method fails: Slack's `{"ok": false, "error": ...}` body."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class SlackError(Exception):
    """Raised inside a method so each handler reads as the happy path.

    `messages` become `response_metadata.messages` prefixed with `[ERROR]`, as Slack
    explains rejected Block Kit and missing arguments; `extra` keys go into the body.
    """

    def __init__(self, error: str, *, messages: Sequence[str] = (), **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.messages = list(messages)
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.error, **self.extra}
        if self.messages:
            body["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in self.messages]}
        return body
