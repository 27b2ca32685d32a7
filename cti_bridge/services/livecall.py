"""One call as the call service holds it while it lasts: who was popped, in what state,
and the legs the call log gets when the call is over."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cti_bridge.core.events import CallEvent, CallOffered, Direction, OutboundStarted, Party
from cti_bridge.core.phones import CallerNumber
from cti_bridge.core.pop import CallerMatch
from cti_bridge.services.handoff import LEG_OFFERED, LEG_OUTBOUND, LEG_TRANSFER
from cti_bridge.store.calllog import CallStart, LegRecord


@dataclass
class AgentPop:
    """One agent's view of one call: the pop sent and the messages since."""

    agent_id: int
    interfaces: set[str]
    state: str  # ringing | answered | missed | ended | transferred_away
    sent: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    # The pop is one leg of the call (an interaction_legs row, written when the call
    # ends): how it began, and when it was offered, answered and over.
    kind: str = LEG_OFFERED
    interface: str = ""  # the device offered (then the one that answered)
    offered_at: float = 0.0
    answered_at: float | None = None
    ended_at: float | None = None
    reason: str | None = None

    def leg(self, call_id: str, leg_no: int) -> LegRecord:
        return LegRecord(
            call_id,
            leg_no,
            self.agent_id,
            self.interface,
            self.kind,
            utc(self.offered_at),
            _optutc(self.answered_at),
            _optutc(self.ended_at),
            self.state,
            self.reason,
        )


@dataclass
class LiveCall:
    call_id: str
    started_at: float
    caller: CallerNumber
    caller_name: str
    dialed: str
    queue: str | None
    direction: str
    match: CallerMatch | None = None
    recorded: bool = False
    answered_at: float | None = None
    pops: dict[int, AgentPop] = field(default_factory=dict)
    # Facts waiting for the call's worker, each with whether a resync produced it.
    pending: deque[tuple[CallEvent, bool]] = field(default_factory=deque)
    worker: asyncio.Task[None] | None = None
    over: bool = False
    # Every pop sent for the call, in order: its legs (an agent popped again after a
    # transfer back has two).
    legs: list[AgentPop] = field(default_factory=list)

    def add_pop(self, agent_id: int, offer: CallOffered, state: str) -> AgentPop:
        """The agent's pop for ``offer`` (sent now, or adopted from before a resync)."""
        pop = AgentPop(agent_id, {offer.interface}, state, kind=leg_kind(offer))
        pop.interface, pop.offered_at = offer.interface, offer.at
        self.pops[agent_id] = pop
        self.legs.append(pop)
        return pop

    def leg_records(self) -> list[LegRecord]:
        return [pop.leg(self.call_id, n) for n, pop in enumerate(self.legs, start=1)]

    @property
    def customer_id(self) -> int | None:
        if self.match is None or self.match.customer is None:
            return None
        return self.match.customer.id

    def start_row(self) -> CallStart:
        return CallStart(
            call_id=self.call_id,
            direction=self.direction,
            caller_number=self.caller.display or self.caller.raw,
            caller_name=self.caller_name,
            dialed=self.dialed,
            queue=self.queue,
            customer_id=self.customer_id,
            offered_at=utc(self.started_at),
        )


def utc(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, UTC)


def _optutc(moment: float | None) -> datetime | None:
    return None if moment is None else utc(moment)


def leg_kind(offer: CallOffered) -> str:
    if offer.direction is Direction.OUTBOUND:
        return LEG_OUTBOUND
    return LEG_OFFERED if offer.transferred_from is None else LEG_TRANSFER


def outbound_offer(event: OutboundStarted) -> CallOffered:
    """A click-to-dial seen as an offer to the dialling agent, with the dialled customer as
    the caller: the agent's pop shows who they are calling (``direction: "outbound"``)."""
    party = Party(number=event.number, name="")
    return CallOffered(
        call_id=event.call_id,
        interface=event.interface,
        caller=party,
        dialed=event.number,
        queue=None,
        direction=Direction.OUTBOUND,
        at=event.at,
        started_at=event.at,
    )
