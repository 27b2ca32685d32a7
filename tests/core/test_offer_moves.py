"""The offer-status table: every move it holds, and that any other move changes nothing."""

from __future__ import annotations

import itertools

import pytest

from cti_bridge.core.callstate import Call
from cti_bridge.core.channels import Channel
from cti_bridge.core.events import Direction
from cti_bridge.core.offers import (
    CLOSED_STATUSES,
    OFFER_MOVES,
    OPEN_STATUSES,
    Offer,
    OfferMove,
    OfferStatus,
    next_status,
)

S, M = OfferStatus, OfferMove

EXPECTED = {
    (S.RINGING, M.CANCEL): S.CANCELLED,
    (S.RINGING, M.WITHDRAW): S.WITHDRAWN,
    (S.CANCELLED, M.WITHDRAW): S.WITHDRAWN,
    (S.RINGING, M.ANSWER): S.ANSWERED,
    (S.CANCELLED, M.ANSWER): S.ANSWERED,
    (S.ANSWERED, M.HAND_OVER): S.HANDED_OVER,
}


def _offer(status: OfferStatus) -> Offer:
    call = Call(call_id="pbx1:1", dialed="", direction=Direction.INBOUND, started_at=0.0)
    channel = Channel(
        uniqueid="1.1",
        name="PJSIP/1001-1",
        interface="PJSIP/1001",
        is_agent=True,
        is_local=False,
        call=call,
    )
    return Offer(interface="PJSIP/1001", channel=channel, status=status, answers_before=0)


def test_table_holds_exactly_the_expected_moves() -> None:
    assert OFFER_MOVES == EXPECTED


def test_open_and_closed_statuses() -> None:
    assert frozenset({S.RINGING, S.CANCELLED}) == OPEN_STATUSES
    assert frozenset({S.WITHDRAWN, S.HANDED_OVER}) == CLOSED_STATUSES
    # Nothing leaves a closed status: the interface's next ring is a new offer.
    assert not [key for key in OFFER_MOVES if key[0] in CLOSED_STATUSES]


@pytest.mark.parametrize(("status", "move"), list(itertools.product(S, M)))
def test_every_status_and_move(status: OfferStatus, move: OfferMove) -> None:
    offer = _offer(status)
    expected = EXPECTED.get((status, move))
    assert next_status(status, move) is expected
    assert offer.take(move) is (expected is not None)
    # A move outside the table is ignored: duplicated or late AMI events change nothing.
    assert offer.status is (expected if expected is not None else status)


def test_a_new_offer_rings() -> None:
    assert _offer(S.RINGING).status is S.RINGING
    call = Call(call_id="pbx1:1", dialed="", direction=Direction.INBOUND, started_at=0.0)
    channel = _offer(S.RINGING).channel
    assert call.open_offer(channel).status is S.RINGING
    assert channel.offer is call.offers["PJSIP/1001"]
