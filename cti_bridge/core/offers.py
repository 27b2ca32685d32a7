"""An offer (one agent interface ringing for a call) and the moves of its status.

The moves are a table, as h11's ``_state.py`` writes a connection's: a status changes only
along an entry of :data:`OFFER_MOVES`. A move the table does not hold is ignored
(:meth:`Offer.take` returns ``False``): AMI events come duplicated and out of order, and a
late ``DialEnd`` for a ring already answered must change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from cti_bridge.core.channels import Channel
from cti_bridge.core.events import WithdrawReason


class OfferStatus(StrEnum):
    RINGING = "ringing"
    # The ring stopped (DialEnd CANCEL) but not yet why: the caller hanging up, another
    # agent answering and the queue timing out all cancel the same way. Settled by what
    # happens next to the call.
    CANCELLED = "cancelled"
    WITHDRAWN = "withdrawn"
    ANSWERED = "answered"
    # The agent talked and then handed the caller on (transfer): a later ring of another
    # of its channels (a transfer back) is a new offer.
    HANDED_OVER = "handed_over"


class OfferMove(StrEnum):
    CANCEL = "cancel"  # the dial was torn down, reason still unknown
    WITHDRAW = "withdraw"  # the ring ended without an answer, reason known
    ANSWER = "answer"
    HAND_OVER = "hand_over"  # the agent who answered transferred the caller on


OFFER_MOVES: Final[dict[tuple[OfferStatus, OfferMove], OfferStatus]] = {
    (OfferStatus.RINGING, OfferMove.CANCEL): OfferStatus.CANCELLED,
    (OfferStatus.RINGING, OfferMove.WITHDRAW): OfferStatus.WITHDRAWN,
    (OfferStatus.CANCELLED, OfferMove.WITHDRAW): OfferStatus.WITHDRAWN,
    (OfferStatus.RINGING, OfferMove.ANSWER): OfferStatus.ANSWERED,
    (OfferStatus.CANCELLED, OfferMove.ANSWER): OfferStatus.ANSWERED,
    (OfferStatus.ANSWERED, OfferMove.HAND_OVER): OfferStatus.HANDED_OVER,
}

# Still ringing as far as the agent knows: withdrawn at the latest when the call ends.
OPEN_STATUSES: Final = frozenset(s for s, m in OFFER_MOVES if m is OfferMove.WITHDRAW)
# Over for good: the interface's next ring is a new offer.
CLOSED_STATUSES: Final = frozenset({OfferStatus.WITHDRAWN, OfferStatus.HANDED_OVER})


def next_status(status: OfferStatus, move: OfferMove) -> OfferStatus | None:
    """Where ``move`` takes an offer in ``status``; ``None`` when the table has no such move."""
    return OFFER_MOVES.get((status, move))


@dataclass(slots=True, eq=False, kw_only=True)
class Offer:
    interface: str
    channel: Channel
    status: OfferStatus = OfferStatus.RINGING
    # How many answers the call had when this interface started ringing: a later answer
    # means the call was answered elsewhere.
    answers_before: int
    reason: WithdrawReason | None = None

    def take(self, move: OfferMove) -> bool:
        """Apply ``move`` if the table allows it from the current status; say whether it did."""
        status = next_status(self.status, move)
        if status is None:
            return False
        self.status = status
        return True
