"""``CallerIdentified``: an inbound caller's number is known before any agent rings (the
lookup can run while the caller waits in the IVR or a queue). Once per call, as its first
event, never for internal calls, click-to-dial or other originations, never without a
number; the call still ends like any other."""

from __future__ import annotations

from pathlib import Path

import pytest

from cti_bridge.core.calls import CallTracker
from cti_bridge.core.events import CallerIdentified, CallOffered, Party
from tests.core.replay import (
    ASTERISK20,
    CACOFONISK,
    HANDBUILT,
    Feeder,
    Trace,
    assert_well_formed,
    brief,
    direct_call,
    identified,
    identities,
    is_agent,
    load,
    replay,
)

TRUNK = "PJSIP/trunk-00000001"
JANE = ("+15551234567", "Jane Doe")


def briefs(feeder: Feeder) -> list[tuple[str, ...]]:
    """Everything fed so far, the identification included (``Feeder.run`` leaves it out)."""
    feeder.run()
    return [brief(event) for event in feeder.out]


def test_a_queue_caller_is_identified_on_their_channel_before_anything_rings() -> None:
    t = Trace()
    feeder = Feeder(t)
    caller = t.new(TRUNK, None, *JANE, exten="5550100")
    [event] = feeder.feed(t.events[-1], 10.0)
    assert event == CallerIdentified(
        call_id=f"pbx1:{t.linkedid(caller)}",
        caller=Party(number=JANE[0], name=JANE[1]),
        dialed="5550100",
        at=10.0,
        started_at=10.0,
    )
    feeder.fed = len(t.events)
    t.queue("QueueCallerJoin", caller, "support")
    phone = t.new("PJSIP/1001-00000002", caller)
    t.queue("AgentCalled", caller, "support", phone)
    assert feeder.run() == [("offered", "PJSIP/1001", *JANE, "")]
    t.queue("QueueCallerAbandon", caller, "support")
    t.hangup(phone)
    t.hangup(caller)
    feeder.run()
    assert identities(feeder.out) == {f"pbx1:{t.linkedid(caller)}": identified(*JANE)}
    assert_well_formed(feeder.out)
    assert len(feeder.tracker) == 0


def test_a_caller_id_set_later_identifies_the_caller_once() -> None:
    t = Trace()
    feeder = Feeder(t)
    caller = t.new(TRUNK, None, exten="5550100")  # no caller id yet
    assert briefs(feeder) == []
    t.callerid(caller, "anonymous", "")
    assert briefs(feeder) == []  # nobody to look up
    t.callerid(caller, *JANE)
    t.callerid(caller, "+15559999999", "Jane Doe")  # already said: not again
    assert briefs(feeder) == [identified(*JANE)]
    t.hangup(caller)
    assert briefs(feeder) == [identified(*JANE), ("abandoned", "+15559999999", "Jane Doe")]
    assert len(feeder.tracker) == 0


def test_an_agent_calling_a_colleague_is_not_identified() -> None:
    t = Trace()
    feeder = Feeder(t)
    caller, phone = direct_call(t)
    t.callerid(caller, "2001", "Bob")
    t.state(phone, 5)
    t.hangup(phone)
    t.hangup(caller)
    assert all(b[0] != "identified" for b in briefs(feeder))
    assert len(feeder.tracker) == 0


def test_an_originated_call_is_not_identified_even_through_a_local_channel() -> None:
    """A click-to-dial whose first channel is a Local half: Asterisk dials it itself
    (``DialBegin`` without a caller) before the caller id is set on its other half."""
    t = Trace()
    feeder = Feeder(t)
    one, two = t.local("Local/ID4@ctd-00000001", None)
    t.dial("DialBegin", None, one)
    t.callerid(two, "+15551234567", "")
    t.hangup(two)
    t.hangup(one)
    assert all(b[0] != "identified" for b in briefs(feeder))
    assert len(feeder.tracker) == 0


def test_a_phone_that_is_no_agents_picking_a_call_up_ends_its_own_call_quietly() -> None:
    """The picker's own (feature code) call was identified; it is orphaned by the pickup
    and ends as answered, not as an abandoned caller, and nothing is left behind."""
    agent = lambda interface: is_agent(interface) and interface != "PJSIP/1002"  # noqa: E731
    tracker = CallTracker("pbx1", agent)
    out = replay(load(HANDBUILT / "directed_pickup.ami"), tracker, agent=agent)
    assert [brief(e) for e in out if e.call_id.endswith(".2")] == [
        identified("1002", "Bob Agent"),
        ("ended", ""),
    ]
    assert_well_formed(out, agent)
    assert len(tracker) == 0


# Recordings: who is identified, per call in order of their first event.
RECORDED = {
    HANDBUILT / "asterisk22_queue_pjsip.ami": [JANE],
    HANDBUILT / "attended_transfer_to_agent.ami": [JANE],  # not the agents' consultation
    HANDBUILT / "click_to_dial_answered.ami": [],
    ASTERISK20 / "queue_ringall_answered.ami": [JANE],  # the caller's first channel: Local
    ASTERISK20 / "direct_answered.ami": [JANE],
    CACOFONISK / "originate/ctd-account-world.json": [],  # an Originate through a Local channel
    CACOFONISK / "queue/queue_simple.json": [("+31150010001", "")],
    CACOFONISK / "simple/ab_success_a_hangup.json": [],  # agent to agent
}


@pytest.mark.parametrize("path", list(RECORDED), ids=lambda p: p.stem)
def test_recordings_identify_exactly_their_inbound_callers(path: Path) -> None:
    out = replay(load(path))
    callers = [tuple(found[1:]) for found in identities(out).values()]
    assert callers == RECORDED[path]
    assert_well_formed(out)


def test_identification_comes_before_the_first_ring_of_its_call() -> None:
    out = replay(load(HANDBUILT / "asterisk22_queue_pjsip.ami"))
    first = next(i for i, e in enumerate(out) if isinstance(e, CallOffered))
    assert isinstance(out[0], CallerIdentified) and first > 0
