"""The sliding window behind per-agent read limits, on plain numbers for time."""

from __future__ import annotations

from cti_bridge.core.ratelimit import SlidingWindow


def test_the_event_past_the_limit_waits_for_the_oldest_to_leave_the_window() -> None:
    window = SlidingWindow(window=60.0)
    assert [window.take("ann", 3, t) for t in (0.0, 10.0, 20.0)] == [0, 0, 0]
    assert window.take("ann", 3, 30.0) == 30  # the read at 0 leaves at 60
    assert window.take("ann", 3, 59.5) == 1  # never 0 while refused
    assert window.take("bob", 3, 30.0) == 0  # each key its own count
    assert window.take("ann", 3, 60.0) == 0
    assert window.take("ann", 3, 60.0) == 10  # refusals were not counted: 10, 20, 60 are


def test_no_limit_and_a_lowered_limit() -> None:
    window = SlidingWindow(window=60.0)
    assert all(window.take("ann", 0, float(t)) == 0 for t in range(1000))
    for t in range(5):
        window.take("sue", 5, float(t))
    assert window.take("sue", 2, 10.0) == 53  # only the newest two still count
