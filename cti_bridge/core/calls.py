"""CallTracker: raw AMI events in, domain call events out (sans-IO, DESIGN §2 and §4).

The AMI adapter feeds every event it reads, with the wall-clock time it read it::

    tracker = CallTracker("pbx1", directory.is_agent_interface)
    for event in tracker.feed(ami_event, time.time()):
        dispatch(event)

The tracker has no clock, no I/O and no threads; replaying a recording gives the same
events every time. Events it does not use (most of the stream: ``Newexten``, ``RTCP*``...)
cost one dict lookup; of ``VarSet`` only ``MIXMONITOR_FILENAME`` matters (``recordings.py``).
Unknown channels, missing headers and malformed values are skipped (debug log), never
raised.

When does an agent get a pop? The queue's ``AgentCalled`` is the earliest reliable moment:
app_queue decided to ring that member; without a queue, the device's first sign of really
ringing (``dialling.py``).

Every AMI event the tracker reads has one handler ``handler(event, now, out)`` that appends
the domain events it produces to ``out``: the handlers of the subject modules (queues,
transfers, dialling) take the tracker's ledger first, bound once.

The caller is the party on the call's first channel (``Uniqueid == Linkedid``), with its
caller id as last updated by ``NewCallerid``; the call ends when that channel hangs up (or
the queue reports the caller abandoned), or when its last channel is gone.

``FullyBooted`` arrives on every AMI login, so a reconnect does not forget calls in
progress; only an Asterisk restart does (its ``Uptime`` went backwards against our clock).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Final

from cti_bridge.core import dialling, queues, recordings, transfers
from cti_bridge.core.callstate import Call, CallPhase, CallSnapshot, snapshot
from cti_bridge.core.channels import (
    Channel,
    dialed_number,
    interface_of,
    is_local,
    not_text,
    parse_seconds,
    parse_state,
    parsed_callerid,
)
from cti_bridge.core.dialling import known_channel
from cti_bridge.core.events import CallEvent, Direction
from cti_bridge.core.ledger import Ledger
from cti_bridge.core.resync import Resync, ResyncMark

__all__ = [
    "HANDLED_EVENTS",
    "HANDLED_VARIABLES",
    "CallPhase",
    "CallSnapshot",
    "CallTracker",
    "interface_of",
]

_log = logging.getLogger(__name__)

Handler = Callable[[Mapping[str, str], float, list[CallEvent]], None]
LedgerHandler = Callable[[Ledger, Mapping[str, str], float, list[CallEvent]], None]


def _local_bridge(
    ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]
) -> None:
    one = known_channel(ledger, event, "LocalOneUniqueid")
    two = known_channel(ledger, event, "LocalTwoUniqueid")
    if one is not None and two is not None:
        one.local_peer = two
        two.local_peer = one


def _newcallerid(
    ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]
) -> None:
    channel = known_channel(ledger, event)
    if channel is None:
        return
    channel.update_callerid(event)
    call = channel.call
    caller = call.caller
    if channel is caller.local_peer and not caller.number:
        # An originated call's first channel is a Local ;1 whose dialplan side (;2)
        # may be the one that gets the caller id: it is the caller's all the same.
        caller.number, caller.cid_name = channel.number, channel.cid_name
    if not call.identified and (channel is caller or channel is caller.local_peer):
        call.identify(now, out)  # the caller id came after the channel


def _bridge_enter(
    ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]
) -> None:
    channel = known_channel(ledger, event)
    bridge = event.get("BridgeUniqueid")
    if channel is None or not bridge:
        return
    ledger.join_bridge(channel, bridge)
    ledger.connect(channel, now, out)
    transfers.check_back(ledger, channel, now, out)


def _bridge_leave(
    ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]
) -> None:
    channel = known_channel(ledger, event)
    if channel is not None:
        ledger.leave_bridge(channel, event.get("BridgeUniqueid"))


# Event name -> handler of the ledger alone. Everything else is ignored at the cost of one
# lookup; the events that need the tracker's own settings are :data:`_TRACKER_EVENTS`.
_LEDGER_HANDLERS: Final[dict[str, LedgerHandler]] = {
    "Newstate": dialling.newstate,
    "NewCallerid": _newcallerid,
    "LocalBridge": _local_bridge,
    "Hangup": dialling.hangup,
    "DialBegin": dialling.dial_begin,
    "DialState": dialling.dial_state,
    "DialEnd": dialling.dial_end,
    "BridgeEnter": _bridge_enter,
    "BridgeLeave": _bridge_leave,
    "QueueCallerJoin": queues.caller_join,
    "QueueCallerAbandon": queues.caller_abandon,
    "AgentCalled": queues.agent_called,
    "AgentRingNoAnswer": queues.agent_ring_no_answer,
    "AgentConnect": queues.agent_connect,
    "BlindTransfer": transfers.blind_transfer,
    "AttendedTransfer": transfers.attended_transfer,
    "Pickup": transfers.pickup,
    "Hold": transfers.hold,
    "Unhold": transfers.unhold,
    "VarSet": recordings.var_set,
}
# Handled by the tracker itself: the server's boot time, ``pbx`` and ``is_agent_interface``.
_TRACKER_EVENTS: Final = frozenset({"FullyBooted", "Newchannel", "Rename"})

# The AMI events the tracker reads: an adapter may filter the stream down to these
# (e.g. with a manager.conf ``eventfilter``) to spare Asterisk and itself the rest, and
# ``VarSet`` down to the variables in ``HANDLED_VARIABLES``.
HANDLED_EVENTS: Final = frozenset(_LEDGER_HANDLERS) | _TRACKER_EVENTS
HANDLED_VARIABLES: Final = recordings.HANDLED_VARIABLES

# A reconnect recomputes Asterisk's boot time as now - Uptime. Uptime has one-second
# resolution and events arrive late; a boot time later than this is a restart.
RESTART_TOLERANCE: Final = 10.0


class CallTracker:
    """Turns one Asterisk server's AMI events into domain call events.

    ``pbx`` names the server (it prefixes every ``call_id``); ``is_agent_interface`` says
    which interfaces belong to agents: only those are offered, withdrawn and answered.
    """

    def __init__(
        self, pbx: str, is_agent_interface: Callable[[str], bool] = lambda _i: True
    ) -> None:
        self._pbx = pbx
        self._is_agent = is_agent_interface
        self._ledger = Ledger()
        self._boot_at: float | None = None
        self._last_now = 0.0
        self._mark: ResyncMark | None = None
        # The one dispatch: event name -> handler(event, now, out).
        self._handlers: dict[str, Handler] = {
            name: partial(handler, self._ledger) for name, handler in _LEDGER_HANDLERS.items()
        }
        self._handlers["FullyBooted"] = self._on_fully_booted
        self._handlers["Newchannel"] = self._on_newchannel
        self._handlers["Rename"] = self._on_rename
        assert frozenset(self._handlers) == HANDLED_EVENTS

    def feed(self, event: Mapping[str, str], now: float) -> list[CallEvent]:
        """Take one AMI event (headers to values, ``Event`` included) read at ``now``."""
        try:
            handler = self._handlers.get(event.get("Event", ""))
        except (AttributeError, TypeError):
            _log.debug("not an AMI event: %r", event)
            return []
        if handler is None:
            return []
        if self._mark is not None:
            self._mark.note(event)
        out: list[CallEvent] = []
        try:
            handler(event, now, out)
            if self._ledger.recordings_waiting:
                recordings.tell_waiting(self._ledger, now, out)
        except Exception:
            if not_text(event):  # not text where AMI always has text: skipped
                _log.debug("malformed %r skipped", event)
            else:  # a bug, not bad input (handlers check their input): keep tracking
                _log.exception("call tracker failed on %r", event)
        self._last_now = now
        return out

    def snapshot(self) -> list[CallSnapshot]:
        """The calls in progress, oldest first."""
        return [snapshot(call) for call in self._ledger.live_calls() if not call.over]

    def reset(self, now: float | None = None) -> list[CallEvent]:
        """Forget every call and channel.

        Returns the events that close the calls still in progress (``OfferWithdrawn`` with
        ``CALLER_HANGUP`` for rings, then ``CallEnded``/``CallAbandoned``), so pops and
        interaction rows do not stay open forever. They are dated ``now``, by default the
        time of the last event fed.
        """
        out: list[CallEvent] = []
        self._ledger.close_all(self._last_now if now is None else now, out)
        return out

    def begin_resync(self) -> ResyncMark:
        """Call right before asking Asterisk for ``CoreShowChannels``: remembers the
        channels known now (only those may be declared gone) and, until :meth:`resync`,
        the channels live events touch (newer than the snapshot: left as they are).
        One resync at a time: a new mark replaces an unfinished one."""
        self._mark = ResyncMark(frozenset(self._ledger.channels))
        return self._mark

    def cancel_resync(self, mark: ResyncMark) -> None:
        """The snapshot could not be had: stop noting live events for ``mark``."""
        if self._mark is mark:
            self._mark = None

    def resync(
        self,
        channels: Iterable[Mapping[str, str]],
        now: float,
        *,
        queue_entries: Iterable[Mapping[str, str]] = (),
        since: ResyncMark | None = None,
    ) -> list[CallEvent]:
        """Catch up with Asterisk after a gap in the event stream (see ``resync.py``).

        ``channels``: the ``CoreShowChannel`` dicts; ``queue_entries``: ``QueueStatus``
        items (``QueueEntry`` ones are used); ``since``: the :meth:`begin_resync` mark
        taken before the snapshot was asked for (default: a mark taken now). Returns
        the events that bring the rest of the product up to date, dated ``now``.
        """
        mark = since if since is not None else ResyncMark(frozenset(self._ledger.channels))
        self.cancel_resync(mark)
        out: list[CallEvent] = []

        def apply(event: Mapping[str, str]) -> None:
            self._handlers[event["Event"]](event, now, out)

        try:
            Resync(self._ledger, apply, now, out).run(channels, queue_entries, mark)
            recordings.tell_waiting(self._ledger, now, out)
        except Exception:
            _log.exception("call tracker resync failed")
        self._last_now = max(self._last_now, now)
        return out

    def __len__(self) -> int:
        """Channels, calls and bridges held: 0 once every channel has hung up."""
        return self._ledger.size()

    # -- handlers that need the tracker's settings -------------------------------------

    def _on_fully_booted(self, event: Mapping[str, str], now: float, out: list[CallEvent]) -> None:
        uptime = parse_seconds(event.get("Uptime"))
        if uptime is None:
            return  # no Uptime (Asterisk 13): a restart cannot be told apart, keep calls
        boot_at = now - uptime
        previous, self._boot_at = self._boot_at, boot_at
        if previous is not None and boot_at - previous > RESTART_TOLERANCE:
            _log.info("Asterisk %s restarted: closing %d calls", self._pbx, len(self.snapshot()))
            out.extend(self.reset())

    def _on_newchannel(self, event: Mapping[str, str], now: float, out: list[CallEvent]) -> None:
        uniqueid = event.get("Uniqueid", "")
        name = event.get("Channel", "")
        ledger = self._ledger
        if not uniqueid or not name or uniqueid in ledger.channels or ledger.is_gone(uniqueid):
            return
        linkedid = event.get("Linkedid") or uniqueid
        call = ledger.calls.get(linkedid)
        if call is None and ledger.is_gone(linkedid):
            _log.debug("channel %s of a call that is over skipped", name)
            return
        # Everything read from the event is parsed before anything is stored: a
        # malformed value leaves the ledger as it was.
        interface, exten = interface_of(name), event.get("Exten", "")
        state, dialed = parse_state(event.get("ChannelState")), dialed_number(exten)
        number, cid_name = parsed_callerid(event)
        agent = bool(self._is_agent(interface))
        first = call is None
        if call is None:
            kind = Direction.INTERNAL if agent else Direction.INBOUND
            call = Call(
                call_id=f"{self._pbx}:{linkedid}", dialed=dialed, direction=kind, started_at=now
            )
        channel = Channel(
            uniqueid=uniqueid,
            name=name,
            interface=interface,
            is_agent=agent,
            is_local=is_local(name),
            call=call,
            state=state,
            number=number,
            cid_name=cid_name,
            exten=exten,
        )
        if first:
            call.linkedids.append(linkedid)
            call.caller = channel
            ledger.calls[linkedid] = call
        ledger.add(channel)
        if first and not agent:
            call.identify(now, out)  # the lookup may start while the caller waits

    def _on_rename(self, event: Mapping[str, str], now: float, out: list[CallEvent]) -> None:
        channel = known_channel(self._ledger, event)
        new_name = event.get("Newname")
        if channel is not None and new_name:
            channel.name = new_name
            channel.interface = interface_of(new_name)
            channel.is_agent = bool(self._is_agent(channel.interface))
