"""Single behaviours of the CallTracker, on small Asterisk-20-shaped event streams."""

from __future__ import annotations

import pytest

from cti_bridge.core.calls import CallPhase
from cti_bridge.core.events import (
    CallAbandoned,
    CallOffered,
    Direction,
    OfferWithdrawn,
    Party,
    WithdrawReason,
)
from tests.core.replay import (
    ASTERISK20,
    CACOFONISK,
    Feeder,
    Trace,
    abandoned,
    answered,
    assert_well_formed,
    brief,
    direct_call,
    ended,
    identified,
    load,
    offered,
    replay,
    withdrawn,
)

L1, PHONE = "Local/agent1@agents", "PJSIP/1001"
JANE = ("+15551234567", "Jane Doe")


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
    assert (live.caller, live.dialed, live.direction) == (
        Party(number=JANE[0], name=JANE[1]),
        "+18005550100",
        "inbound",
    )
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


def test_busy_phone_that_never_rang_gets_no_pop() -> None:
    t = Trace()
    caller, phone = direct_call(t)
    t.dial("DialEnd", caller, phone, "BUSY")
    t.hangup(phone, "17")
    t.hangup(caller, "17")
    feeder = Feeder(t)
    assert feeder.run() == [abandoned("2001", "Bob")]
    assert feeder.out[0].call_id == f"pbx1:{t.linkedid(caller)}"


def test_early_media_rings_and_direct_call_is_internal() -> None:
    t = Trace()
    caller, phone = direct_call(t)
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
    caller, phone = direct_call(t)
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
    caller, phone = direct_call(t)
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
    # No agent rings, but the caller is known: the lookup could start, the call ends.
    assert [brief(e) for e in out] == [identified(*JANE), ended()]


def test_withdraw_reasons_are_the_domain_values() -> None:
    out = replay(load(CACOFONISK / "queue/queue_a_cancel.json"))
    [gone] = [e for e in out if isinstance(e, OfferWithdrawn)]
    assert gone.reason is WithdrawReason.CALLER_HANGUP


def test_redirect_to_another_agent_is_a_transfer() -> None:
    """An AMI Redirect sends no transfer event: the caller leaves the agent's bridge and
    its channel dials again (same Linkedid). The new ring is a hand-over all the same."""
    t = Trace()
    caller, phone = direct_call(t)
    t.dial("DialEnd", caller, phone, "ANSWER")
    t.bridge("BridgeEnter", phone, "b1")
    t.bridge("BridgeEnter", caller, "b1")
    t.bridge("BridgeLeave", caller, "b1")  # the Redirect
    t.hangup(phone)
    other = t.new("PJSIP/1002-00000003", caller)
    t.dial("DialBegin", caller, other)
    t.state(other, 5)
    feeder = Feeder(t)
    assert feeder.run() == [
        offered(PHONE, "2001", "Bob"),
        answered(PHONE),
        ("transferred", PHONE, "PJSIP/1002", "blind"),
        offered("PJSIP/1002", "2001", "Bob", PHONE),
    ]
    [live] = feeder.tracker.snapshot()
    assert (live.state, live.ringing, live.answered) == (CallPhase.RINGING, ("PJSIP/1002",), PHONE)
    t.dial("DialEnd", caller, other, "ANSWER")
    t.hangup(caller)
    t.hangup(other)
    assert feeder.run() == [answered("PJSIP/1002"), ended("PJSIP/1002")]
    assert feeder.tracker.snapshot() == []


def test_pickup_event_withdraws_the_picked_ring() -> None:
    t = Trace()
    _, phone = direct_call(t)
    t.state(phone, 5)
    picker = t.new("PJSIP/1003-00000003", None, "1003", "Carol", exten="*8")
    t.add("Pickup", **t.snap(picker), **t.snap(phone, "Target"))
    feeder = Feeder(t)
    assert feeder.run() == [offered(PHONE, "2001", "Bob"), withdrawn(PHONE, "picked_up")]


def test_caller_id_set_on_the_dialplan_half_of_an_originated_caller() -> None:
    t = Trace()
    one, two = t.local("Local/s@from-pstn-00000000", None)
    t.dial("DialBegin", None, one)  # Originate's own leg: never offered
    t.callerid(two, *JANE)
    t.queue("QueueCallerJoin", two, "support")
    member = t.new("PJSIP/1001-00000001", one)
    t.queue("AgentCalled", two, "support", member)
    t.hangup(two)
    t.hangup(member)
    t.hangup(one)
    feeder = Feeder(t, agent=lambda _interface: True)
    assert feeder.run() == [
        offered(PHONE, *JANE),
        withdrawn(PHONE, "caller_hangup"),
        abandoned(*JANE),
    ]
