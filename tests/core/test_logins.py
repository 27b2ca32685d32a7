"""The login throttle's bookkeeping: counted at the start, bounded in memory."""

from __future__ import annotations

import pytest

from cti_bridge.core.logins import LoginLimits, LoginThrottle, LoginThrottled

LIMITS = LoginLimits(per_username=3, per_address=5, window=60.0, max_tracked=100)


def test_attempts_in_flight_count_and_a_refusal_says_when_to_retry() -> None:
    throttle = LoginThrottle(LIMITS)
    for _ in range(3):
        throttle.reserve("bob", "10.0.0.1", 0.0)  # none answered yet
    with pytest.raises(LoginThrottled) as refused:
        throttle.reserve("bob", "10.0.0.2", 20.0)
    assert refused.value.retry_after == 40
    throttle.reserve("bob", "10.0.0.2", 60.0)  # the window has passed


def test_a_right_password_clears_failures_but_not_guesses_still_in_flight() -> None:
    throttle = LoginThrottle(LIMITS)
    wrong = throttle.reserve("bob", "10.0.0.1", 0.0)
    throttle.failed(wrong)
    in_flight = throttle.reserve("bob", "10.0.0.9", 1.0)
    owner = throttle.reserve("bob", "10.0.0.2", 2.0)
    throttle.succeeded(owner)
    throttle.reserve("bob", "10.0.0.2", 3.0)
    throttle.reserve("bob", "10.0.0.2", 3.0)
    with pytest.raises(LoginThrottled):  # the guess in flight still counts
        throttle.reserve("bob", "10.0.0.2", 3.0)
    throttle.release(in_flight)
    throttle.reserve("bob", "10.0.0.2", 3.0)


def test_a_right_password_does_not_clear_its_address() -> None:
    throttle = LoginThrottle(LIMITS)
    for n in range(4):
        throttle.failed(throttle.reserve(f"user{n}", "10.0.0.1", 0.0))
    throttle.succeeded(throttle.reserve("ann", "10.0.0.1", 1.0))
    throttle.failed(throttle.reserve("user9", "10.0.0.1", 1.0))
    with pytest.raises(LoginThrottled):
        throttle.reserve("ann", "10.0.0.1", 2.0)


def test_random_usernames_cannot_grow_memory_without_limit() -> None:
    throttle = LoginThrottle(LIMITS)
    for n in range(20_000):
        throttle.failed(throttle.reserve(f"user{n}", f"10.{n // 256 % 256}.{n % 256}.1", 0.0))
    assert throttle.tracked == (100, 100)
