"""Queue events (app_queue, Asterisk 12+): who the queue rings, and when the caller gives up.

``QueueCallerJoin`` names the queue; for each member it rings, ``AgentCalled`` (the earliest
reliable moment to pop: app_queue decided to ring that member) comes right before the
``DialBegin`` to the member's channel. A ring that times out gives ``AgentRingNoAnswer``
and the queue moves on (rrmemory/leastrecent ring one member after another; ringall all at
once, again each round). ``AgentConnect`` is the member answering; ``QueueCallerAbandon``
the caller hanging up before anyone did.

Every function takes the tracker's ledger, the event, the time and the output list.
"""

from __future__ import annotations

from collections.abc import Mapping

from cti_bridge.core import transfers
from cti_bridge.core.channels import Channel
from cti_bridge.core.events import CallEvent, WithdrawReason
from cti_bridge.core.ledger import Ledger


def _channel(ledger: Ledger, event: Mapping[str, str], key: str) -> Channel | None:
    return ledger.channels.get(event.get(key, ""))


def caller_join(ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]) -> None:
    channel = _channel(ledger, event, "Uniqueid")
    if channel is not None and event.get("Queue"):
        channel.call.queue = event["Queue"]


def caller_abandon(
    ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]
) -> None:
    channel = _channel(ledger, event, "Uniqueid")
    if channel is None or channel.call.over:
        return
    call = channel.call
    call.queue = event.get("Queue") or call.queue
    call.caller_gone = True
    call.finish(now, out)


def agent_called(
    ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]
) -> None:
    """The queue rings a member: pop it, after settling the rings of the round before."""
    dest = _channel(ledger, event, "DestUniqueid")
    if dest is None:
        return
    call = dest.call
    if event.get("Queue"):
        call.queue = event["Queue"]
    source = _channel(ledger, event, "Uniqueid")
    if source is not None and source.call is call:
        dest.dialed_by = source
    dest.dial_pending = True
    call.settle(WithdrawReason.NO_ANSWER, now, out)
    transfers.check_moved_on(ledger, call)
    call.offer(dest, now, out)


def agent_ring_no_answer(
    ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]
) -> None:
    dest = _channel(ledger, event, "DestUniqueid")
    if dest is not None:
        dest.call.withdraw(dest, WithdrawReason.NO_ANSWER, now, out)


def agent_connect(
    ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]
) -> None:
    dest = _channel(ledger, event, "DestUniqueid")
    if dest is not None:
        dest.call.answer(dest, now, out)
