"""Single behaviours of the CallTracker, on small Asterisk-20-shaped event streams."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, cast

import pytest

from cti_bridge.core.calls import CallPhase, CallTracker
from cti_bridge.core.events import (
    CallAbandoned,
    CallEvent,
    CallOffered,
    Direction,
    OfferWithdrawn,
    Party,
    WithdrawReason,
)
from tests.core.replay import (
    ASTERISK20,
    CACOFONISK,
    Trace,
    abandoned,
    answered,
    assert_well_formed,
    brief,
    ended,
    is_agent,
    load,
    offered,
    replay,
    withdrawn,
)

L1, PHONE = "Local/agent1@agents", "PJSIP/1001"
JANE = ("+15551234567", "Jane Doe")


class Feeder:
    """A tracker fed from a Trace, 1 s per event, collecting everything it emits."""

    def __init__(self, trace: Trace, agent: Any = is_agent) -> None:
        self.trace = trace
        self.tracker = CallTracker("pbx1", agent)
        self.now = 1000.0
        self.fed = 0
        self.out: list[CallEvent] = []

    def run(self) -> list[tuple[str, ...]]:
        """Feed the events added since the last run; the brief events they produced."""
        new: list[CallEvent] = []
        for event in self.trace.events[self.fed :]:
            self.now += 1
            new.extend(self.tracker.feed(event, self.now))
        self.fed = len(self.trace.events)
        self.out.extend(new)
        return [brief(e) for e in new]

    def feed(self, event: Mapping[str, str], now: float | None = None) -> list[CallEvent]:
        self.now = self.now + 1 if now is None else now
        new = self.tracker.feed(event, self.now)
        self.out.extend(new)
        return new


def _queue_call(t: Trace) -> tuple[str, str, str, str]:
    """A caller in queue ``support`` ringing Local member agent1, whose ;2 rings PJSIP/1001."""
    caller = t.new("PJSIP/trunk-00000001", None, *JANE, exten="+18005550100")
    t.queue("QueueCallerJoin", caller, "support")
    one, two = t.local("Local/agent1@agents-00000002", caller)
    t.queue("AgentCalled", caller, "support", one)
    t.dial("DialBegin", caller, one)
    phone = t.new("PJSIP/1001-00000003", caller)
    t.dial("DialBegin", two, phone)
    return caller, one, two, phone


def test_local_member_and_the_phone_behind_it_are_both_offered_and_answered() -> None:
    t = Trace()
    caller, one, two, phone = _queue_call(t)
    feeder = Feeder(t)
    # AgentCalled pops the member at once; its phone pops when it really rings.
    assert feeder.run() == [offered(L1, *JANE)]
    t.state(phone, 5)
    t.state(one, 5)
    assert feeder.run() == [offered(PHONE, *JANE)]
    [live] = feeder.tracker.snapshot()
    assert (live.state, live.ringing, live.queue) == (CallPhase.RINGING, (L1, PHONE), "support")
    assert (live.caller, live.dialed, live.direction) == (Party(*JANE), "+18005550100", "inbound")
    t.state(phone, 6)
    t.dial("DialEnd", two, phone, "ANSWER")
    t.dial("DialEnd", caller, one, "ANSWER")
    t.queue("AgentConnect", caller, "support", one)
    for name, bridge in ((phone, "b1"), (two, "b1"), (one, "b2"), (caller, "b2")):
        t.bridge("BridgeEnter", name, bridge)
    assert feeder.run() == [answered(PHONE), answered(L1)]
    [live] = feeder.tracker.snapshot()
    assert (live.state, live.ringing, live.answered) == (CallPhase.TALKING, (), L1)
    for name in (phone, two, one, caller):
        t.hangup(name)
    assert feeder.run() == [ended(L1)]
    assert len(feeder.tracker) == 0
    assert feeder.tracker.snapshot() == []


def test_ring_timeout_next_round_then_abandon() -> None:
    t = Trace()
    caller, one, two, phone = _queue_call(t)
    t.state(phone, 5)
    feeder = Feeder(t)
    feeder.run()
    t.queue("AgentRingNoAnswer", caller, "support", one)
    t.dial("DialEnd", caller, one, "CANCEL")  # app_queue cancels after the timeout
    t.dial("DialEnd", two, phone, "CANCEL")  # which tears down the member's own dial
    for name in (phone, two, one):
        t.hangup(name)
    assert feeder.run() == [withdrawn(L1, "no_answer"), withdrawn(PHONE, "no_answer")]
    again, _ = t.local("Local/agent1@agents-00000004", caller)
    t.queue("AgentCalled", caller, "support", again)
    t.dial("DialBegin", caller, again)
    assert feeder.run() == [offered(L1, *JANE)]  # a new ring round: a new pop
    t.dial("DialEnd", caller, again, "CANCEL")
    t.queue("QueueCallerAbandon", caller, "support")
    t.hangup(caller)
    assert feeder.run() == [withdrawn(L1, "caller_hangup"), abandoned(*JANE)]
    end = feeder.out[-1]
    assert isinstance(end, CallAbandoned)
    assert end.queue == "support"
    assert_well_formed(feeder.out, complete=False)


def _direct_call(t: Trace) -> tuple[str, str]:
    caller = t.new("PJSIP/2001-00000001", None, "2001", "Bob", exten="1001")
    phone = t.new("PJSIP/1001-00000002", caller)
    t.dial("DialBegin", caller, phone)
    return caller, phone


def test_busy_phone_that_never_rang_gets_no_pop() -> None:
    t = Trace()
    caller, phone = _direct_call(t)
    t.dial("DialEnd", caller, phone, "BUSY")
    t.hangup(phone, "17")
    t.hangup(caller, "17")
    feeder = Feeder(t)
    assert feeder.run() == [abandoned("2001", "Bob")]
    assert feeder.out[0].call_id == f"pbx1:{t.linkedid(caller)}"


def test_early_media_rings_and_direct_call_is_internal() -> None:
    t = Trace()
    caller, phone = _direct_call(t)
    t.dial("DialState", caller, phone, "PROCEEDING")  # 100 Trying: not ringing yet
    feeder = Feeder(t)
    assert feeder.run() == []
    t.dial("DialState", caller, phone, "PROGRESS")  # 183 with ringback: it alerts
    assert feeder.run() == [offered(PHONE, "2001", "Bob")]
    offer = feeder.out[0]
    assert isinstance(offer, CallOffered)
    assert (offer.direction, offer.dialed, offer.queue) == (Direction.INTERNAL, "1001", None)


def test_auto_answering_phone_is_offered_then_answered() -> None:
    t = Trace()
    caller, phone = _direct_call(t)
    t.dial("DialEnd", caller, phone, "ANSWER")
    feeder = Feeder(t)
    assert feeder.run() == [offered(PHONE, "2001", "Bob"), answered(PHONE)]


@pytest.mark.parametrize(
    ("cause", "reason"), [("21", "no_answer"), ("19", "no_answer"), ("16", "caller_hangup")]
)
def test_ringing_channel_gone_without_dial_end(cause: str, reason: str) -> None:
    """Declined (busy, no answer, rejected) withdraws at once; otherwise the reason is
    settled by what the call does next (here the caller hangs up)."""
    t = Trace()
    caller, phone = _direct_call(t)
    t.state(phone, 5)
    t.hangup(phone, cause)
    t.hangup(caller)
    feeder = Feeder(t)
    assert feeder.run() == [
        offered(PHONE, "2001", "Bob"),
        withdrawn(PHONE, reason),
        abandoned("2001", "Bob"),
    ]


def test_answer_is_found_in_the_bridge_when_dial_end_is_missing() -> None:
    raw = load(CACOFONISK / "simple/ab_success_a_hangup.json")
    without = [e for e in raw if not (e["Event"] == "DialEnd" and e["DialStatus"] == "ANSWER")]
    assert [brief(e) for e in replay(without)] == [
        offered("SIP/150010002", "201", "Andrew Garza"),
        answered("SIP/150010002"),
        ended("SIP/150010002"),
    ]


def test_agent_connect_answers_when_dial_end_is_missing() -> None:
    raw = load(ASTERISK20 / "queue_ringall_answered.ami")
    without = [e for e in raw if e.get("DialStatus") != "ANSWER"]
    assert [brief(e) for e in replay(without)] == [brief(e) for e in replay(raw)]


def test_caller_leg_is_never_offered_even_if_everything_is_an_agent() -> None:
    out = replay(load(ASTERISK20 / "queue_ringall_answered.ami"), agent=lambda _i: True)
    offers = [e.interface for e in out if isinstance(e, CallOffered)]
    assert offers == ["Local/agent3@agents", "Local/agent2@agents", "Local/agent1@agents"]


def test_non_agents_are_tracked_silently_and_still_end() -> None:
    out = replay(load(ASTERISK20 / "queue_ringall_answered.ami"), agent=lambda _i: False)
    assert [brief(e) for e in out] == [ended()]


# -- FullyBooted: every AMI login sends it; only a restart forgets calls -------------


def _ringing_call(feeder: Feeder) -> None:
    t = feeder.trace
    _, phone = _direct_call(t)
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


def test_withdraw_reasons_are_the_domain_values() -> None:
    out = replay(load(CACOFONISK / "queue/queue_a_cancel.json"))
    [gone] = [e for e in out if isinstance(e, OfferWithdrawn)]
    assert gone.reason is WithdrawReason.CALLER_HANGUP
