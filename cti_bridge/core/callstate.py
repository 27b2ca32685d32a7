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
from dataclasses import dataclass, field, replace
from enum import StrEnum

from cti_bridge.core.channels import Channel, ChannelState
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
    Party,
    TransferKind,
    WithdrawReason,
)
from cti_bridge.core.offers import CLOSED_STATUSES, OPEN_STATUSES, Offer, OfferMove, OfferStatus

# A caller id worth looking up has a digit (not ``anonymous``, ``s``, ``""``).
_HAS_DIGIT = re.compile(r"\d").search


class CallPhase(StrEnum):
    """What a supervisor sees: waiting (queue/IVR, nothing ringing), ringing, talking."""

    WAITING = "waiting"
    RINGING = "ringing"
    TALKING = "talking"


@dataclass(frozen=True, slots=True, kw_only=True)
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
    # Where call control acts: the caller's channel, and each agent's live channel
    # bridged with the caller's side (see :func:`agent_legs`).
    caller_channel: str | None = None
    agent_channels: tuple[tuple[str, str], ...] = ()

    def channel_of(self, interface: str) -> str | None:
        """The live channel of ``interface``'s leg on this call, None when it has none."""
        return next((chan for iface, chan in self.agent_channels if iface == interface), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingTransfer:
    """A transfer in progress, until the next answer: who handed the caller over, and how.

    The next interfaces to ring carry ``from_interface`` as ``transferred_from``; the first
    of them (or the outside number the caller goes to) gets the ``CallTransferred``, after
    which ``announced`` holds.
    """

    from_interface: str | None
    kind: TransferKind
    announced: bool = False
    # An attended transfer still consulting (AMI ``Atxfer``, the ``atxfer`` feature): the
    # transferer talks with ``target`` while the caller holds. The target's ring carries
    # ``transferred_from``, but nobody is handed over until Asterisk joins the caller and
    # the target (``AttendedTransfer``); the call may also come back to the transferer.
    consulting: bool = False
    target: str | None = None


@dataclass(slots=True, eq=False, kw_only=True)
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
    pending: PendingTransfer | None = None
    # Click-to-dial: the agent's channel that Asterisk rang first (``Originate``), and the
    # party it dials out to as the pops show it (the outside leg's own caller id is the
    # centre's outgoing number, not the customer's).
    originator: Channel | None = None
    shown: Party | None = None
    # The answered agent channel that put the caller on hold (``Hold``), until ``Unhold``:
    # a dial from the call meanwhile is that agent consulting a colleague.
    held_by: Channel | None = None
    # The file MixMonitor records the call into (``recordings.py``).
    recording: str | None = None

    @property
    def party(self) -> Party:
        if self.shown is not None:
            return self.shown
        return Party(number=self.caller.number, name=self.caller.cid_name)

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
        party = Party(number=caller.number, name=caller.cid_name)
        out.append(
            CallerIdentified(
                call_id=self.call_id,
                caller=party,
                dialed=self.dialed,
                at=now,
                started_at=self.started_at,
            )
        )

    def offer(self, channel: Channel, now: float, out: list[CallEvent]) -> None:
        """``channel`` rings for this call: pop its interface (once)."""
        if self.over or not channel.is_agent or self.is_caller_side(channel):
            return
        current = self.offers.get(channel.interface)
        if current is not None and (
            current.status not in CLOSED_STATUSES or current.channel is channel
        ):
            return
        self._new_offer(channel, now, out)

    def _new_offer(self, channel: Channel, now: float, out: list[CallEvent]) -> Offer:
        self._announce_transfer(channel.interface, now, out)
        offer = self.open_offer(channel)
        pending = self.pending
        if pending is not None and pending.consulting and pending.target is None:
            self.pending = replace(pending, target=channel.interface)
        out.append(
            CallOffered(
                call_id=self.call_id,
                interface=channel.interface,
                caller=self.party,
                dialed=self.dialed,
                queue=self.queue,
                direction=self.direction,
                at=now,
                started_at=self.started_at,
                transferred_from=pending.from_interface if pending is not None else None,
            )
        )
        return offer

    def open_offer(self, channel: Channel) -> Offer:
        """``channel``'s interface rings for this call: its offer, announced by the caller."""
        offer = Offer(interface=channel.interface, channel=channel, answers_before=self.answers)
        self.offers[channel.interface] = offer
        channel.offer = offer
        self.announced = True
        return offer

    def start_transfer(self, from_interface: str | None, kind: TransferKind) -> None:
        """The caller is being handed over by ``from_interface``: the next interfaces to
        ring carry ``transferred_from``, and the first of them gets a ``CallTransferred``."""
        self.pending = PendingTransfer(from_interface=from_interface, kind=kind)

    def _announce_transfer(self, to_interface: str, now: float, out: list[CallEvent]) -> None:
        """Tell the first ring (or outside party) after a hand-over: every agent leg the
        caller was talking with is left, the transferer's first. A Local queue member and
        the phone it reached are both answered legs; after Asterisk optimised the Local
        channel away the phone is the one that transfers (a blonde transfer from the
        ``atxfer`` feature), so each of them is handed over, not only the last answered."""
        pending = self.pending
        if pending is None or pending.announced or pending.consulting:
            return
        self.pending = replace(pending, announced=True)
        self.announced = True
        handed: list[str | None] = [pending.from_interface] if pending.from_interface else []
        handed += [
            interface
            for interface, offer in self.offers.items()
            if offer.status is OfferStatus.ANSWERED
            and not self.is_caller_side(offer.channel)
            and interface not in handed
            and interface != to_interface
        ]
        for interface in handed or [None]:
            out.append(
                CallTransferred(
                    call_id=self.call_id,
                    from_interface=interface,
                    to_interface=to_interface,
                    kind=pending.kind,
                    at=now,
                )
            )
            offer = self.offers.get(interface) if interface else None
            if offer is not None:
                offer.take(OfferMove.HAND_OVER)

    def answer(self, channel: Channel, now: float, out: list[CallEvent]) -> None:
        """The agent on ``channel`` is connected with the caller (once per offer)."""
        if self.over or not channel.is_agent or self.is_caller_side(channel):
            return
        offer = self.offers.get(channel.interface)
        if (
            offer is not None
            and offer.status is OfferStatus.HANDED_OVER
            and offer.channel is channel
        ):
            return  # the transferer's own leg, still bridged for a moment
        if offer is None or offer.status in CLOSED_STATUSES:
            offer = self._new_offer(channel, now, out)
        if not offer.take(OfferMove.ANSWER):
            return  # answered already
        offer.channel = channel
        channel.offer = offer
        self.answers += 1
        if not self.consulting:  # a consulted colleague takes the caller only when joined
            self.talking = channel.interface
            self.pending = None
        self.mark_answered(now)
        out.append(CallAnswered(call_id=self.call_id, interface=channel.interface, at=now))

    @property
    def consulting(self) -> bool:
        return self.pending is not None and self.pending.consulting

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
        if self.over or offer is None or offer.channel is not channel:
            return
        if not offer.take(OfferMove.WITHDRAW):
            return  # answered, or withdrawn already
        offer.reason = reason
        out.append(
            OfferWithdrawn(call_id=self.call_id, interface=offer.interface, reason=reason, at=now)
        )

    def cancel(self, channel: Channel, now: float, out: list[CallEvent]) -> None:
        """``channel``'s ring was cancelled: withdraw now if we know why, else later."""
        reason = self.known_reason(channel.offer)
        if reason is not None:
            self.withdraw(channel, reason, now, out)
        elif channel.offer is not None:
            channel.offer.take(OfferMove.CANCEL)

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
            if offer.status in OPEN_STATUSES:
                reason = self.known_reason(offer) or self._gone_reason()
                self.withdraw(offer.channel, reason, now, out)
        self.over = True
        self.announced = True
        out.append(_ending(self, now))


def _ending(call: Call, now: float) -> CallEnded | CallAbandoned:
    """The event that ends ``call``: ended if anyone answered, else abandoned."""
    if call.answered_at is not None:
        return CallEnded(
            call_id=call.call_id,
            interface=call.talking,
            at=now,
            started_at=call.started_at,
            answered_at=call.answered_at,
        )
    return CallAbandoned(
        call_id=call.call_id,
        caller=call.party,
        dialed=call.dialed,
        queue=call.queue,
        direction=call.direction,
        at=now,
        started_at=call.started_at,
    )


def snapshot(call: Call) -> CallSnapshot:
    """What the supervisor board and a resumed session see of a live call."""
    ringing = tuple(o.interface for o in call.offers.values() if o.status is OfferStatus.RINGING)
    if call.answered_at is not None and (call.pending is None or call.consulting):
        phase = CallPhase.TALKING
    elif ringing:
        phase = CallPhase.RINGING
    else:
        phase = CallPhase.WAITING
    return CallSnapshot(
        call_id=call.call_id,
        caller=call.party,
        dialed=call.dialed,
        queue=call.queue,
        direction=call.direction,
        started_at=call.started_at,
        ringing=ringing,
        answered=call.talking,
        answered_at=call.answered_at,
        state=phase,
        caller_channel=None if call.caller_gone else call.caller.name,
        agent_channels=agent_legs(call),
    )


def agent_legs(call: Call) -> tuple[tuple[str, str], ...]:
    """``(interface, channel)`` for every agent channel answered and in a bridge: the
    channel a Hangup or a transfer acts on. Of a Local member's two halves the ``;1``
    (the one the caller's bridge holds) is chosen."""
    legs: dict[str, str] = {}
    for chan in call.channels.values():
        if not chan.is_agent or chan.bridge is None or chan.state != ChannelState.UP:
            continue
        if chan.interface not in legs or chan.name.endswith(";1"):
            legs[chan.interface] = chan.name
    return tuple(legs.items())
