"""Click-to-dial: ``Originate`` from the agent's interface, then the agent's ``Dial()`` out.

Shaped like Asterisk 20 (see ``cti_bridge/core/outbound.py`` and the simulator's
``pbxsim/originate.py``): the agent's own ring has a ``DialBegin`` with only the ``Dest*``
block and must pop nobody; the pop is ``OutboundStarted`` when the agent's channel dials
the customer, and the call then ends like any other, as one interaction.
"""

from __future__ import annotations

from cti_bridge.core.events import (
    CallAnswered,
    CallEnded,
    CallOffered,
    Direction,
    OutboundStarted,
)
from cti_bridge.core.outbound import number_in_dial_string
from tests.core.replay import (
    Feeder,
    Trace,
    abandoned,
    answered,
    assert_well_formed,
    ended,
    interactions,
    offered,
    outbound,
    transferred,
    withdrawn,
)

AGENT, OTHER, CUSTOMER = "PJSIP/1001", "PJSIP/1002", "+15551234567"


def _originate(t: Trace, answer_agent: bool = True) -> tuple[str, str | None]:
    """The agent's phone rung by Originate; if answered, its Dial() to the trunk."""
    agent = t.new(f"{AGENT}-00000001", None, CUSTOMER, "<unknown>", exten="s")
    t.dial("DialBegin", None, agent, DialString="1001")
    t.state(agent, 5)
    t.dial("DialState", None, agent, "RINGING")
    if not answer_agent:
        t.dial("DialEnd", None, agent, "CANCEL")
        t.hangup(agent)
        return agent, None
    t.state(agent, 6)
    t.dial("DialEnd", None, agent, "ANSWER")
    t.add("OriginateResponse", Response="Success", Reason="4", **t.snap(agent))
    trunk = t.new("PJSIP/trunk-00000002", agent, CUSTOMER, "<unknown>")
    t.dial("DialBegin", agent, trunk, Exten=CUSTOMER, DialString=f"trunk/{CUSTOMER}")
    t.state(trunk, 5)
    t.dial("DialState", agent, trunk, "RINGING", Exten=CUSTOMER)
    return agent, trunk


def test_agent_gets_an_outbound_pop_not_an_inbound_one_and_the_call_is_logged() -> None:
    t = Trace()
    agent, trunk = _originate(t)
    assert trunk is not None
    feeder = Feeder(t)
    assert feeder.run() == [outbound(AGENT, CUSTOMER)]
    [live] = feeder.tracker.snapshot()
    assert (live.direction, live.dialed, live.caller.number) == ("outbound", CUSTOMER, CUSTOMER)
    t.state(trunk, 6)
    t.dial("DialEnd", agent, trunk, "ANSWER", Exten=CUSTOMER)
    t.bridge("BridgeEnter", agent, "b1")
    t.bridge("BridgeEnter", trunk, "b1")
    assert feeder.run() == [answered(AGENT)]
    t.hangup(trunk)
    t.hangup(agent)
    assert feeder.run() == [ended(AGENT)]
    start = feeder.out[0]
    assert isinstance(start, OutboundStarted)
    assert start.started_at < start.at  # the agent's own ring came first
    assert_well_formed(feeder.out)
    [call] = interactions(feeder.out)
    assert call.outcome == "answered"
    [leg] = call.legs
    assert (leg.interface, leg.direction, leg.state) == (AGENT, Direction.OUTBOUND, "ended")
    assert leg.answered_at is not None
    assert len(feeder.tracker) == 0


def test_customer_not_answering_is_a_withdrawn_outbound_pop() -> None:
    t = Trace()
    agent, trunk = _originate(t)
    assert trunk is not None
    t.dial("DialEnd", agent, trunk, "NOANSWER", Exten=CUSTOMER)
    t.hangup(trunk, "19")
    t.hangup(agent)
    feeder = Feeder(t)
    assert feeder.run() == [
        outbound(AGENT, CUSTOMER),
        withdrawn(AGENT, "no_answer"),
        abandoned(CUSTOMER),
    ]
    assert_well_formed(feeder.out)
    [call] = interactions(feeder.out)
    assert (call.outcome, call.legs[0].state) == ("abandoned", "missed")


def test_agent_not_answering_its_own_phone_pops_nobody() -> None:
    t = Trace()
    _originate(t, answer_agent=False)
    feeder = Feeder(t)
    # The call existed (one interaction, abandoned) but no agent was ever offered it.
    assert [e[0] for e in feeder.run()] == ["abandoned"]
    assert_well_formed(feeder.out)


def test_customer_answer_found_in_the_bridge_when_dial_end_is_lost() -> None:
    t = Trace()
    agent, trunk = _originate(t)
    assert trunk is not None
    t.state(trunk, 6)
    t.bridge("BridgeEnter", agent, "b1")
    t.bridge("BridgeEnter", trunk, "b1")
    feeder = Feeder(t)
    assert feeder.run() == [outbound(AGENT, CUSTOMER), answered(AGENT)]


def test_agent_hands_the_customer_to_a_colleague_who_sees_the_customer() -> None:
    """A blind transfer of an outbound call: the colleague's pop shows the dialled customer
    (the party served), not the agent who called out; the call stays one interaction."""
    t = Trace()
    agent, trunk = _originate(t)
    assert trunk is not None
    t.state(trunk, 6)
    t.dial("DialEnd", agent, trunk, "ANSWER", Exten=CUSTOMER)
    t.bridge("BridgeEnter", agent, "b1")
    t.bridge("BridgeEnter", trunk, "b1")
    t.add(
        "BlindTransfer",
        Result="Success",
        **t.snap(agent, "Transferer"),
        **t.snap(trunk, "Transferee"),
    )
    t.bridge("BridgeLeave", agent, "b1")
    t.hangup(agent)
    t.bridge("BridgeLeave", trunk, "b1")
    colleague = t.new(f"{OTHER}-00000003", trunk)
    t.dial("DialBegin", trunk, colleague)
    t.state(colleague, 5)
    t.state(colleague, 6)
    t.dial("DialEnd", trunk, colleague, "ANSWER")
    t.hangup(colleague)
    t.hangup(trunk)
    feeder = Feeder(t)
    assert feeder.run() == [
        outbound(AGENT, CUSTOMER),
        answered(AGENT),
        transferred(AGENT, OTHER, "blind"),
        offered(OTHER, CUSTOMER, "", AGENT),
        answered(OTHER),
        ended(OTHER),
    ]
    offer = feeder.out[3]
    assert isinstance(offer, CallOffered)
    assert offer.direction is Direction.OUTBOUND
    [call] = interactions(feeder.out)
    assert [(leg.interface, leg.state) for leg in call.legs] == [
        (AGENT, "transferred_away"),
        (OTHER, "ended"),
    ]
    last = feeder.out[-1]
    assert isinstance(last, CallEnded) and isinstance(feeder.out[1], CallAnswered)


def test_number_in_dial_string() -> None:
    assert number_in_dial_string("trunk/+15551234567") == "+15551234567"
    assert number_in_dial_string("PJSIP/5551234@provider") == "5551234"
    assert number_in_dial_string("PJSIP/5551234@provider,60,tT") == "5551234"
    assert number_in_dial_string("PJSIP/provider/sip:x@host") == ""
    assert number_in_dial_string("") == ""
