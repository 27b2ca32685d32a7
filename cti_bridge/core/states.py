"""Every closed set of states the bridge stores or sends, one ``StrEnum`` each.

The values are contracts (database columns, websocket ``call_update`` states, REST fields):
members compare and serialise as their plain string, so a value read back from a column
or a JSON body equals its member.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


def values(states: Iterable[StrEnum]) -> list[str]:
    """The members' strings, in order: an OpenAPI ``enum`` or a list of choices."""
    return [state.value for state in states]


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class AgentStatus(StrEnum):
    AVAILABLE = "available"
    AWAY = "away"
    WRAP_UP = "wrap_up"
    OFFLINE = "offline"


class Grade(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class Segment(StrEnum):
    MOST_VALUABLE = "most_valuable"
    MOST_GROWABLE = "most_growable"
    STANDARD = "standard"
    BELOW_ZERO = "below_zero"


class TicketKind(StrEnum):
    INQUIRY = "inquiry"
    SERVICE = "service"
    COMPLAINT = "complaint"


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_TICKET_STATUSES = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.WAITING_CUSTOMER)


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class ComplaintStep(StrEnum):
    """A complaint's steps, in the order they must be taken (a complaint starts received)."""

    RECEIVED = "received"
    CONTAINED = "contained"
    CAUSE_FOUND = "cause_found"
    ACTION_VERIFIED = "action_verified"
    CLOSED = "closed"


class PopState(StrEnum):
    """Where one agent's pop of a call stands: the ``call_update`` states and the outcome
    of the agent's leg in the call log."""

    RINGING = "ringing"
    ANSWERED = "answered"
    MISSED = "missed"
    TRANSFERRED_AWAY = "transferred_away"
    ENDED = "ended"
    ABANDONED = "abandoned"


LIVE_POP_STATES = (PopState.RINGING, PopState.ANSWERED)


class CallOutcome(StrEnum):
    """How a call ended, as its interaction row keeps it."""

    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    MISSED = "missed"


class LegKind(StrEnum):
    """How an agent came to be on a call: offered by a queue or a dial, transferred to, or
    dialling out themselves."""

    OFFERED = "offered"
    TRANSFER = "transfer"
    OUTBOUND = "outbound"


class SlaState(StrEnum):
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


class SlaTarget(StrEnum):
    """Which service-level clock a ticket's due time belongs to."""

    RESPONSE = "response"
    RESOLUTION = "resolution"
