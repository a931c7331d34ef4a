"""Slack-shaped identifiers and message timestamps.

Message `ts` values are Slack's primary keys: strings of seconds and six decimals that
sort like time and never repeat within a channel, so the stand-in hands them out from
one strictly increasing counter of microseconds since the epoch.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections.abc import Callable


def format_ts(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def ts_micros(ts: str) -> int:
    """`"1700000000.000100"` -> 1700000000000100; ValueError for anything else."""
    seconds, _, fraction = str(ts).strip().partition(".")
    if not seconds.isdigit() or (fraction and not fraction.isdigit()):
        raise ValueError(f"not a Slack timestamp: {ts!r}")
    return int(seconds) * 1_000_000 + int((fraction or "0")[:6].ljust(6, "0"))


class TsClock:
    """Unique, increasing message timestamps close to the wall clock."""

    def __init__(self, *, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            self._last = max(int(self._wall() * 1_000_000), self._last + 1)
            return format_ts(self._last)


class IdFactory:
    """IDs such as `C0000000001`, `V0000000002`, `F0000000003` (one counter for all)."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def new(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}{next(self._counter):010X}"

    def trigger_id(self) -> str:
        """Slack's trigger ids look like `12345.98765.abcd2358fdea`."""
        with self._lock:
            n = next(self._counter)
        return f"{int(time.time() * 1000)}{n}.{n:010d}.{secrets.token_hex(16)}"
