"""Domain events: what the call tracker tells the rest of the product.

The tracker turns raw AMI events into these facts (DESIGN §4). They carry plain values
only, and times as POSIX seconds passed in by the caller of the tracker, so that replaying a
recording gives the same events every time.

``call_id`` is ``"{pbx}:{linkedid}"``: stable for the whole call however many channels,
Local halves and transfers it goes through. ``interface`` is the device part of a channel
name (``PJSIP/1001``, ``SIP/150010001``, ``Local/agent1@agents``); the pop service maps it to
an agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


class WithdrawReason(StrEnum):
    ANSWERED_ELSEWHERE = "answered_elsewhere"
    CALLER_HANGUP = "caller_hangup"
    NO_ANSWER = "no_answer"  # ring timeout, reject, busy, DND: the call moved on
    PICKED_UP = "picked_up"


class TransferKind(StrEnum):
    BLIND = "blind"
    ATTENDED = "attended"


@dataclass(frozen=True, slots=True, kw_only=True)
class Party:
    """The caller as Asterisk presented them: the number before normalisation."""

    number: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerIdentified:
    """An inbound caller's number is known, before any agent rings (IVR, queue wait).

    Comes at most once per call, before any other event of that call, as soon as its first
    channel (not an agent's device, not an origination) has a caller id: on ``Newchannel``
    or a later ``NewCallerid``. It only lets the customer lookup start early, so that the
    pop costs no database time when an agent rings: no pop, row or message follows from it
    alone. The call still ends with ``CallEnded``/``CallAbandoned`` like every call.
    """

    call_id: str
    caller: Party
    dialed: str
    at: float
    # When the call first reached the PBX (the same as its later events carry).
    started_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallOffered:
    """An agent's interface starts ringing for the call: pop the screen."""

    call_id: str
    interface: str
    caller: Party
    dialed: str
    queue: str | None
    direction: Direction
    at: float
    # When the call first reached the PBX: wait time runs from here.
    started_at: float
    # Set when the ring comes from a transfer: the interface that handed the caller over.
    transferred_from: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferWithdrawn:
    """That interface stopped ringing without its agent answering."""

    call_id: str
    interface: str
    reason: WithdrawReason
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallAnswered:
    """The agent on ``interface`` is now talking with the caller."""

    call_id: str
    interface: str
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallTransferred:
    """The caller moved from one agent to another interface or an outside number."""

    call_id: str
    from_interface: str | None
    to_interface: str
    kind: TransferKind
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEnded:
    """The call is over after an answer; ``interface`` is the last agent who talked."""

    call_id: str
    interface: str | None
    at: float
    started_at: float
    answered_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallAbandoned:
    """The caller hung up before anybody answered (in a queue or while agents rang)."""

    call_id: str
    caller: Party
    dialed: str
    queue: str | None
    direction: Direction
    at: float
    started_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundStarted:
    """An agent's click-to-dial call is ringing out to ``number``: pop the dialled customer.

    It takes the place of ``CallOffered`` for the agent on ``interface`` (direction
    outbound): the same call then gets ``CallAnswered`` for that interface when the
    customer answers, or ``OfferWithdrawn`` (no answer) and ``CallAbandoned`` when the
    customer is never reached, and ends like any other call.
    """

    call_id: str
    interface: str
    number: str
    at: float
    # When the agent's own phone started ringing for the Originate.
    started_at: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecorded:
    """Asterisk records the call (MixMonitor) into ``recording``: a plain file name, no
    directory. Comes at most once per file, never as a call's first event: a recording
    started before anything was told of the call (often: the dialplan records before
    ``Queue()``) is told right after the call's first event."""

    call_id: str
    recording: str
    at: float


CallEvent = (
    CallerIdentified
    | CallOffered
    | OfferWithdrawn
    | CallAnswered
    | CallTransferred
    | CallEnded
    | CallAbandoned
    | OutboundStarted
    | CallRecorded
)
