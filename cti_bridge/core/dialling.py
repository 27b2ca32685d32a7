"""Rings: a device dialled, ringing, answered, declined or cancelled (sans-IO handlers).

Each handler takes ``(ledger, event, now, out)``: the ledger it reads and changes, one AMI
event read at ``now``, and the list the domain events it produces are appended to.

Without a queue (a plain ``Dial()``, or the device behind a ``Local/...`` queue member) a
``DialBegin`` only says Asterisk *tries* the device: a phone on do-not-disturb answers busy
without ever ringing. So a dialled agent device is offered once it really rings:
``Newstate`` Ringing/Up, ``DialState`` RINGING/PROGRESS, or the answer itself, whichever
comes first.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

from cti_bridge.core import outbound, transfers
from cti_bridge.core.callstate import Call
from cti_bridge.core.channels import Channel, parse_state
from cti_bridge.core.events import CallEvent, WithdrawReason
from cti_bridge.core.ledger import RING_STATES, Ledger

_log = logging.getLogger(__name__)

# DialState statuses that mean the dialled device alerts (180 Ringing, 183 with media).
_RINGING_DIAL_STATES: Final = frozenset({"RINGING", "PROGRESS"})
# Hangup causes of a ringing device that mean its user declined: busy, no answer, rejected.
_DECLINED_CAUSES: Final = frozenset({"17", "18", "19", "21"})


def known_channel(
    ledger: Ledger, event: Mapping[str, str], key: str = "Uniqueid"
) -> Channel | None:
    """The channel ``event`` names under ``key``; ``None`` (debug log) when unknown."""
    channel = ledger.channels.get(event.get(key, ""))
    if channel is None:
        _log.debug("%s for unknown channel %s skipped", event.get("Event"), event.get(key))
    return channel


def newstate(ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]) -> None:
    channel = known_channel(ledger, event)
    if channel is None:
        return
    channel.state = parse_state(event.get("ChannelState"))
    if channel.dial_pending and channel.state in RING_STATES:
        channel.call.offer(channel, now, out)


def hangup(ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]) -> None:
    channel = known_channel(ledger, event)
    if channel is None:
        return
    call = channel.call
    ledger.remove(channel)
    if channel is call.caller:
        call.caller_gone = True
        call.finish(now, out)
    elif channel.offer is not None:
        _ring_hung_up(call, channel, event.get("Cause", ""), now, out)
    if not call.channels:
        ledger.close(call, now, out)


def _ring_hung_up(
    call: Call, channel: Channel, cause: str, now: float, out: list[CallEvent]
) -> None:
    """A ringing device's channel went away without a DialEnd telling us why."""
    if cause in _DECLINED_CAUSES and call.known_reason(channel.offer) is None:
        call.withdraw(channel, WithdrawReason.NO_ANSWER, now, out)
    else:
        call.cancel(channel, now, out)


def dial_begin(ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]) -> None:
    dest = known_channel(ledger, event, "DestUniqueid")
    source = ledger.channels.get(event.get("Uniqueid", ""))
    if dest is None:
        return
    if source is None:
        # No source: Asterisk itself dials an originated call's first leg, the caller.
        dest.call.originated = dest.call.originated or dest.call.is_caller_side(dest)
        outbound.originate_leg(dest)
        return
    settle = WithdrawReason.NO_ANSWER
    if dest.call is not source.call:
        settle = transfers.dial_into_other_call(ledger, source, dest, now, out)
    call = source.call
    dest.dialed_by = source
    dest.dial_pending = True
    if call.over or call.is_caller_side(dest):
        return
    if outbound.dials_out(source, dest):
        outbound.start(source, dest, event, now, out)
        return
    # Ringing someone new: rings cancelled earlier were not the caller giving up.
    call.settle(settle, now, out)
    transfers.check_consulting(call, source)
    transfers.check_moved_on(ledger, call)
    if call.pending is not None and not dest.is_agent and not dest.is_local:
        call.announce_transfer(dest.interface, now, out)  # e.g. an outside number
    if dest.state in RING_STATES:
        call.offer(dest, now, out)


def dial_state(ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]) -> None:
    dest = known_channel(ledger, event, "DestUniqueid")
    status = event.get("DialStatus", "").upper()
    if dest is not None and dest.dial_pending and status in _RINGING_DIAL_STATES:
        dest.call.offer(dest, now, out)


def dial_end(ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]) -> None:
    dest = known_channel(ledger, event, "DestUniqueid")
    status = event.get("DialStatus", "").upper()
    if dest is None or not status or event.get("Uniqueid") is None:
        return
    dest.dial_pending = False
    call = dest.call
    if status == "ANSWER":
        source = ledger.channels.get(event.get("Uniqueid", ""))
        if source is not None and call.is_caller_side(source):
            call.mark_answered(now)  # the caller's own dial: answered, agent or not
        elif source is not None and source is call.originator:
            call.answer(source, now, out)  # click-to-dial: the customer answered
        call.answer(dest, now, out)
    elif status == "CANCEL":
        _cancel_dial(call, dest, now, out)
    else:
        reason = call.known_reason(dest.offer) or WithdrawReason.NO_ANSWER
        call.withdraw(dest, reason, now, out)


def _cancel_dial(call: Call, channel: Channel, now: float, out: list[CallEvent]) -> None:
    """The dial to ``channel`` was torn down by its dialler (``DialEnd CANCEL``).

    When the dialler is the ``;2`` half of a Local channel whose ``;1`` ring was itself
    withdrawn (a queue member's ring timed out), the device behind it stops ringing for
    the same reason.
    """
    dialler = channel.dialed_by
    upstream = dialler.local_peer.offer if dialler and dialler.local_peer else None
    if upstream is not None and upstream.reason is not None:
        call.withdraw(channel, upstream.reason, now, out)
    else:
        call.cancel(channel, now, out)
