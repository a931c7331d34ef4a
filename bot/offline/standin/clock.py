"""A clock that tests move by hand, for the stand-in's `clock=` (trigger_ids,
response_urls and the per-channel rate limit all read it)."""

from __future__ import annotations


class ManualClock:
    """Monotonic seconds that move only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
