"""Folding a call's domain events into the one interaction it is, with its agent legs.

Each call yields exactly one interaction (DESIGN §4), however many agents it rang or went
through. A *leg* is one agent interface's part in it: offered (the pop, or the
click-to-dial ``OutboundStarted``), perhaps answered, and over when its ring was withdrawn,
when the agent handed the caller on (``CallTransferred`` from that interface), or when the
call ended. The call service can record these rows as they are; the tests use the fold to
state each scenario's expected interaction.

Pure and incremental: feed every event of the tracker, in order, to
:meth:`InteractionBook.apply`; it returns the finished :class:`Interaction` when the call's
last event (``CallEnded``/``CallAbandoned``) arrives, and forgets the call.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cti_bridge.core.events import (
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallEvent,
    CallOffered,
    CallTransferred,
    Direction,
    OfferWithdrawn,
    OutboundStarted,
)


@dataclass(slots=True)
class Leg:
    """One agent interface's part in a call.

    ``outcome``: ``ringing``/``talking`` while open, then ``missed`` (ring withdrawn, see
    ``reason``), ``transferred_away`` (handed the caller on) or ``ended`` (talked to the end).
    """

    interface: str
    offered_at: float
    direction: Direction
    transferred_from: str | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    outcome: str = "ringing"
    reason: str | None = None

    @property
    def open(self) -> bool:
        return self.ended_at is None


@dataclass(slots=True)
class Interaction:
    """One call as the call log records it: who called, how it ended, and its legs."""

    call_id: str
    legs: list[Leg] = field(default_factory=list)
    started_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    outcome: str = "live"  # then "answered" or "abandoned"
    transfers: int = 0

    def leg(self, interface: str) -> Leg | None:
        """The latest leg of ``interface`` that is still open."""
        for leg in reversed(self.legs):
            if leg.interface == interface and leg.open:
                return leg
        return None


class InteractionBook:
    """Interactions of the calls in progress, built from the tracker's events."""

    def __init__(self) -> None:
        self._live: dict[str, Interaction] = {}

    def __len__(self) -> int:
        return len(self._live)

    def apply(self, event: CallEvent) -> Interaction | None:
        """Take one event; the interaction when this event finished it, else None."""
        item = self._live.get(event.call_id)
        if item is None:
            item = self._live[event.call_id] = Interaction(event.call_id)
        match event:
            case CallOffered():
                leg = Leg(event.interface, event.at, event.direction, event.transferred_from)
                item.legs.append(leg)
                item.started_at = event.started_at
            case OutboundStarted():
                item.legs.append(Leg(event.interface, event.at, Direction.OUTBOUND))
                item.started_at = event.started_at
            case CallAnswered():
                _answer(item, event)
            case OfferWithdrawn():
                _close(item.leg(event.interface), event.at, "missed", event.reason.value)
            case CallTransferred():
                item.transfers += 1
                if event.from_interface is not None:
                    _close(item.leg(event.from_interface), event.at, "transferred_away")
            case CallEnded() | CallAbandoned():
                return self._finish(item, event)
        return None

    def _finish(self, item: Interaction, event: CallEnded | CallAbandoned) -> Interaction:
        del self._live[item.call_id]
        item.started_at = event.started_at
        item.ended_at = event.at
        if isinstance(event, CallEnded):
            item.outcome = "answered"
            item.answered_at = event.answered_at
        else:
            item.outcome = "abandoned"
        for leg in item.legs:
            if leg.open:
                _close(leg, event.at, "ended" if leg.answered_at is not None else "missed")
        return item


def _answer(item: Interaction, event: CallAnswered) -> None:
    leg = item.leg(event.interface)
    if leg is None:  # the tracker always offers first; be lenient all the same
        leg = Leg(event.interface, event.at, Direction.INBOUND)
        item.legs.append(leg)
    leg.answered_at = event.at
    leg.outcome = "talking"
    if item.answered_at is None:
        item.answered_at = event.at


def _close(leg: Leg | None, at: float, outcome: str, reason: str | None = None) -> None:
    if leg is not None and leg.open:
        leg.ended_at = at
        leg.outcome = outcome
        leg.reason = reason
