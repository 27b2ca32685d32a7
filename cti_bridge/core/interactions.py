"""One call as the interaction it is, with its agent legs: the model the call service keeps
while a call lasts, and the fold the tests state each scenario's expected interaction with.

Each call yields exactly one interaction (DESIGN §4), however many agents it rang or went
through. A *leg* is one agent's part in it (one ``interaction_legs`` row, one pop):
offered (the pop, or the click-to-dial ``OutboundStarted``), perhaps answered, and over when
its ring was withdrawn from every device of the agent, when the agent handed the caller on
(``CallTransferred``), or when the call ended. An agent rung again once their leg is over
gets a new leg; a second device of an agent already ringing joins the ringing leg.

Pure: the transitions change the model and return the legs that moved; whoever holds the
interaction tells the agents (the call service publishes one ``call_update`` per move).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cti_bridge.core.events import (
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallerIdentified,
    CallEvent,
    CallOffered,
    CallRecorded,
    CallTransferred,
    Direction,
    OfferWithdrawn,
    OutboundStarted,
    Party,
    WithdrawReason,
)
from cti_bridge.core.states import LIVE_POP_STATES, CallOutcome, LegKind, PopState


@dataclass(slots=True, kw_only=True)
class Leg:
    """One agent's part in a call: ``state`` is ringing or answered while open, then
    missed (see ``reason``), transferred_away or ended."""

    no: int  # 1, 2...: its place among the call's legs
    agent_id: int
    kind: LegKind
    direction: Direction
    interface: str  # the device offered, then the one that answered
    offered_at: float
    transferred_from: str | None = None
    state: PopState = PopState.RINGING
    ringing_on: set[str] = field(default_factory=set)  # the agent's devices ringing
    answered_at: float | None = None
    ended_at: float | None = None
    reason: str | None = None

    @property
    def open(self) -> bool:
        return self.state in LIVE_POP_STATES

    def move(self, state: PopState, at: float, reason: str | None = None) -> None:
        """Into ``state`` at ``at``: answered, or over."""
        self.state = state
        if state is PopState.ANSWERED:
            self.answered_at = at
        else:
            self.ended_at, self.reason = at, reason


@dataclass(frozen=True, slots=True, kw_only=True)
class Move:
    """A leg about to change state, for the holder to apply and announce in turn."""

    leg: Leg
    state: PopState
    at: float
    reason: str | None = None

    def apply(self) -> None:
        self.leg.move(self.state, self.at, self.reason)


@dataclass(slots=True, kw_only=True)
class Interaction:
    """One call as the call log records it: when it started and was answered, how it
    ended, and its legs in the order they were offered."""

    call_id: str
    started_at: float
    legs: list[Leg] = field(default_factory=list)
    # Each agent's latest leg: the one their pop and call_updates speak of.
    pops: dict[int, Leg] = field(default_factory=dict)
    answered_at: float | None = None
    ended_at: float | None = None
    outcome: CallOutcome = CallOutcome.IN_PROGRESS
    # The file the call is recorded into (``CallRecorded``), a name without directory.
    recording: str | None = None

    def offer(
        self, *, agent_id: int, offer: CallOffered, state: PopState = PopState.RINGING
    ) -> Leg:
        """A new leg for the agent rung by ``offer`` (``state`` answered: adopted from
        before a resync, when the answer's moment is lost and taken as the offer's)."""
        leg = Leg(
            no=len(self.legs) + 1,
            agent_id=agent_id,
            kind=leg_kind(offer),
            direction=offer.direction,
            interface=offer.interface,
            offered_at=offer.at,
            transferred_from=offer.transferred_from,
            state=state,
            ringing_on={offer.interface},
            answered_at=offer.at if state is PopState.ANSWERED else None,
        )
        self.pops[agent_id] = leg
        self.legs.append(leg)
        return leg

    def ring_again(self, agent_id: int, interface: str) -> bool:
        """Whether the agent's leg is ringing already (``interface`` joins it)."""
        leg = self.pops.get(agent_id)
        if leg is None or leg.state is not PopState.RINGING:
            return False
        leg.ringing_on.add(interface)
        return True

    def withdraw(self, agent_id: int, interface: str, at: float, reason: str) -> Leg | None:
        """The ring stops on ``interface``: the leg is missed once no device rings."""
        leg = self.pops.get(agent_id)
        if leg is None or leg.state is not PopState.RINGING:
            return None
        leg.ringing_on.discard(interface)
        if leg.ringing_on:
            return None
        leg.move(PopState.MISSED, at, reason)
        return leg

    def answer(self, agent_id: int | None, interface: str, at: float) -> Leg | None:
        """``interface`` answers; the agent's leg, when this answered it."""
        if self.answered_at is None:
            self.answered_at = at
        leg = None if agent_id is None else self.pops.get(agent_id)
        if leg is None or leg.state is PopState.ANSWERED:
            return None
        leg.interface = interface
        leg.move(PopState.ANSWERED, at)
        return leg

    def consulted(self, agent_id: int) -> bool:
        """Whether the agent's answered leg is an attended transfer's consultation: they
        were rung by a transfer and the agent handing over still has the caller (the
        caller becomes theirs only when handed over)."""
        leg = self.pops.get(agent_id)
        if leg is None or leg.state is not PopState.ANSWERED or leg.kind is not LegKind.TRANSFER:
            return False
        return any(o.state is PopState.ANSWERED for o in self.pops.values() if o is not leg)

    def transfer(self, agent_id: int | None, at: float) -> Leg | None:
        """The agent hands the caller on: their answered leg, now over."""
        leg = None if agent_id is None else self.pops.get(agent_id)
        if leg is None or leg.state is not PopState.ANSWERED:
            return None
        leg.move(PopState.TRANSFERRED_AWAY, at)
        return leg

    def ending(self, at: float) -> list[Move]:
        """How the open legs close when the answered call ends: the talking (and a
        click-to-dial still ringing its own agent) end, the others were answered elsewhere."""
        moves, elsewhere = [], WithdrawReason.ANSWERED_ELSEWHERE.value
        for leg in self.pops.values():
            outbound = leg.kind is LegKind.OUTBOUND
            if leg.state is PopState.ANSWERED or (leg.state is PopState.RINGING and outbound):
                moves.append(Move(leg=leg, state=PopState.ENDED, at=at))
            elif leg.state is PopState.RINGING:
                moves.append(Move(leg=leg, state=PopState.MISSED, at=at, reason=elsewhere))
        return moves

    def abandoning(self, at: float) -> list[Move]:
        """The caller hangs up unanswered: every ringing leg is missed."""
        return [
            Move(leg=leg, state=PopState.MISSED, at=at, reason=WithdrawReason.CALLER_HANGUP.value)
            for leg in self.pops.values()
            if leg.state is PopState.RINGING
        ]

    def finish(self, event: CallEnded | CallAbandoned) -> None:
        """How the call ended (its legs closed first: ``ending``/``abandoning``)."""
        self.ended_at = event.at
        if isinstance(event, CallEnded):
            self.outcome = CallOutcome.ANSWERED
            self.answered_at = event.answered_at
        else:
            self.outcome = CallOutcome.ABANDONED


def leg_kind(offer: CallOffered) -> LegKind:
    if offer.direction is Direction.OUTBOUND:
        return LegKind.OUTBOUND
    return LegKind.OFFERED if offer.transferred_from is None else LegKind.TRANSFER


def outbound_offer(event: OutboundStarted) -> CallOffered:
    """A click-to-dial seen as an offer to the dialling agent, with the dialled customer as
    the caller: the agent's pop shows who they are calling (``direction: "outbound"``)."""
    return CallOffered(
        call_id=event.call_id,
        interface=event.interface,
        caller=Party(number=event.number, name=""),
        dialed=event.number,
        queue=None,
        direction=Direction.OUTBOUND,
        at=event.at,
        started_at=event.at,
    )


class InteractionBook:
    """Interactions of the calls in progress, folded from the tracker's events in order.

    ``agent_of`` names the agent behind an interface (None: not an agent's, no leg); by
    default every interface is an agent of its own."""

    def __init__(self, agent_of: Callable[[str], int | None] | None = None) -> None:
        self._live: dict[str, Interaction] = {}
        self._numbers: dict[str, int] = {}
        self._agent_of = agent_of or self._own_agent

    def __len__(self) -> int:
        return len(self._live)

    def _own_agent(self, interface: str) -> int:
        return self._numbers.setdefault(interface, len(self._numbers) + 1)

    def apply(self, event: CallEvent) -> Interaction | None:
        """Take one event; the interaction when this event finished it, else None."""
        item = self._live.get(event.call_id)
        if item is None:
            if isinstance(event, OfferWithdrawn | CallAnswered | CallTransferred | CallRecorded):
                return None  # the tracker opens every call with one of the others
            item = self._live[event.call_id] = Interaction(
                call_id=event.call_id, started_at=event.started_at
            )
        match event:
            case CallOffered() | OutboundStarted():
                self._offered(item, event)
            case CallAnswered():
                item.answer(self._agent_of(event.interface), event.interface, event.at)
            case OfferWithdrawn():
                agent = self._agent_of(event.interface)
                if agent is not None:
                    item.withdraw(agent, event.interface, event.at, event.reason.value)
            case CallTransferred():
                item.transfer(self._agent_of(event.from_interface or ""), event.at)
            case CallEnded() | CallAbandoned():
                return self._finish(item, event)
            case CallRecorded():
                item.recording = event.recording
            case CallerIdentified():
                pass
        return None

    def _offered(self, item: Interaction, event: CallOffered | OutboundStarted) -> None:
        offer = outbound_offer(event) if isinstance(event, OutboundStarted) else event
        agent = self._agent_of(offer.interface)
        if agent is not None and not item.ring_again(agent, offer.interface):
            item.offer(agent_id=agent, offer=offer)

    def _finish(self, item: Interaction, event: CallEnded | CallAbandoned) -> Interaction:
        del self._live[item.call_id]
        ended = isinstance(event, CallEnded)
        for move in item.ending(event.at) if ended else item.abandoning(event.at):
            move.apply()
        item.finish(event)
        return item
