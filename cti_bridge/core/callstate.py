"""One call's state, and the only code that turns state changes into domain events.

A *call* is everything Asterisk does for one caller: the caller's channel, the Local
channel halves the dialplan creates, every device that rings, the agent who answers, and
whoever the caller is transferred to. It is identified by ``"{pbx}:{linkedid}"``, where the
linkedid is the Uniqueid of the call's first channel (the caller's). Channels join a call
when they appear (by their Linkedid) or when the call's dial reaches them (pickup, transfer);
the call keeps its id even when Asterisk later rewrites a channel's Linkedid.

An *offer* is one agent interface ringing for the call (what the agent sees as a screen
pop). The invariants kept here, whatever order or duplication the AMI events come in:

- at most one live offer per interface and call; a new one only after the previous one was
  withdrawn and a different channel rings (a queue's next ring round);
- every ``CallAnswered`` is preceded by a ``CallOffered`` for that interface, and comes at
  most once per offer;
- every ``CallOffered`` ends as exactly one ``CallAnswered`` or ``OfferWithdrawn``, at the
  latest when the call ends;
- the call ends exactly once: ``CallEnded`` if anyone answered, else ``CallAbandoned``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum, StrEnum

from cti_bridge.core.channels import Channel
from cti_bridge.core.events import (
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallerIdentified,
    CallEvent,
    CallOffered,
    CallTransferred,
    Direction,
    OfferWithdrawn,
    OutboundStarted,
    Party,
    TransferKind,
    WithdrawReason,
)


class OfferStatus(Enum):
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


_OPEN = (OfferStatus.RINGING, OfferStatus.CANCELLED)
# A caller id worth looking up has a digit (not ``anonymous``, ``s``, ``""``).
_HAS_DIGIT = re.compile(r"\d").search
_CLOSED = (OfferStatus.WITHDRAWN, OfferStatus.HANDED_OVER)


@dataclass(slots=True, eq=False)
class Offer:
    interface: str
    channel: Channel
    status: OfferStatus
    # How many answers the call had when this interface started ringing: a later answer
    # means the call was answered elsewhere.
    answers_before: int
    reason: WithdrawReason | None = None


class CallPhase(StrEnum):
    """What a supervisor sees: waiting (queue/IVR, nothing ringing), ringing, talking."""

    WAITING = "waiting"
    RINGING = "ringing"
    TALKING = "talking"


@dataclass(frozen=True, slots=True)
class CallSnapshot:
    """A live call, for the supervisor board and for re-sending pops on resume."""

    call_id: str
    caller: Party
    dialed: str
    queue: str | None
    direction: Direction
    started_at: float
    ringing: tuple[str, ...]
    answered: str | None
    answered_at: float | None
    state: CallPhase


@dataclass(slots=True, eq=False)
class Call:
    call_id: str
    dialed: str
    direction: Direction
    started_at: float
    # The channel of the party being served: the first channel, or after a transfer by
    # that party the one they transferred. Set right after construction.
    caller: Channel = field(init=False)
    # Linkedids under which the tracker finds this call (its own, and merged calls').
    linkedids: list[str] = field(default_factory=list)
    queue: str | None = None
    channels: dict[str, Channel] = field(default_factory=dict)
    offers: dict[str, Offer] = field(default_factory=dict)
    answers: int = 0
    answered_at: float | None = None
    talking: str | None = None  # the last agent interface that answered
    caller_gone: bool = False
    over: bool = False
    announced: bool = False  # has any event about this call left the tracker?
    identified: bool = False  # has its CallerIdentified left the tracker?
    # Asterisk itself dialled the call's first channel (``Originate``: a click-to-dial, a
    # callback): whoever it reaches is no inbound caller to look up early.
    originated: bool = False
    # A transfer in progress (until the next answer): who handed the caller over, and how.
    transfer_pending: bool = False
    transfer_from: str | None = None
    transfer_kind: TransferKind = TransferKind.BLIND
    transfer_announced: bool = False
    # Click-to-dial: the agent's channel that Asterisk rang first (``Originate``), and the
    # party it dials out to as the pops show it (the outside leg's own caller id is the
    # centre's outgoing number, not the customer's).
    originator: Channel | None = None
    shown: Party | None = None

    @property
    def party(self) -> Party:
        if self.shown is not None:
            return self.shown
        return Party(self.caller.number, self.caller.cid_name)

    def is_caller_side(self, channel: Channel) -> bool:
        """The caller's channel or, when that is a Local half, its other half."""
        return channel is self.caller or channel is self.caller.local_peer

    def identify(self, now: float, out: list[CallEvent]) -> None:
        """Say once that an inbound caller's number is known (``CallerIdentified``).

        Only for a call an outside party started: its first channel is no agent's device
        (an internal call) and was not dialled by Asterisk itself (an ``Originate``: a
        click-to-dial, whatever its channel), and only before anything else
        was told about the call (after that the lookup ran already). A number needs a
        digit: ``anonymous`` or ``s`` is nobody to look up.
        """
        caller = self.caller
        if (
            self.identified
            or self.announced
            or self.over
            or self.originated
            or self.direction is not Direction.INBOUND
            or caller.is_agent
            or _HAS_DIGIT(caller.number) is None
        ):
            return
        self.identified = True
        party = Party(caller.number, caller.cid_name)
        out.append(CallerIdentified(self.call_id, party, self.dialed, now, self.started_at))

    def offer(self, channel: Channel, now: float, out: list[CallEvent]) -> None:
        """``channel`` rings for this call: pop its interface (once)."""
        if self.over or not channel.is_agent or self.is_caller_side(channel):
            return
        current = self.offers.get(channel.interface)
        if current is not None and (current.status not in _CLOSED or current.channel is channel):
            return
        self._new_offer(channel, now, out)

    def _new_offer(self, channel: Channel, now: float, out: list[CallEvent]) -> Offer:
        self._announce_transfer(channel.interface, now, out)
        offer = Offer(channel.interface, channel, OfferStatus.RINGING, self.answers)
        self.offers[channel.interface] = offer
        channel.offer = offer
        self.announced = True
        caller = self.party
        out.append(
            CallOffered(
                self.call_id,
                channel.interface,
                caller,
                self.dialed,
                self.queue,
                self.direction,
                now,
                self.started_at,
                self.transfer_from if self.transfer_pending else None,
            )
        )
        return offer

    def start_transfer(self, from_interface: str | None, kind: TransferKind) -> None:
        """The caller is being handed over by ``from_interface``: the next interfaces to
        ring carry ``transferred_from``, and the first of them gets a ``CallTransferred``."""
        self.transfer_pending = True
        self.transfer_from = from_interface
        self.transfer_kind = kind
        self.transfer_announced = False

    def _announce_transfer(self, to_interface: str, now: float, out: list[CallEvent]) -> None:
        if not self.transfer_pending or self.transfer_announced:
            return
        self.transfer_announced = True
        self.announced = True
        out.append(
            CallTransferred(self.call_id, self.transfer_from, to_interface, self.transfer_kind, now)
        )
        handed = self.offers.get(self.transfer_from) if self.transfer_from else None
        if handed is not None and handed.status is OfferStatus.ANSWERED:
            handed.status = OfferStatus.HANDED_OVER

    def answer(self, channel: Channel, now: float, out: list[CallEvent]) -> None:
        """The agent on ``channel`` is connected with the caller (once per offer)."""
        if self.over or not channel.is_agent or self.is_caller_side(channel):
            return
        offer = self.offers.get(channel.interface)
        if offer is not None and offer.status is OfferStatus.HANDED_OVER:
            if offer.channel is channel:
                return  # the transferer's own leg, still bridged for a moment
            offer = None
        if offer is None or offer.status is OfferStatus.WITHDRAWN:
            offer = self._new_offer(channel, now, out)
        if offer.status is OfferStatus.ANSWERED:
            return
        offer.status = OfferStatus.ANSWERED
        offer.channel = channel
        channel.offer = offer
        self.answers += 1
        self.talking = channel.interface
        self.transfer_pending = False
        self.mark_answered(now)
        out.append(CallAnswered(self.call_id, channel.interface, now))

    def start_outbound(
        self, customer: Channel, number: str, now: float, out: list[CallEvent]
    ) -> None:
        """The originating agent's channel dials ``number`` out on ``customer``'s channel.

        From here the customer is the party served (the call's *caller*, shown with the
        dialled number), and the agent holds an offer that ``OutboundStarted`` opened
        instead of a ``CallOffered``: it is answered when the customer answers and
        withdrawn (no answer) when the customer is never reached.
        """
        agent = self.originator
        if agent is None or self.over or agent.offer is not None:
            return
        self.caller = customer
        self.shown = Party(number, "")
        self.dialed = number
        offer = Offer(agent.interface, agent, OfferStatus.RINGING, self.answers)
        self.offers[agent.interface] = offer
        agent.offer = offer
        self.announced = True
        out.append(OutboundStarted(self.call_id, agent.interface, number, now, self.started_at))

    def mark_answered(self, now: float) -> None:
        """Someone (agent or not) is talking with the caller: the call will not be abandoned."""
        if self.answered_at is None:
            self.answered_at = now

    def announce_transfer(self, to_interface: str, now: float, out: list[CallEvent]) -> None:
        """The caller went to a party that is not an agent (e.g. an outside number)."""
        if not self.over:
            self._announce_transfer(to_interface, now, out)

    def withdraw(
        self, channel: Channel, reason: WithdrawReason, now: float, out: list[CallEvent]
    ) -> None:
        """``channel`` stopped ringing without answering, for ``reason``."""
        offer = channel.offer
        if self.over or offer is None or offer.channel is not channel or offer.status not in _OPEN:
            return
        offer.status = OfferStatus.WITHDRAWN
        offer.reason = reason
        out.append(OfferWithdrawn(self.call_id, offer.interface, reason, now))

    def cancel(self, channel: Channel, now: float, out: list[CallEvent]) -> None:
        """``channel``'s ring was cancelled: withdraw now if we know why, else later."""
        reason = self.known_reason(channel.offer)
        if reason is not None:
            self.withdraw(channel, reason, now, out)
        elif channel.offer is not None and channel.offer.status is OfferStatus.RINGING:
            channel.offer.status = OfferStatus.CANCELLED

    def cancel_dial(self, channel: Channel, now: float, out: list[CallEvent]) -> None:
        """The dial to ``channel`` was torn down by its dialler (``DialEnd CANCEL``).

        When the dialler is the ``;2`` half of a Local channel whose ``;1`` ring was
        itself withdrawn (a queue member's ring timed out), the device behind it stops
        ringing for the same reason.
        """
        dialler = channel.dialed_by
        upstream = dialler.local_peer.offer if dialler and dialler.local_peer else None
        if upstream is not None and upstream.reason is not None:
            self.withdraw(channel, upstream.reason, now, out)
        else:
            self.cancel(channel, now, out)

    def known_reason(self, offer: Offer | None) -> WithdrawReason | None:
        """Why a ring that stops now stopped, when the call already tells us."""
        if offer is not None and self.answers > offer.answers_before:
            return WithdrawReason.ANSWERED_ELSEWHERE
        if self.caller_gone:
            return self._gone_reason()
        return None

    def _gone_reason(self) -> WithdrawReason:
        # The party served hung up. For a click-to-dial call that party is the customer:
        # their line going away before an answer means they did not pick up.
        if self.direction is Direction.OUTBOUND and self.answered_at is None:
            return WithdrawReason.NO_ANSWER
        return WithdrawReason.CALLER_HANGUP

    def settle(self, reason: WithdrawReason, now: float, out: list[CallEvent]) -> None:
        """Withdraw every cancelled offer whose reason was pending, with ``reason``."""
        for offer in list(self.offers.values()):
            if offer.status is OfferStatus.CANCELLED:
                better = self.known_reason(offer)
                self.withdraw(offer.channel, better or reason, now, out)

    def finish(self, now: float, out: list[CallEvent]) -> None:
        """The call is over: close every open offer, then end it (exactly once)."""
        if self.over:
            return
        for offer in list(self.offers.values()):
            if offer.status in _OPEN:
                reason = self.known_reason(offer) or self._gone_reason()
                self.withdraw(offer.channel, reason, now, out)
        self.over = True
        self.announced = True
        if self.answered_at is not None:
            out.append(
                CallEnded(self.call_id, self.talking, now, self.started_at, self.answered_at)
            )
            return
        out.append(
            CallAbandoned(
                self.call_id,
                self.party,
                self.dialed,
                self.queue,
                self.direction,
                now,
                self.started_at,
            )
        )

    def snapshot(self) -> CallSnapshot:
        ringing = tuple(
            o.interface for o in self.offers.values() if o.status is OfferStatus.RINGING
        )
        if self.answered_at is not None and not self.transfer_pending:
            phase = CallPhase.TALKING
        elif ringing:
            phase = CallPhase.RINGING
        else:
            phase = CallPhase.WAITING
        return CallSnapshot(
            self.call_id,
            self.party,
            self.dialed,
            self.queue,
            self.direction,
            self.started_at,
            ringing,
            self.talking,
            self.answered_at,
            phase,
        )
