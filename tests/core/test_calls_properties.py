"""Property: many recorded calls at once, shuffled together, with AMI's imperfections.

Several recordings (real ones and the hand-built scenarios; their Uniqueids, Linkedids and
bridge ids made distinct per copy) are interleaved at random, as concurrent calls are on
one AMI connection; events are duplicated, dropped (any but ``Hangup``: channels must go
away for memory to be freed) and junk and malformed dicts are mixed in. Whatever happens,
the tracker never raises, pops only agent interfaces that were rung in that call, never
ends a call twice (exactly once, as one interaction, when nothing was dropped) and
forgets everything once all channels have hung up. A second property cuts a gap into the
stream (the AMI link down) and resyncs from the channels a complete tracker knows.
"""

from __future__ import annotations

import logging
import random
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cti_bridge.core.calls import CallTracker, interface_of
from cti_bridge.core.events import CallEvent, CallOffered, OutboundStarted
from tests.core.replay import (
    ASTERISK20,
    CACOFONISK,
    HANDBUILT,
    AmiEvent,
    assert_well_formed,
    interactions,
    interleave,
    is_agent,
    load,
    recordings,
    with_unique_ids,
)

POOL = (
    recordings(ASTERISK20, "*.ami")
    + recordings(CACOFONISK, "*/*.json")
    + recordings(HANDBUILT, "*.ami")
)

JUNK: list[AmiEvent] = [
    {"Event": "Newexten", "Channel": "PJSIP/9-00000001", "Uniqueid": "elsewhere"},
    {"Event": "VarSet", "Variable": "X", "Value": "1"},
    {"Event": "Hangup", "Uniqueid": "never-seen"},
    {"Event": "DialEnd", "DestUniqueid": "never-seen", "DialStatus": "ANSWER"},
    {"Event": "Newstate", "Uniqueid": "never-seen", "ChannelState": "x"},
    {"Event": "AgentCalled"},
    {"Event": "BridgeEnter", "BridgeUniqueid": "nowhere"},
    {"Event": "SomethingNew", "Channel": "PJSIP/1001-00000001"},
    # Malformed: values that are not text, unhashable ids, missing or garbage headers.
    {"Event": "Newchannel", "Uniqueid": "m1", "Channel": None},  # type: ignore[dict-item]
    {"Event": "Newchannel", "Uniqueid": ["m2"], "Channel": "PJSIP/1001-1"},  # type: ignore[dict-item]
    {"Event": "Newchannel", "Uniqueid": "m3", "Channel": "PJSIP/1001-3", "CallerIDNum": 7},  # type: ignore[dict-item]
    {"Event": "Newchannel", "Uniqueid": "m4", "Linkedid": ["x"], "Channel": "PJSIP/1-4"},  # type: ignore[dict-item]
    {"Event": "Newstate", "Uniqueid": "m1", "ChannelState": 5},  # type: ignore[dict-item]
    {"Event": "DialBegin", "Uniqueid": None, "DestUniqueid": 3.5},  # type: ignore[dict-item]
    {"Event": None, "Uniqueid": "x"},  # type: ignore[dict-item]
    {"Event": "Hangup"},
    {"Event": "", "": ""},
    {"Event": "DialEnd", "DestUniqueid": "", "Uniqueid": "", "DialStatus": "ANSWER"},
]
NOT_EVENTS: list[object] = [None, 42, "Event: Newchannel", ["Event", "Hangup"], b"\r\n"]


# Events after which an interface may pop: a dial or the queue rings it, or it picks up.
# (The prefix of the rung channel's headers.)
RINGING_EVENTS = {"DialBegin": "Dest", "AgentCalled": "Dest", "Pickup": ""}


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
        if rnd.random() < junk / 4:
            out.append(rnd.choice(NOT_EVENTS))  # type: ignore[arg-type]
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
    if drop == 0.0:  # (with dials dropped, an answer may be the first sign of a ring)
        assert_popped_only_where_rung(stream, out)
    finished = [item.call_id for item in interactions(out)]
    assert len(finished) == len(set(finished)), "a call became two interactions"
    assert len(tracker) == 0
    assert tracker.snapshot() == []


def _tag(identifier: object) -> str:
    """The copy a (prefixed) id belongs to: ``c3-1795385817.0`` -> ``c3``."""
    return str(identifier).split("-", 1)[0]


def assert_popped_only_where_rung(stream: list[AmiEvent], out: list[CallEvent]) -> None:
    """Every pop (``CallOffered``/``OutboundStarted``) went to an interface that a dial or
    the queue rang in that copy of the call, that picked it up, or (attended transfer)
    that had called the transferring agent and is handed the caller."""
    rung = set()
    callers, attended = set(), set()
    for event in stream:
        if not isinstance(event, dict):
            continue
        name, kind = event.get("Channel"), event.get("Event")
        if kind == "Newchannel" and event.get("Uniqueid") == event.get("Linkedid"):
            callers.add((_tag(event.get("Uniqueid")), interface_of(str(name))))
        elif kind == "AttendedTransfer":
            attended.add(_tag(event.get("OrigTransfererUniqueid")))
        prefix = RINGING_EVENTS.get(kind)  # type: ignore[arg-type]
        name = event.get(f"{prefix}Channel")
        if prefix is not None and isinstance(name, str):
            rung.add((_tag(event.get(f"{prefix}Uniqueid")), interface_of(name)))
    rung |= {(tag, interface) for tag, interface in callers if tag in attended}
    for fact in out:
        if isinstance(fact, CallOffered | OutboundStarted):
            assert (_tag(fact.call_id.split(":", 1)[1]), fact.interface) in rung, fact


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


class ChannelList:
    """What ``CoreShowChannels`` would list at a point of the stream: every channel that
    appeared and has not hung up, with its latest snapshot and the bridge it is in."""

    _SNAPSHOT = ("Channel", "Linkedid", "ChannelState", "CallerIDNum", "CallerIDName", "Exten")

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, str]] = {}

    def see(self, event: AmiEvent) -> None:
        kind, uniqueid = event.get("Event"), event.get("Uniqueid", "")
        if kind == "Newchannel":
            self.rows[uniqueid] = {"Event": "CoreShowChannel", "Uniqueid": uniqueid, "BridgeId": ""}
        row = self.rows.get(uniqueid)
        if row is None:
            return
        if kind == "Hangup":
            del self.rows[uniqueid]
            return
        row.update({key: event[key] for key in self._SNAPSHOT if key in event})
        if kind == "BridgeEnter":
            row["BridgeId"] = event.get("BridgeUniqueid", "")
        elif kind == "BridgeLeave":
            row["BridgeId"] = ""
        elif kind == "Rename":
            row["Channel"] = event.get("Newname", row.get("Channel", ""))

    def snapshot(self) -> list[dict[str, str]]:
        return [dict(row, Duration="00:00:03") for row in self.rows.values()]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    picks=st.lists(st.integers(0, len(POOL) - 1), min_size=1, max_size=6),
    rnd=st.randoms(use_true_random=False),
    gap=st.tuples(st.floats(0, 1), st.floats(0, 0.5)),
    lag=st.integers(0, 12),
    snap_at=st.floats(0, 1),
)
def test_a_gap_then_resync_keeps_the_contract(
    picks: list[int], rnd: random.Random, gap: tuple[float, float], lag: int, snap_at: float
) -> None:
    """The link is down for a stretch of the stream (its events are lost); on login the
    tracker takes a mark and asks for the channel list; Asterisk lists the channels a few
    events later (``snap_at``), and the answer arrives ``lag`` live events after the
    request. Still every pop once, only to agents rung in that call, every call seen ends
    exactly once, nothing left behind."""
    streams = [with_unique_ids(_recording(index), f"c{tag}-") for tag, index in enumerate(picks)]
    stream = interleave(streams, rnd)
    start = int(gap[0] * len(stream))
    stop = min(len(stream), start + int(gap[1] * len(stream)))
    answer_at = min(len(stream), stop + lag)
    listed_at = stop + int(snap_at * (answer_at - stop))
    tracker = CallTracker("pbx1", is_agent)
    pbx = ChannelList()
    out: list[CallEvent] = []
    mark, listed = tracker.begin_resync(), pbx.snapshot()
    errors = _ErrorLog()
    logging.getLogger("cti_bridge").addHandler(errors)
    try:
        for step, event in enumerate([*stream, None]):
            now = 1_700_000_000.0 + step * 0.01
            if step == stop:
                mark = tracker.begin_resync()  # logged in again: the request goes out
            if step == listed_at:
                listed = pbx.snapshot()  # Asterisk lists its channels
            if step == answer_at:
                out.extend(tracker.resync(listed, now, since=mark))  # the answer is read
            if event is None:
                break
            pbx.see(event)
            if not start <= step < stop:
                out.extend(tracker.feed(event, now))
    finally:
        logging.getLogger("cti_bridge").removeHandler(errors)
    assert not errors.records, errors.records[0].getMessage()
    assert_well_formed(out)
    assert_popped_only_where_rung(stream, out)
    assert len(tracker) == 0
