"""The tracker across AMI logins and restarts, with junk input, and over many calls."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, cast

import pytest

from cti_bridge.core.calls import CallTracker
from tests.core.replay import (
    ASTERISK20,
    Feeder,
    Trace,
    abandoned,
    answered,
    brief,
    direct_call,
    is_agent,
    load,
    replay,
    withdrawn,
)

PHONE = "PJSIP/1001"


# -- FullyBooted: every AMI login sends it; only a restart forgets calls -------------


def _ringing_call(feeder: Feeder) -> None:
    t = feeder.trace
    _, phone = direct_call(t)
    t.state(phone, 5)
    feeder.run()


def _booted(uptime: str | None) -> dict[str, str]:
    event = {"Event": "FullyBooted", "Status": "Fully Booted"}
    if uptime is not None:
        event["Uptime"] = uptime
    return event


def test_reconnect_keeps_calls_in_progress() -> None:
    feeder = Feeder(Trace())
    assert feeder.feed(_booted("100"), now=1000.0) == []
    _ringing_call(feeder)
    # Logged in again 60.4 s later; Uptime went on with the clock (to the second).
    assert feeder.feed(_booted("160"), now=1060.4) == []
    assert feeder.feed(_booted("165"), now=1066.9) == []  # late delivery: within tolerance
    assert len(feeder.tracker.snapshot()) == 1
    feeder.trace.dial("DialEnd", "PJSIP/2001-00000001", "PJSIP/1001-00000002", "ANSWER")
    assert feeder.run() == [answered(PHONE)]


@pytest.mark.parametrize("uptime", [None, "", "soon", "nan", "-5", "inf"])
def test_fully_booted_without_a_usable_uptime_keeps_calls(uptime: str | None) -> None:
    feeder = Feeder(Trace())
    feeder.feed(_booted("100"), now=1000.0)
    _ringing_call(feeder)
    assert feeder.feed(_booted(uptime), now=2000.0) == []
    assert len(feeder.tracker.snapshot()) == 1


def test_restart_closes_every_call_and_forgets_it() -> None:
    feeder = Feeder(Trace())
    feeder.feed(_booted("100"), now=1000.0)
    _ringing_call(feeder)
    last_event_at = feeder.now
    closing = feeder.feed(_booted("3"), now=1500.0)
    assert [brief(e) for e in closing] == [
        withdrawn(PHONE, "caller_hangup"),
        abandoned("2001", "Bob"),
    ]
    assert {e.at for e in closing} == {last_event_at}  # when the old PBX was last heard
    assert len(feeder.tracker) == 0
    # Events of the dead PBX's channels are unknown now: skipped, nothing emitted.
    feeder.trace.hangup("PJSIP/1001-00000002")
    assert feeder.run() == []


def test_reset_closes_calls_and_returns_to_baseline() -> None:
    feeder = Feeder(Trace())
    _ringing_call(feeder)
    closing = feeder.tracker.reset(now=5000.0)
    assert [brief(e) for e in closing] == [
        withdrawn(PHONE, "caller_hangup"),
        abandoned("2001", "Bob"),
    ]
    assert all(e.at == 5000.0 for e in closing)
    assert len(feeder.tracker) == 0
    assert feeder.tracker.reset() == []


# -- robustness and memory ----------------------------------------------------------

JUNK: list[Any] = [
    {},
    {"Event": "Newexten", "Channel": "PJSIP/9-1", "Uniqueid": "x"},
    {"Event": ["not", "hashable"]},
    {"Event": "Newchannel"},
    {"Event": "Newchannel", "Channel": "", "Uniqueid": "u"},
    {"Event": "Hangup", "Uniqueid": "nobody"},
    {"Event": "Newstate", "Uniqueid": "nobody", "ChannelState": "bogus"},
    {"Event": "DialBegin", "DestUniqueid": "nobody", "Uniqueid": "none"},
    {"Event": "DialEnd", "DestUniqueid": "nobody"},
    {"Event": "DialState", "DialStatus": "RINGING"},
    {"Event": "AgentCalled", "Queue": "support"},
    {"Event": "AgentConnect", "DestUniqueid": ""},
    {"Event": "QueueCallerAbandon", "Uniqueid": "nobody"},
    {"Event": "LocalBridge", "LocalOneUniqueid": "a"},
    {"Event": "BridgeEnter", "Uniqueid": "nobody", "BridgeUniqueid": "b"},
    {"Event": "BridgeLeave", "BridgeUniqueid": "b"},
    {"Event": "AttendedTransfer", "OrigTransfererUniqueid": "x", "Result": "Success"},
    {"Event": "BlindTransfer", "TransfereeUniqueid": "nobody"},
    {"Event": "Pickup", "TargetUniqueid": "nobody"},
    {"Event": "Rename", "Uniqueid": "nobody", "Newname": "SIP/x-1"},
    {"Event": "NewCallerid"},
    {"Event": "FullyBooted", "Uptime": "soon"},
    {"Event": "UserEvent", "UserEvent": "X"},
]


def test_junk_between_real_events_changes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    raw = load(ASTERISK20 / "queue_ringall_answered.ami")
    mixed = [item for event in raw for item in (event, *JUNK)]
    tracker = CallTracker("pbx1", is_agent)
    out = []
    for now, event in enumerate(mixed):
        out.extend(tracker.feed(event, 1000.0 + now))
    assert [brief(e) for e in out] == [brief(e) for e in replay(raw)]
    assert len(tracker) == 0
    assert not caplog.records  # nothing blew up inside the tracker


def test_input_that_is_not_an_event_is_skipped() -> None:
    tracker = CallTracker("pbx1")
    for junk in (None, "Event: Newchannel", 42, ["Event"]):
        assert tracker.feed(cast(Mapping[str, str], junk), 1.0) == []


def test_a_late_duplicate_newchannel_does_not_resurrect_a_channel() -> None:
    t = Trace()
    caller = t.new("PJSIP/2001-00000001", None, "2001", "Bob")
    t.hangup(caller)
    t.events.append(dict(t.events[0]))  # the Newchannel again, after the Hangup
    feeder = Feeder(t)
    assert feeder.run() == [abandoned("2001", "Bob")]
    assert len(feeder.tracker) == 0


def test_memory_returns_to_baseline_after_each_of_many_calls() -> None:
    raw = load(ASTERISK20 / "queue_ringall_answered.ami")
    tracker = CallTracker("pbx1", is_agent)
    peak = 0
    for copy in range(300):
        for event in raw:
            renamed = {k: f"{copy}-{v}" if k.endswith("id") else v for k, v in event.items()}
            tracker.feed(renamed, 1000.0 + copy)
            peak = max(peak, len(tracker))
        assert len(tracker) == 0
    assert peak < 20
