"""The pop path's scheduling policy (core/pacing.py) on a controlled clock."""

from __future__ import annotations

import pytest

from cti_bridge.core.pacing import (
    BACKLOG_LIMIT,
    POP_GAP_SECONDS,
    WRITE_STEP_SECONDS,
    WRITE_WAIT_MAX_SECONDS,
    PopPacing,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_started_worker_is_one_turn_request_taken_once() -> None:
    pacing = PopPacing(Clock())
    assert pacing.take_turn_request() is False
    pacing.worker_started()
    pacing.worker_started()
    assert pacing.take_turn_request() is True
    assert pacing.take_turn_request() is False


def test_a_pop_is_in_flight_while_built_and_for_the_gap_after_it_went_out() -> None:
    clock = Clock()
    pacing = PopPacing(clock)
    assert not pacing.pops_in_flight()
    with pacing.building():
        with pacing.building():  # two pops of one ringall
            assert pacing.pops_in_flight()
        assert pacing.pops_in_flight()
        pacing.sent()
    assert pacing.pops_in_flight()  # the gap after the last one went out
    clock.now += POP_GAP_SECONDS / 2
    assert pacing.pops_in_flight()
    clock.now += POP_GAP_SECONDS
    assert not pacing.pops_in_flight()


def test_a_pop_that_failed_while_built_does_not_hold_the_writes() -> None:
    pacing = PopPacing(Clock())
    with pytest.raises(RuntimeError), pacing.building():
        raise RuntimeError("lookup failed")
    assert not pacing.pops_in_flight()


def test_a_write_waits_for_pops_but_never_past_its_limit_or_a_long_backlog() -> None:
    pacing = PopPacing(Clock())
    assert not pacing.write_waits(0.0, 0)  # no pop: write at once
    with pacing.building():
        assert pacing.write_waits(0.0, 0)
        assert pacing.write_waits(WRITE_WAIT_MAX_SECONDS - WRITE_STEP_SECONDS, 10)
        assert not pacing.write_waits(WRITE_WAIT_MAX_SECONDS, 0)
        assert not pacing.write_waits(0.0, BACKLOG_LIMIT)
