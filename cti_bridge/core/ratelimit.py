"""A sliding-window rate limit: at most ``limit`` events per key within ``window`` seconds.

Time comes in as an argument (the daemon's clock), so the limit is tested without waiting.
Refused attempts are not counted: a client that keeps knocking gets in again once its
earlier events have left the window. Memory is one timestamp per counted event, at most
``limit`` per key.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable


class SlidingWindow:
    def __init__(self, window: float = 60.0) -> None:
        self.window = window
        self._events: dict[Hashable, deque[float]] = {}

    def take(self, key: Hashable, limit: int, now: float) -> int:
        """Count one event for ``key`` and return 0, or return the whole seconds until one
        is allowed (nothing counted). ``limit`` 0 or below: no limit."""
        if limit <= 0:
            return 0
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque()
        while events and events[0] <= now - self.window:
            events.popleft()
        while len(events) > limit:  # the limit was lowered since
            events.popleft()
        if len(events) < limit:
            events.append(now)
            return 0
        return max(1, math.ceil(events[0] + self.window - now))
