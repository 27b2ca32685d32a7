"""Property: many recorded calls at once, shuffled together, with AMI's imperfections.

Several recordings (their Uniqueids, Linkedids and bridge ids made distinct per copy) are
interleaved at random, as concurrent calls are on one AMI connection; events are
duplicated, dropped (any but ``Hangup``: channels must go away for memory to be freed)
and junk is mixed in. Whatever happens, the tracker never raises, offers only agents,
never ends a call twice (exactly once when nothing was dropped) and forgets everything
once all channels have hung up.
"""

from __future__ import annotations

import logging
import random
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cti_bridge.core.calls import CallTracker
from cti_bridge.core.events import CallEvent
from tests.core.replay import (
    ASTERISK20,
    CACOFONISK,
    AmiEvent,
    assert_well_formed,
    interleave,
    is_agent,
    load,
    recordings,
    with_unique_ids,
)

POOL = recordings(ASTERISK20, "*.ami") + recordings(CACOFONISK, "*/*.json")

JUNK: list[AmiEvent] = [
    {"Event": "Newexten", "Channel": "PJSIP/9-00000001", "Uniqueid": "elsewhere"},
    {"Event": "VarSet", "Variable": "X", "Value": "1"},
    {"Event": "Hangup", "Uniqueid": "never-seen"},
    {"Event": "DialEnd", "DestUniqueid": "never-seen", "DialStatus": "ANSWER"},
    {"Event": "Newstate", "Uniqueid": "never-seen", "ChannelState": "x"},
    {"Event": "AgentCalled"},
    {"Event": "BridgeEnter", "BridgeUniqueid": "nowhere"},
    {"Event": "SomethingNew", "Channel": "PJSIP/1001-00000001"},
]


@cache
def _recording(index: int) -> tuple[AmiEvent, ...]:
    """A recording without FullyBooted (logins are tested on their own)."""
    return tuple(e for e in load(POOL[index]) if e["Event"] != "FullyBooted")


def _perturb(
    events: list[AmiEvent], rnd: random.Random, duplicate: float, drop: float, junk: float
) -> list[AmiEvent]:
    """Duplicate (now or a few events later), drop (never a Hangup) and add junk."""
    out: list[AmiEvent] = []
    later: list[tuple[int, AmiEvent]] = []
    for position, event in enumerate(events):
        if event["Event"] == "Hangup" or rnd.random() >= drop:
            out.append(event)
        if rnd.random() < duplicate:
            later.append((position + rnd.randint(0, 3), dict(event)))
        out.extend(copy for due, copy in later if due <= position)
        later = [(due, copy) for due, copy in later if due > position]
        if rnd.random() < junk:
            out.append(rnd.choice(JUNK))
    out.extend(copy for _, copy in later)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    picks=st.lists(st.integers(0, len(POOL) - 1), min_size=1, max_size=6),
    rnd=st.randoms(use_true_random=False),
    duplicate=st.sampled_from([0.0, 0.05, 0.3]),
    drop=st.sampled_from([0.0, 0.0, 0.05, 0.3]),
    junk=st.sampled_from([0.0, 0.1]),
)
def test_interleaved_imperfect_streams_keep_the_contract(
    picks: list[int], rnd: random.Random, duplicate: float, drop: float, junk: float
) -> None:
    streams = [with_unique_ids(_recording(index), f"c{tag}-") for tag, index in enumerate(picks)]
    stream = _perturb(interleave(streams, rnd), rnd, duplicate, drop, junk)
    tracker = CallTracker("pbx1", is_agent)
    out: list[CallEvent] = []
    errors = _ErrorLog()
    logger = logging.getLogger("cti_bridge")
    logger.addHandler(errors)
    try:
        for step, event in enumerate(stream):
            out.extend(tracker.feed(event, 1_700_000_000.0 + step * 0.01))
    finally:
        logger.removeHandler(errors)
    assert not errors.records, errors.records[0].getMessage()
    assert_well_formed(out, complete=drop == 0.0)
    assert len(tracker) == 0
    assert tracker.snapshot() == []


class _ErrorLog(logging.Handler):
    """Collects ERROR records: the tracker logs one when a handler raised (a bug)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.parametrize("copies", [1, 40])
def test_many_copies_of_every_recording_at_once(copies: int) -> None:
    """All recordings, ``copies`` times each, interleaved: every call ends exactly once."""
    rnd = random.Random(copies)
    streams = [
        with_unique_ids(_recording(index), f"c{tag}.{index}-")
        for tag in range(copies)
        for index in range(len(POOL))
    ]
    tracker = CallTracker("pbx1", is_agent)
    out: list[CallEvent] = []
    for step, event in enumerate(interleave(streams, rnd)):
        out.extend(tracker.feed(event, 1_700_000_000.0 + step * 0.001))
    assert_well_formed(out)
    assert len(tracker) == 0
