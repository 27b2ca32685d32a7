"""Channels as the call tracker sees them, and the interface (device) part of their names.

An Asterisk *channel* is one leg of a call: ``PJSIP/1001-0000002a`` is the 42nd channel
created towards the device ``PJSIP/1001``. The part before the ``-xxxxxxxx`` sequence is the
*interface*: what an agent is reached on, and what the pop service maps to an agent.

A *Local channel* (``Local/agent1@agents-00000003;1`` and ``...;2``) is Asterisk dialling
into its own dialplan. It always comes as two halves: ``;1`` is the side that was dialled
(it behaves like a phone: it rings, it answers) and ``;2`` runs the dialplan at
``agent1@agents`` (it dials onwards, e.g. the real ``PJSIP/1001``). Audio passes from one
half to the other, so for "who talks to whom" the two halves are one wire. Asterisk links
them in a ``LocalBridge`` event; we keep that link as :attr:`Channel.local_peer`.

Every channel carries a ``Uniqueid`` (never reused) and a ``Linkedid``: the Uniqueid of the
oldest channel of the call it was created for. Channels are keyed by Uniqueid because the
name can change (masquerades) and the Linkedid can change (attended transfer).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cti_bridge.core.callstate import Call
    from cti_bridge.core.offers import Offer

_HEX = frozenset("0123456789abcdefABCDEF")
# Asterisk's placeholder when a caller id is not set; the domain wants "" instead.
_UNKNOWN = "<unknown>"


class ChannelState(IntEnum):
    """Asterisk's ``ChannelState`` numbers (the ones the tracker cares about)."""

    DOWN = 0
    RING = 4  # a caller's channel: the caller hears ringback
    RINGING = 5  # a called device is alerting: its phone rings
    UP = 6  # answered


def interface_of(channel: str) -> str:
    """The interface (device) part of a channel name; never raises.

    ``PJSIP/1001-0000002a`` -> ``PJSIP/1001``, ``SIP/150010001-00000019`` ->
    ``SIP/150010001``, ``Local/agent1@agents-00000003;2`` -> ``Local/agent1@agents``,
    ``Local/1001@agents/n`` (a queue member with dial options) -> ``Local/1001@agents``.
    A string without a ``tech/`` part is not a channel name: it comes back stripped.
    """
    name = channel.strip()
    slash = name.find("/")
    if slash <= 0:
        return name
    if name.endswith((";1", ";2")):
        name = name[:-2]
    dash = name.rfind("-")
    if dash > slash and _is_sequence(name[dash + 1 :]):
        name = name[:dash]
    if name[:slash].lower() == "local":
        options = name.find("/", slash + 1)
        if options != -1:
            name = name[:options]
    return name


def _is_sequence(suffix: str) -> bool:
    """Whether ``suffix`` is the per-channel sequence Asterisk appends to a device name.

    SIP, PJSIP and Local channels use eight hex digits; IAX2 and DAHDI a decimal number.
    Requiring one of the two keeps device names such as ``SIP/from-dead`` intact.
    """
    if not suffix:
        return False
    if suffix.isdigit():
        return True
    return len(suffix) == 8 and _HEX.issuperset(suffix)


def is_local(name: str) -> bool:
    """Whether the channel name is a Local channel half (``Local/...``)."""
    return name[:6].lower() == "local/"


def clean_callerid(value: str | None) -> str:
    """A caller id field as the domain wants it: ``<unknown>`` and missing become ``""``."""
    if value is None or value == _UNKNOWN:
        return ""
    return value.strip()


def parsed_callerid(event: Mapping[str, str]) -> tuple[str, str]:
    """(number, name) of the caller id in a channel snapshot; missing parts are ``""``."""
    return clean_callerid(event.get("CallerIDNum")), clean_callerid(event.get("CallerIDName"))


def dialed_number(exten: str) -> str:
    """The number a caller dialled, when the extension is one (``s``, ``ID123`` are not)."""
    digits = exten[1:] if exten.startswith("+") else exten
    return exten if digits.isascii() and digits.isdigit() else ""


def parse_seconds(value: str | None) -> float | None:
    """A non-negative number of seconds, or None when missing or malformed."""
    try:
        seconds = float(value or "")
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def not_text(event: Mapping[str, str]) -> bool:
    """Whether a header or value is not a string: an adapter bug, not AMI input (the wire
    only carries text), so what a handler did with it is skipped, not reported as ours."""
    return any(type(k) is not str or type(v) is not str for k, v in event.items())


def parse_state(value: str | None) -> int:
    """``ChannelState`` as an int; a missing or malformed value counts as Down."""
    if value is None or not value.isdigit():
        return ChannelState.DOWN
    return int(value)


@dataclass(slots=True, eq=False, kw_only=True)
class Channel:
    """One live Asterisk channel and what the tracker knows about it.

    ``eq=False``: channels compare and hash by identity, so they can sit in sets.
    """

    uniqueid: str
    name: str
    interface: str
    # Decided once, when the channel appears: is this device an agent's?
    is_agent: bool
    is_local: bool
    call: Call
    state: int = ChannelState.DOWN
    number: str = ""
    cid_name: str = ""
    exten: str = ""
    # The other half of a Local channel (``;1`` <-> ``;2``), from ``LocalBridge``.
    local_peer: Channel | None = None
    # The channel whose Dial (or Queue) rings this one; kept after the dial ends, so a
    # transfer or pickup can move a whole dialled branch from one call to another.
    dialed_by: Channel | None = None
    # Between DialBegin and DialEnd: the device was dialled, we wait for it to ring.
    dial_pending: bool = False
    bridge: str | None = None
    # The call's offer for this channel's interface, when this channel is the one ringing.
    offer: Offer | None = None

    def update_callerid(self, event: Mapping[str, str]) -> None:
        """Take the caller id from an event that carries this channel's snapshot."""
        number = event.get("CallerIDNum")
        if number is not None:
            self.number = clean_callerid(number)
        name = event.get("CallerIDName")
        if name is not None:
            self.cid_name = clean_callerid(name)

    def wire(self, bridges: Mapping[str, Mapping[Channel, None]]) -> list[Channel]:
        """Every channel that can hear this one: bridge peers and Local halves, transitively.

        A caller in a bridge with ``Local/x;1``, whose ``;2`` is in a bridge with
        ``PJSIP/1001``, is talking to ``PJSIP/1001``: all four are returned, nearest
        first (a deterministic order: bridges keep their members in order of entry).
        """
        order = [self]
        seen = {self}
        for channel in order:  # breadth first: ``order`` grows while we walk it
            for other in _neighbours(channel, bridges):
                if other not in seen:
                    seen.add(other)
                    order.append(other)
        return order


def _neighbours(
    channel: Channel, bridges: Mapping[str, Mapping[Channel, None]]
) -> Iterator[Channel]:
    if channel.bridge is not None:
        yield from bridges.get(channel.bridge, ())
    if channel.local_peer is not None:
        yield channel.local_peer
