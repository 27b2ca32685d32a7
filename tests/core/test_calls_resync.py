"""Resync: the tracker catches up from ``CoreShowChannels`` after a gap in the AMI stream.

Each test builds a call live (a Trace), then a snapshot of the channels as Asterisk would
list them after some events were lost, and checks what ``resync`` tells: what happened in
the gap, once, and nothing that was already told.
"""

from __future__ import annotations

import logging
from typing import Any, cast

import pytest

from cti_bridge.core.calls import CallTracker
from cti_bridge.core.events import CallerIdentified, CallOffered
from cti_bridge.core.resync import duration
from tests.core.replay import (
    Feeder,
    Trace,
    abandoned,
    answered,
    assert_well_formed,
    brief,
    direct_call,
    ended,
    identified,
    is_agent,
    offered,
    transferred,
    withdrawn,
)

PHONE, OTHER, JANE = "PJSIP/1001", "PJSIP/1002", ("+15551234567", "Jane Doe")
BOB = ("2001", "Bob")


def row(
    t: Trace,
    name: str,
    state: int,
    *,
    bridge: str = "",
    app: str = "",
    data: str = "",
    age: int = 5,
) -> dict[str, str]:
    """``name``'s ``CoreShowChannel`` as Asterisk 20 lists it."""
    return {
        "Event": "CoreShowChannel",
        "ActionID": "cti-pbx1-7",
        **t.snap(name),
        "ChannelState": str(state),
        "Context": "from-internal",
        "Exten": "1001",
        "Priority": "1",
        "BridgeId": bridge,
        "Application": app,
        "ApplicationData": data,
        "Duration": f"00:00:{age:02d}",
    }


def briefs(events: list[Any]) -> list[tuple[str, ...]]:
    return [brief(e) for e in events]


def _ringing(feeder: Feeder) -> tuple[str, str]:
    caller, phone = direct_call(feeder.trace)
    feeder.trace.state(phone, 5)
    assert feeder.run() == [offered(PHONE, *BOB)]
    return caller, phone


def _talking(feeder: Feeder) -> tuple[str, str]:
    caller, phone = _ringing(feeder)
    t = feeder.trace
    t.dial("DialEnd", caller, phone, "ANSWER")
    t.bridge("BridgeEnter", phone, "b1")
    t.bridge("BridgeEnter", caller, "b1")
    assert feeder.run() == [answered(PHONE)]
    return caller, phone


def test_nothing_changed_in_the_gap_tells_nothing_twice() -> None:
    feeder = Feeder(Trace())
    caller, phone = _ringing(feeder)
    t = feeder.trace
    snapshot = [row(t, caller, 4, app="Dial", data="PJSIP/1001"), row(t, phone, 5)]
    assert feeder.tracker.resync(snapshot, 2000.0) == []
    assert feeder.tracker.resync(snapshot, 2001.0) == []
    assert len(feeder.tracker.snapshot()) == 1


def test_answer_during_the_gap_is_told_at_resync() -> None:
    feeder = Feeder(Trace())
    caller, phone = _ringing(feeder)
    t = feeder.trace
    snapshot = [row(t, caller, 6, bridge="b1", app="Dial"), row(t, phone, 6, bridge="b1")]
    assert briefs(feeder.tracker.resync(snapshot, 2000.0)) == [answered(PHONE)]
    # Live events go on after the resync: the call ends as usual, once.
    t.hangup(phone)
    t.hangup(caller)
    assert feeder.run() == [ended(PHONE)]
    assert len(feeder.tracker) == 0


def test_call_over_during_the_gap_is_closed() -> None:
    feeder = Feeder(Trace())
    _ringing(feeder)
    out = feeder.tracker.resync([], 2000.0)
    assert briefs(out) == [withdrawn(PHONE, "caller_hangup"), abandoned(*BOB)]
    assert {e.at for e in out} == {2000.0}
    assert len(feeder.tracker) == 0


def test_ring_moved_on_during_the_gap() -> None:
    """A ring round in the gap: the first phone stopped, the next one rings."""
    feeder = Feeder(Trace())
    caller, _ = _ringing(feeder)
    t = feeder.trace
    other = t.new("PJSIP/1002-00000003", caller)
    snapshot = [row(t, caller, 4, app="Dial"), row(t, other, 5)]
    out = feeder.tracker.resync(snapshot, 2000.0)
    assert briefs(out) == [offered(OTHER, *BOB), withdrawn(PHONE, "no_answer")]


def test_transfer_during_the_gap_hands_the_caller_over() -> None:
    feeder = Feeder(Trace())
    caller, _phone = _talking(feeder)
    t = feeder.trace
    other = t.new("PJSIP/1002-00000003", caller)
    snapshot = [row(t, caller, 6, app="Dial"), row(t, other, 5)]
    out = feeder.tracker.resync(snapshot, 2000.0)
    assert briefs(out) == [transferred(PHONE, OTHER, "blind"), offered(OTHER, *BOB, PHONE)]
    feeder.out.extend(out)
    t.dial("DialEnd", caller, other, "ANSWER")
    t.hangup(other)
    t.hangup(caller)
    assert feeder.run() == [answered(OTHER), ended(OTHER)]
    assert_well_formed(feeder.out)


def _queue_call_snapshot(t: Trace) -> tuple[list[dict[str, str]], str, str]:
    """A queue call that began while we were away: caller in Queue, member ringing."""
    caller = t.new("PJSIP/trunk-00000001", None, *JANE, exten="+18005550100")
    member = t.new("PJSIP/1001-00000002", caller, *JANE)
    snapshot = [
        row(t, member, 5, age=3),
        row(t, caller, 4, app="Queue", data="support,tT,,,300", age=40),
    ]
    return snapshot, caller, member


def test_call_that_began_in_the_gap_pops_the_ringing_agent_and_is_tracked() -> None:
    t = Trace()
    snapshot, caller, member = _queue_call_snapshot(t)
    tracker = CallTracker("pbx1", is_agent)
    out = tracker.resync(snapshot, 5000.0)
    assert briefs(out) == [identified(*JANE), offered(PHONE, *JANE)]
    offer = out[1]
    assert isinstance(offer, CallOffered)
    assert (offer.queue, offer.started_at, offer.call_id) == (
        "support",
        4960.0,
        f"pbx1:{t.linkedid(caller)}",
    )
    feeder = Feeder(Trace(), is_agent)
    feeder.tracker = tracker
    feeder.trace = t
    feeder.fed = len(t.events)
    t.queue("AgentConnect", caller, "support", member)
    t.hangup(member)
    t.hangup(caller)
    assert feeder.run() == [answered(PHONE), ended(PHONE)]
    assert len(tracker) == 0


def test_queue_status_names_the_queue_of_a_waiting_caller() -> None:
    t = Trace()
    snapshot, caller, _ = _queue_call_snapshot(t)
    snapshot[1]["Application"] = "AppQueue"  # not told by the channel list
    entries = [{"Event": "QueueEntry", "Queue": "sales", "Uniqueid": t.uniqueid(caller)}]
    tracker = CallTracker("pbx1", is_agent)
    [who, offer] = tracker.resync(snapshot, 5000.0, queue_entries=entries)
    assert isinstance(who, CallerIdentified)
    assert isinstance(offer, CallOffered)
    assert offer.queue == "sales"


def test_daemon_restart_mid_call_pops_the_talking_agent_once() -> None:
    t = Trace()
    caller, phone = direct_call(t)
    snapshot = [row(t, caller, 6, bridge="b9", app="Dial"), row(t, phone, 6, bridge="b9")]
    tracker = CallTracker("pbx1", is_agent)
    assert briefs(tracker.resync(snapshot, 100.0)) == [offered(PHONE, *BOB), answered(PHONE)]
    assert tracker.resync(snapshot, 101.0) == []
    [live] = tracker.snapshot()
    assert (live.state, live.answered) == ("talking", PHONE)


def test_channel_created_after_the_snapshot_is_not_declared_gone() -> None:
    feeder = Feeder(Trace())
    caller, phone = direct_call(feeder.trace)
    mark = feeder.tracker.begin_resync()  # asked for the snapshot here...
    t = feeder.trace
    feeder.run()
    late = t.new("PJSIP/1002-00000009", None, "2002", "Ann")  # ...a call starts meanwhile
    feeder.run()
    snapshot = [row(t, caller, 4, app="Dial"), row(t, phone, 0)]
    assert feeder.tracker.resync(snapshot, 2000.0, since=mark) == []
    assert len(feeder.tracker.snapshot()) == 2
    t.hangup(late)
    assert feeder.run() == [abandoned("2002", "Ann")]


def test_restart_of_asterisk_then_resync_closes_stale_and_picks_up_new() -> None:
    feeder = Feeder(Trace())
    feeder.feed({"Event": "FullyBooted", "Uptime": "100"}, 1000.0)
    _ringing(feeder)
    closing = feeder.feed({"Event": "FullyBooted", "Uptime": "2"}, 3000.0)
    assert briefs(closing) == [withdrawn(PHONE, "caller_hangup"), abandoned(*BOB)]
    fresh = Trace("1800000000")
    snapshot, _, _ = _queue_call_snapshot(fresh)
    out = feeder.tracker.resync(snapshot, 3001.0)
    assert briefs(out) == [identified(*JANE), offered(PHONE, *JANE)]


def test_local_member_halves_are_paired_and_both_answer() -> None:
    """A Local queue member after a restart: ``;1`` talks to the caller, ``;2`` to the phone."""
    t = Trace()
    caller = t.new("PJSIP/trunk-00000001", None, *JANE)
    one = t.new("Local/agent1@agents-00000002;1", caller)
    two = t.new("Local/agent1@agents-00000002;2", caller)
    phone = t.new("PJSIP/1001-00000003", caller)
    snapshot = [
        row(t, caller, 6, bridge="b1", app="Queue", data="support"),
        row(t, one, 6, bridge="b1", app="AppQueue"),
        row(t, two, 6, bridge="b2", app="Dial"),
        row(t, phone, 6, bridge="b2", app="AppDial"),
    ]
    tracker = CallTracker("pbx1", is_agent)
    out = tracker.resync(snapshot, 100.0)
    local = "Local/agent1@agents"
    assert briefs(out) == [
        identified(*JANE),
        offered(local, *JANE),
        answered(local),
        offered(PHONE, *JANE),
        answered(PHONE),
    ]


JUNK: list[Any] = [
    None,
    42,
    "x",
    {},
    {"Uniqueid": "u"},
    {"Channel": "PJSIP/1-1"},
    {"Uniqueid": 5, "Channel": []},
]


def test_junk_rows_are_skipped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    feeder = Feeder(Trace())
    caller, phone = _ringing(feeder)
    t = feeder.trace
    rows = [*JUNK, row(t, caller, 4), row(t, phone, 5), {**row(t, phone, 5), "Duration": "x"}]
    assert feeder.tracker.resync(cast(list[dict[str, str]], rows), 2000.0, queue_entries=JUNK) == []
    assert not caplog.records


@pytest.mark.parametrize(
    ("text", "seconds"), [("00:01:05", 65.0), ("12", 12.0), ("", None), ("1:x", None), (None, None)]
)
def test_duration(text: str | None, seconds: float | None) -> None:
    assert duration(text) == seconds


def test_live_events_while_the_snapshot_is_on_its_way_win() -> None:
    """The phone answers (live) after Asterisk listed it as ringing: the older snapshot
    must neither undo the answer nor take the phone out of its bridge."""
    feeder = Feeder(Trace())
    caller, phone = _ringing(feeder)
    t = feeder.trace
    mark = feeder.tracker.begin_resync()
    snapshot = [row(t, caller, 4, app="Dial"), row(t, phone, 5)]  # taken while ringing
    t.dial("DialEnd", caller, phone, "ANSWER")
    t.bridge("BridgeEnter", phone, "b1")
    t.bridge("BridgeEnter", caller, "b1")
    assert feeder.run() == [answered(PHONE)]
    assert feeder.tracker.resync(snapshot, 2000.0, since=mark) == []
    [live] = feeder.tracker.snapshot()
    assert (live.state, live.answered) == ("talking", PHONE)
    other = t.new("PJSIP/1002-00000005", caller)  # a later ring is no hand-over
    t.dial("DialBegin", caller, other)
    t.state(other, 5)
    assert feeder.run() == [offered(OTHER, *BOB)]


def test_a_cancelled_mark_stops_noting_live_events() -> None:
    feeder = Feeder(Trace())
    _ringing(feeder)
    mark = feeder.tracker.begin_resync()
    feeder.tracker.cancel_resync(mark)
    feeder.trace.state(feeder.trace.events[-1]["Channel"], 6)
    feeder.run()
    assert mark.touched == set()


def test_the_transferring_caller_is_not_answered_by_a_stale_listing() -> None:
    """Bob (an agent's phone) called 1001 and blind-transferred her: 1001 is now the party
    served. A listing taken just before still shows Bob in the bridge: Bob, never dialled,
    is not a new answer of the call."""
    feeder = Feeder(Trace())
    caller, phone = _talking(feeder)
    t = feeder.trace
    mark = feeder.tracker.begin_resync()
    listing = [row(t, caller, 6, bridge="b1"), row(t, phone, 6, bridge="b1")]
    t.add(
        "BlindTransfer",
        Result="Success",
        **t.snap(caller, "Transferer"),
        **t.snap(phone, "Transferee"),
    )
    feeder.run()
    assert feeder.tracker.resync(listing, 2000.0, since=mark) == []
