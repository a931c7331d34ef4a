"""Slack misbehaving on purpose: 5xx answers, 429s, slow answers, per-channel rate limits.

Tests use these to check retries and idempotency; benchmarks use the per-channel
limit (Slack's documented "about one message per second per channel" for
chat.postMessage) to measure delivery as it would happen against Slack.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

ANY_METHOD = "*"


@dataclass
class Fault:
    """What to do to the next `times` calls of `method` ("*" for any)."""

    method: str
    times: int
    status: int = 200
    retry_after: int | None = None
    delay: float = 0.0
    effect_applied: bool = False
    # With a delay: take effect first, then answer late (a post made, its answer not yet back).
    delay_after_effect: bool = False


@dataclass(frozen=True)
class Failure:
    """An answer chosen by fault injection instead of the method's own."""

    status: int
    error: str
    retry_after: int | None = None
    effect_applied: bool = False


class FaultPlan:
    """Queued faults, consumed in order; the caller holds the stand-in's lock."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.times > 0:
            self._faults.append(fault)

    def clear(self) -> None:
        self._faults.clear()

    def _take(self, method: str, wanted: Callable[[Fault], bool]) -> Fault | None:
        for fault in self._faults:
            if fault.method in (method, ANY_METHOD) and wanted(fault):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def delay_for(self, method: str) -> tuple[float, bool]:
        """(seconds to wait, whether to wait after the call has taken effect)."""
        fault = self._take(method, lambda f: f.delay > 0)
        return (fault.delay, fault.delay_after_effect) if fault else (0.0, False)

    def failure_for(self, method: str) -> Failure | None:
        fault = self._take(method, lambda f: f.status != 200)
        if fault is None:
            return None
        if fault.status == 429:
            return Failure(status=429, error="ratelimited", retry_after=fault.retry_after or 0)
        return Failure(
            status=fault.status, error="fatal_error", effect_applied=fault.effect_applied
        )


class ChannelRateLimiter:
    """A token bucket per channel: `rate` posts a second, bursts of `burst`."""

    def __init__(self, *, rate: float, burst: int, clock: Callable[[], float]) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def retry_after(self, channel_id: str) -> int | None:
        """None if a post may go now (and counts it); else whole seconds to wait."""
        now = self._clock()
        tokens, then = self._buckets.get(channel_id, (self._burst, now))
        tokens = min(self._burst, tokens + (now - then) * self._rate)
        if tokens >= 1.0:
            self._buckets[channel_id] = (tokens - 1.0, now)
            return None
        self._buckets[channel_id] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / self._rate))

    def reset(self) -> None:
        self._buckets.clear()
