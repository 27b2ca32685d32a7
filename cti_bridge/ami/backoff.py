"""Reconnect pacing and log throttling for the AMI link.

A link that cannot connect or log in must neither hammer Asterisk (a hot retry loop is
what panoramisk 1.4 does with wrong credentials) nor flood the log: delays double from
``reconnect_min`` to ``reconnect_max`` with jitter, and a repeated complaint is logged
again only after a quiet period.
"""

from __future__ import annotations

import random
import time


class Backoff:
    """Exponential back-off with "equal jitter": the n-th delay lies in [d/2, d] where
    d = min(max, min * 2**n). Consecutive ranges do not overlap until the cap, so the
    delays really grow; the jitter keeps many links from reconnecting in lock-step."""

    def __init__(self, minimum: float, maximum: float) -> None:
        self.minimum = max(minimum, 0.001)
        self.maximum = max(maximum, self.minimum)
        self.attempt = 0

    def next(self) -> float:
        ceiling = min(self.maximum, self.minimum * 2.0 ** min(self.attempt, 60))
        self.attempt += 1
        return random.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempt = 0


class Throttle:
    """Says yes to the first occurrence, then at most once per ``period`` seconds;
    counts what it suppressed so the next message can say how many."""

    def __init__(self, period: float) -> None:
        self.period = period
        self.suppressed = 0
        self._last: float | None = None

    def allow(self) -> bool:
        now = time.monotonic()
        if self._last is None or now - self._last >= self.period:
            self._last = now
            return True
        self.suppressed += 1
        return False

    def take_suppressed(self) -> int:
        count, self.suppressed = self.suppressed, 0
        return count

    def reset(self) -> None:
        self._last = None
        self.suppressed = 0
