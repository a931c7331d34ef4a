"""What the stand-in remembers, as plain values that tests can compare."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RecordedCall:
    """One Web API call, in the order answered.

    `args` are the decoded arguments (JSON strings such as `blocks` already parsed),
    without the token; `at` is `time.time()` on arrival; `status` and `error` say how
    the stand-in answered (200 and None for `ok: true`).
    """

    method: str
    args: dict[str, Any]
    at: float
    status: int = 200
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None


@dataclass(frozen=True)
class RecordedResponse:
    """A POST to a `response_url` (or a slash command's ack body): what the app sent and
    where Slack showed it."""

    url: str
    payload: dict[str, Any]
    at: float
    channel_id: str | None = None
    user_id: str | None = None
    message_ts: str | None = None
    via: str = "response_url"  # or "ack": a slash command's acknowledgement body

    @property
    def text(self) -> str | None:
        return self.payload.get("text")

    @property
    def blocks(self) -> list[dict[str, Any]] | None:
        return self.payload.get("blocks")

    @property
    def response_type(self) -> str:
        return self.payload.get("response_type") or "ephemeral"


@dataclass(frozen=True)
class Upload:
    """A file the app uploaded (files.getUploadURLExternal → upload → complete)."""

    file_id: str
    filename: str
    title: str
    content: bytes
    channels: tuple[str, ...] = ()
    initial_comment: str | None = None
    thread_ts: str | None = None
    at: float = 0.0

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")


@dataclass
class StoredFile:
    """A file Slack holds: shared by a user (`add_file`) or uploaded by the app."""

    info: dict[str, Any]
    content: bytes


@dataclass
class PendingUpload:
    """Between files.getUploadURLExternal and files.completeUploadExternal."""

    file_id: str
    filename: str
    length: int
    key: str
    alt_txt: str | None = None
    content: bytes | None = None


@dataclass
class Trigger:
    """A trigger_id: valid for `expires_at` (monotonic clock) and for one exchange."""

    user_id: str | None
    expires_at: float
    exchanged: bool = False


@dataclass
class ResponseUrl:
    """A response_url: where it answers, how long, how many times (5 in 30 minutes)."""

    channel_id: str | None
    user_id: str | None
    message_ts: str | None
    expires_at: float
    uses_left: int = 5
    extra: dict[str, Any] = field(default_factory=dict)
