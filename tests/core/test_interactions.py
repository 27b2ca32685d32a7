"""The leg model the call service keeps and the tests fold: per agent, not per device."""

from __future__ import annotations

from cti_bridge.core.events import (
    CallAnswered,
    CallEnded,
    CallOffered,
    Direction,
    OfferWithdrawn,
    OutboundStarted,
    Party,
    WithdrawReason,
)
from cti_bridge.core.interactions import InteractionBook, Leg, outbound_offer
from cti_bridge.core.states import CallOutcome, LegKind, PopState

CALL = "pbx1:1.1"
JANE = Party(number="+15551234567", name="JANE")
ANN = {"PJSIP/1001": 1, "PJSIP/1001b": 1, "PJSIP/1002": 2}


def ended(at: float, answered_at: float, started_at: float) -> CallEnded:
    return CallEnded(
        call_id=CALL, interface=None, at=at, answered_at=answered_at, started_at=started_at
    )


def offer(interface: str, at: float) -> CallOffered:
    return CallOffered(
        call_id=CALL,
        interface=interface,
        caller=JANE,
        dialed="600",
        queue="support",
        direction=Direction.INBOUND,
        at=at,
        started_at=0.0,
    )


def test_two_devices_of_one_agent_are_one_leg_missed_when_both_stop() -> None:
    book = InteractionBook(ANN.get)
    for event in (offer("PJSIP/1001", 1.0), offer("PJSIP/1001b", 1.0), offer("PJSIP/1002", 1.0)):
        book.apply(event)
    stop = OfferWithdrawn(
        call_id=CALL, interface="PJSIP/1001", reason=WithdrawReason.NO_ANSWER, at=2.0
    )
    book.apply(stop)
    book.apply(CallAnswered(call_id=CALL, interface="PJSIP/1002", at=3.0))
    item = book.apply(ended(9.0, 3.0, 0.0))
    assert item is not None and item.outcome is CallOutcome.ANSWERED
    ann, bob = item.legs
    # Ann's second device rang on: her leg was not missed by the first one stopping.
    assert (ann.agent_id, ann.state, ann.reason) == (1, PopState.MISSED, "answered_elsewhere")
    assert (bob.no, bob.state, bob.answered_at, bob.ended_at) == (2, PopState.ENDED, 3.0, 9.0)


def test_click_to_dial_still_ringing_its_agent_ends_with_the_call() -> None:
    start = OutboundStarted(
        call_id=CALL, interface="PJSIP/1001", number="+15551234567", at=5.0, started_at=4.0
    )
    as_offer = outbound_offer(start)
    assert (as_offer.caller, as_offer.direction, as_offer.started_at) == (
        Party(number="+15551234567", name=""),
        Direction.OUTBOUND,
        5.0,
    )
    book = InteractionBook(ANN.get)
    book.apply(start)
    item = book.apply(ended(9.0, 6.0, 4.0))
    assert item is not None
    [leg] = item.legs
    assert isinstance(leg, Leg) and leg.kind is LegKind.OUTBOUND
    assert (leg.state, leg.reason, leg.open) == (PopState.ENDED, None, False)
