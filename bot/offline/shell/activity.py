"""Knowing when the bot has finished: its listener work in flight and the stand-in's records."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

from bot.offline.standin import RecordedCall, RecordedResponse

QUIET = 0.3  # seconds without a new record that count as "the bot has finished"
SETTLE_CAP = 5.0  # never wait longer than this for the bot's answers

T = TypeVar("T")


class Activity:
    """The bot's work in flight (its listener executor) and the stand-in's latest record.

    The bot acknowledges first and answers after, in Bolt's listener threads: the answer is
    complete when no listener is running and nothing new has been recorded for a moment.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight = 0
        self._last_record = 0.0
        self.tracking = False
        self.channels: set[str] = set()

    def on_record(self, record: RecordedCall | RecordedResponse) -> None:
        with self._lock:
            self._last_record = time.monotonic()
            if isinstance(record, RecordedResponse):
                if record.channel_id:
                    self.channels.add(record.channel_id)
                return
            for name in ("channel", "channel_id", "channels"):
                value = record.args.get(name)
                values = value if isinstance(value, list) else str(value or "").split(",")
                self.channels.update(str(v).strip() for v in values if str(v).strip())

    def mentioned_channels(self) -> set[str]:
        """Every conversation the bot has named in a call: where to look for its messages."""
        with self._lock:
            return set(self.channels)

    def started(self) -> None:
        with self._lock:
            self._in_flight += 1

    def finished(self, _: object = None) -> None:
        with self._lock:
            self._in_flight -= 1
            self._last_record = max(self._last_record, time.monotonic())

    def track(self, executor: Executor) -> Executor:
        self.tracking = True
        return _TrackedExecutor(executor, self)

    def settle(self, *, quiet: float = QUIET, cap: float = SETTLE_CAP) -> bool:
        """Wait until the bot has finished; False if it was still busy after `cap` seconds.

        With the listeners tracked, finished means none running and 50 ms without a record;
        otherwise it means `quiet` seconds without a record.
        """
        started = time.monotonic()
        wanted_quiet = min(quiet, 0.05) if self.tracking else quiet
        while True:
            now = time.monotonic()
            with self._lock:
                busy = self._in_flight > 0
                since = now - max(self._last_record, started if not self.tracking else 0.0)
            if not busy and since >= wanted_quiet:
                return True
            if now - started >= cap:
                return False
            time.sleep(0.01)


class _TrackedExecutor(Executor):
    def __init__(self, inner: Executor, activity: Activity) -> None:
        self._inner = inner
        self._activity = activity

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        self._activity.started()
        try:
            future = self._inner.submit(fn, *args, **kwargs)
        except BaseException:
            self._activity.finished()
            raise
        future.add_done_callback(self._activity.finished)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._inner.shutdown(wait=wait, cancel_futures=cancel_futures)


def track_listeners(app: Any, activity: Activity) -> Executor | None:
    """Count Bolt's listener work by wrapping its executor; the executor, to shut down later.

    Uses Bolt's public `listener_runner` and its runners' executor attributes; if a Bolt
    release moves them, the shell falls back to waiting for quiet.
    """
    runner = getattr(app, "listener_runner", None)
    executor: Executor | None = getattr(runner, "listener_executor", None)
    lazy = getattr(runner, "lazy_listener_runner", None)
    if runner is None or executor is None or lazy is None or not hasattr(lazy, "executor"):
        return None
    tracked = activity.track(executor)
    runner.listener_executor = tracked
    lazy.executor = tracked
    return executor
