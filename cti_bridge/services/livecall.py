"""One call as the call service holds it while it lasts: the pure interaction and its legs
(``core.interactions``), with what only a running service has: the caller as looked up,
the messages each pop sent, and the call's worker with its queue of facts."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cti_bridge.core.events import (
    CallAbandoned,
    CallerIdentified,
    CallEvent,
    CallOffered,
    Direction,
    OutboundStarted,
)
from cti_bridge.core.interactions import Interaction, Leg, outbound_offer
from cti_bridge.core.phones import CallerNumber
from cti_bridge.core.pop import CallerMatch

# A message as published, with the ``seq`` the bus gave it.
Sent = tuple[int, dict[str, Any]]


@dataclass(slots=True, kw_only=True)
class LiveCall:
    interaction: Interaction
    caller: CallerNumber
    caller_name: str
    dialed: str
    queue: str | None
    direction: str
    match: CallerMatch | None = None
    recorded: bool = False
    # Facts waiting for the call's worker, each with whether a resync produced it.
    pending: deque[tuple[CallEvent, bool]] = field(default_factory=deque)
    worker: asyncio.Task[None] | None = None
    over: bool = False
    # What each leg's pop sent, by leg number: replayed to a socket that reconnects.
    sent: dict[int, list[Sent]] = field(default_factory=dict)

    @property
    def call_id(self) -> str:
        return self.interaction.call_id

    @property
    def started_at(self) -> float:
        return self.interaction.started_at

    def sent_on(self, leg: Leg) -> list[Sent]:
        return self.sent.setdefault(leg.no, [])

    def follow_caller(self, name: str, number: CallerNumber) -> None:
        """The caller as the latest event has it: a new number is looked up again."""
        self.caller_name = name
        if number != self.caller:
            self.caller, self.match = number, None

    @property
    def customer_id(self) -> int | None:
        if self.match is None or self.match.customer is None:
            return None
        return self.match.customer.id


def open_call(event: CallEvent, caller_of: Callable[[str], CallerNumber]) -> LiveCall | None:
    """The call a first fact opens (``caller_of`` normalises the number); None for a fact
    that cannot open one (an answer or a transfer of a call never seen)."""
    if isinstance(event, OutboundStarted):
        event = outbound_offer(event)
    if isinstance(event, CallerIdentified):
        # The caller waits (IVR, queue): the call service looks them up now.
        queue, direction = None, Direction.INBOUND.value
    elif isinstance(event, CallOffered | CallAbandoned):
        queue, direction = event.queue, event.direction.value
    else:
        return None
    return LiveCall(
        interaction=Interaction(call_id=event.call_id, started_at=event.started_at),
        caller=caller_of(event.caller.number),
        caller_name=event.caller.name,
        dialed=event.dialed,
        queue=queue,
        direction=direction,
    )


def utc(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, UTC)
