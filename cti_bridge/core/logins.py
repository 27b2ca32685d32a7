"""Login throttling: an attempt is counted when it starts, before the slow password check,
against its username and against its client address. Guesses sent all at once are then
limited exactly like guesses sent one after another.

An attempt stays counted while it is checked and, when the password was wrong, for the rest
of the window. A right password takes back its own count and wipes the username's earlier
failures (the owner is back), but not the address's: other people's guesses from there
still count. An attempt that never reached the check (server busy) takes its count back.

Memory is bounded: each key holds at most its limit of attempts (refused attempts are not
recorded), and at most ``max_tracked`` keys are kept, the least recently tried dropped first.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginLimits:
    per_username: int = 10
    per_address: int = 50
    window: float = 600.0
    # Usernames (and, apart, addresses) remembered at once.
    max_tracked: int = 10_000


class LoginThrottled(Exception):
    """Too many recent attempts; ``retry_after`` is in whole seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many login attempts; retry in {retry_after} s")
        self.retry_after = retry_after


@dataclass(eq=False, slots=True)
class Attempt:
    """One login's reservation, from its start until it is known to be right or wrong."""

    username: str
    address: str
    at: float
    failed: bool = False


class _Ledger:
    """Recent attempts per key, the least recently tried key first."""

    def __init__(self, limit: int, window: float, max_tracked: int) -> None:
        self._limit = max(1, limit)
        self._window = window
        self._max_tracked = max(1, max_tracked)
        self._attempts: OrderedDict[str, deque[Attempt]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._attempts)

    def wait_for(self, key: str, now: float) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        recent = self._attempts.get(key)
        if recent is None:
            return 0.0
        while recent and recent[0].at <= now - self._window:
            recent.popleft()
        if len(recent) < self._limit:
            return 0.0
        return recent[0].at + self._window - now

    def add(self, key: str, attempt: Attempt) -> None:
        recent = self._attempts.get(key)
        if recent is None:
            while len(self._attempts) >= self._max_tracked:
                self._attempts.popitem(last=False)
            recent = self._attempts[key] = deque()
        else:
            self._attempts.move_to_end(key)
        recent.append(attempt)

    def remove(self, key: str, attempt: Attempt, *, with_failures: bool = False) -> None:
        recent = self._attempts.get(key)
        if recent is None:
            return
        kept = [a for a in recent if a is not attempt and not (with_failures and a.failed)]
        if kept:
            self._attempts[key] = deque(kept)
        else:
            del self._attempts[key]


class LoginThrottle:
    def __init__(self, limits: LoginLimits) -> None:
        self._users = _Ledger(limits.per_username, limits.window, limits.max_tracked)
        self._addresses = _Ledger(limits.per_address, limits.window, limits.max_tracked)

    @property
    def tracked(self) -> tuple[int, int]:
        """(usernames, addresses) remembered now."""
        return len(self._users), len(self._addresses)

    def reserve(self, username: str, address: str, now: float) -> Attempt:
        """Count an attempt before its password is checked, or raise
        :class:`LoginThrottled`. Check and count happen in one step: nothing can slip
        in between."""
        wait = max(self._users.wait_for(username, now), self._addresses.wait_for(address, now))
        if wait > 0:
            raise LoginThrottled(max(1, math.ceil(wait)))
        attempt = Attempt(username, address, now)
        self._users.add(username, attempt)
        self._addresses.add(address, attempt)
        return attempt

    def failed(self, attempt: Attempt) -> None:
        """A wrong password: the attempt keeps counting until the window has passed."""
        attempt.failed = True

    def succeeded(self, attempt: Attempt) -> None:
        self._users.remove(attempt.username, attempt, with_failures=True)
        self._addresses.remove(attempt.address, attempt)

    def release(self, attempt: Attempt) -> None:
        """The password was never checked: the attempt does not count."""
        if not attempt.failed:
            self._users.remove(attempt.username, attempt)
            self._addresses.remove(attempt.address, attempt)
