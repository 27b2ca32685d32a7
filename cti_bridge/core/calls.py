"""CallTracker: raw AMI events in, domain call events out (sans-IO, DESIGN §2 and §4).

The AMI adapter feeds every event it reads, with the wall-clock time it read it::

    tracker = CallTracker("pbx1", directory.is_agent_interface)
    for event in tracker.feed(ami_event, time.time()):
        dispatch(event)

The tracker has no clock, no I/O and no threads; replaying a recording gives the same
events every time. Events it does not use (most of the stream: ``Newexten``, ``VarSet``,
``RTCP*``...) cost one dict lookup. Unknown channels, missing headers and malformed values
are skipped (debug log), never raised.

When does an agent get a pop? The queue's ``AgentCalled`` is the earliest reliable moment:
app_queue decided to ring that member. Without a queue (a plain ``Dial()``, or the device
behind a ``Local/...`` queue member) a ``DialBegin`` only says Asterisk *tries* the device: a
phone on do-not-disturb answers busy without ever ringing. So a dialled agent device is
offered once it really rings: ``Newstate`` Ringing/Up, ``DialState`` RINGING/PROGRESS, or
the answer itself, whichever comes first.

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

from cti_bridge.core import outbound, queues, transfers
from cti_bridge.core.callstate import Call, CallPhase, CallSnapshot
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
from cti_bridge.core.events import CallEvent, Direction, WithdrawReason
from cti_bridge.core.ledger import RING_STATES, Ledger
from cti_bridge.core.resync import Resync, ResyncMark

__all__ = ["HANDLED_EVENTS", "CallPhase", "CallSnapshot", "CallTracker", "interface_of"]

_log = logging.getLogger(__name__)

Handler = Callable[[Mapping[str, str], float], None]
LedgerHandler = Callable[[Ledger, Mapping[str, str], float, list[CallEvent]], None]

# Event name -> handler method. Everything else is ignored at the cost of one lookup.
_HANDLERS: Final = {
    "FullyBooted": "_on_fully_booted",
    "Newchannel": "_on_newchannel",
    "Newstate": "_on_newstate",
    "NewCallerid": "_on_newcallerid",
    "Rename": "_on_rename",
    "LocalBridge": "_on_local_bridge",
    "Hangup": "_on_hangup",
    "DialBegin": "_on_dial_begin",
    "DialState": "_on_dial_state",
    "DialEnd": "_on_dial_end",
    "BridgeEnter": "_on_bridge_enter",
    "BridgeLeave": "_on_bridge_leave",
}
# Handlers that live with their subject: they take (ledger, event, now, out).
_LEDGER_HANDLERS: Final[dict[str, LedgerHandler]] = {
    "QueueCallerJoin": queues.caller_join,
    "QueueCallerAbandon": queues.caller_abandon,
    "AgentCalled": queues.agent_called,
    "AgentRingNoAnswer": queues.agent_ring_no_answer,
    "AgentConnect": queues.agent_connect,
    "BlindTransfer": transfers.blind_transfer,
    "AttendedTransfer": transfers.attended_transfer,
    "Pickup": transfers.pickup,
}

# The AMI events the tracker reads: an adapter may filter the stream down to these
# (e.g. with a manager.conf ``eventfilter``) to spare Asterisk and itself the rest.
HANDLED_EVENTS: Final = frozenset(_HANDLERS) | frozenset(_LEDGER_HANDLERS)

# DialState statuses that mean the dialled device alerts (180 Ringing, 183 with media).
_RINGING_DIAL_STATES: Final = frozenset({"RINGING", "PROGRESS"})
# Hangup causes of a ringing device that mean its user declined: busy, no answer, rejected.
_DECLINED_CAUSES: Final = frozenset({"17", "18", "19", "21"})
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
        # The ledger's channels by Uniqueid (the same dict, for life): most events start
        # with a look-up in it.
        self._channels = self._ledger.channels
        self._out: list[CallEvent] = []
        self._boot_at: float | None = None
        self._last_now = 0.0
        self._mark: ResyncMark | None = None
        self._handlers: dict[str, Handler] = {
            name: getattr(self, method) for name, method in _HANDLERS.items()
        }
        for name, function in _LEDGER_HANDLERS.items():
            self._handlers[name] = partial(self._with_ledger, function)

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
        self._out = out
        try:
            handler(event, now)
        except Exception:
            if not_text(event):  # not text where AMI always has text: skipped
                _log.debug("malformed %r skipped", event)
            else:  # a bug, not bad input (handlers check their input): keep tracking
                _log.exception("call tracker failed on %r", event)
        self._last_now = now
        return out

    def snapshot(self) -> list[CallSnapshot]:
        """The calls in progress, oldest first."""
        return [call.snapshot() for call in self._ledger.live_calls() if not call.over]

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
        self._out = out

        def apply(event: Mapping[str, str]) -> None:
            self._handlers[event["Event"]](event, now)

        try:
            Resync(self._ledger, apply, now, out).run(channels, queue_entries, mark)
        except Exception:
            _log.exception("call tracker resync failed")
        self._last_now = max(self._last_now, now)
        return out

    def __len__(self) -> int:
        """Channels, calls and bridges held: 0 once every channel has hung up."""
        return self._ledger.size()

    # -- helpers ---------------------------------------------------------------------

    def _channel(self, event: Mapping[str, str], key: str = "Uniqueid") -> Channel | None:
        channel = self._channels.get(event.get(key, ""))
        if channel is None:
            _log.debug("%s for unknown channel %s skipped", event.get("Event"), event.get(key))
        return channel

    def _with_ledger(self, handler: LedgerHandler, event: Mapping[str, str], now: float) -> None:
        handler(self._ledger, event, now, self._out)

    # -- connection ------------------------------------------------------------------

    def _on_fully_booted(self, event: Mapping[str, str], now: float) -> None:
        uptime = parse_seconds(event.get("Uptime"))
        if uptime is None:
            return  # no Uptime (Asterisk 13): a restart cannot be told apart, keep calls
        boot_at = now - uptime
        previous, self._boot_at = self._boot_at, boot_at
        if previous is not None and boot_at - previous > RESTART_TOLERANCE:
            _log.info("Asterisk %s restarted: closing %d calls", self._pbx, len(self.snapshot()))
            self._out.extend(self.reset())

    # -- channel lifecycle -----------------------------------------------------------

    def _on_newchannel(self, event: Mapping[str, str], now: float) -> None:
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
            call = Call(f"{self._pbx}:{linkedid}", dialed, kind, now)
        channel = Channel(uniqueid, name, interface, agent, is_local(name), call, state)
        channel.number, channel.cid_name, channel.exten = number, cid_name, exten
        if first:
            call.linkedids.append(linkedid)
            call.caller = channel
            ledger.calls[linkedid] = call
        ledger.add(channel)
        if first and not agent:
            call.identify(now, self._out)  # the lookup may start while the caller waits

    def _on_newstate(self, event: Mapping[str, str], now: float) -> None:
        channel = self._channel(event)
        if channel is None:
            return
        channel.state = parse_state(event.get("ChannelState"))
        if channel.dial_pending and channel.state in RING_STATES:
            channel.call.offer(channel, now, self._out)

    def _on_newcallerid(self, event: Mapping[str, str], now: float) -> None:
        channel = self._channel(event)
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
            call.identify(now, self._out)  # the caller id came after the channel

    def _on_rename(self, event: Mapping[str, str], now: float) -> None:
        channel = self._channel(event)
        new_name = event.get("Newname")
        if channel is not None and new_name:
            channel.name = new_name
            channel.interface = interface_of(new_name)
            channel.is_agent = bool(self._is_agent(channel.interface))

    def _on_local_bridge(self, event: Mapping[str, str], now: float) -> None:
        one = self._channel(event, "LocalOneUniqueid")
        two = self._channel(event, "LocalTwoUniqueid")
        if one is not None and two is not None:
            one.local_peer = two
            two.local_peer = one

    def _on_hangup(self, event: Mapping[str, str], now: float) -> None:
        channel = self._channel(event)
        if channel is None:
            return
        call = channel.call
        self._ledger.remove(channel)
        if channel is call.caller:
            call.caller_gone = True
            call.finish(now, self._out)
        elif channel.offer is not None:
            self._ring_hung_up(call, channel, event.get("Cause", ""), now)
        if not call.channels:
            self._ledger.close(call, now, self._out)

    def _ring_hung_up(self, call: Call, channel: Channel, cause: str, now: float) -> None:
        """A ringing device's channel went away without a DialEnd telling us why."""
        if cause in _DECLINED_CAUSES and call.known_reason(channel.offer) is None:
            call.withdraw(channel, WithdrawReason.NO_ANSWER, now, self._out)
        else:
            call.cancel(channel, now, self._out)

    # -- dialling --------------------------------------------------------------------

    def _on_dial_begin(self, event: Mapping[str, str], now: float) -> None:
        dest = self._channel(event, "DestUniqueid")
        source = self._ledger.channels.get(event.get("Uniqueid", ""))
        if dest is None:
            return
        if source is None:
            # No source: Asterisk itself dials an originated call's first leg, the caller.
            dest.call.originated = dest.call.originated or dest.call.is_caller_side(dest)
            outbound.originate_leg(dest)
            return
        settle = WithdrawReason.NO_ANSWER
        if dest.call is not source.call:
            settle = transfers.dial_into_other_call(self._ledger, source, dest, now, self._out)
        call = source.call
        dest.dialed_by = source
        dest.dial_pending = True
        if call.over or call.is_caller_side(dest):
            return
        if outbound.dials_out(source, dest):
            outbound.start(source, dest, event, now, self._out)
            return
        # Ringing someone new: rings cancelled earlier were not the caller giving up.
        call.settle(settle, now, self._out)
        transfers.check_moved_on(self._ledger, call)
        if call.transfer_pending and not dest.is_agent and not dest.is_local:
            call.announce_transfer(dest.interface, now, self._out)  # e.g. an outside number
        if dest.state in RING_STATES:
            call.offer(dest, now, self._out)

    def _on_dial_state(self, event: Mapping[str, str], now: float) -> None:
        dest = self._channel(event, "DestUniqueid")
        status = event.get("DialStatus", "").upper()
        if dest is not None and dest.dial_pending and status in _RINGING_DIAL_STATES:
            dest.call.offer(dest, now, self._out)

    def _on_dial_end(self, event: Mapping[str, str], now: float) -> None:
        dest = self._channel(event, "DestUniqueid")
        status = event.get("DialStatus", "").upper()
        if dest is None or not status or event.get("Uniqueid") is None:
            return
        dest.dial_pending = False
        call = dest.call
        if status == "ANSWER":
            source = self._ledger.channels.get(event.get("Uniqueid", ""))
            if source is not None and call.is_caller_side(source):
                call.mark_answered(now)  # the caller's own dial: answered, agent or not
            elif source is not None and source is call.originator:
                call.answer(source, now, self._out)  # click-to-dial: the customer answered
            call.answer(dest, now, self._out)
        elif status == "CANCEL":
            call.cancel_dial(dest, now, self._out)
        else:
            reason = call.known_reason(dest.offer) or WithdrawReason.NO_ANSWER
            call.withdraw(dest, reason, now, self._out)

    # -- bridges ---------------------------------------------------------------------

    def _on_bridge_enter(self, event: Mapping[str, str], now: float) -> None:
        channel = self._channel(event)
        bridge = event.get("BridgeUniqueid")
        if channel is None or not bridge:
            return
        self._ledger.join_bridge(channel, bridge)
        self._ledger.connect(channel, now, self._out)

    def _on_bridge_leave(self, event: Mapping[str, str], now: float) -> None:
        channel = self._channel(event)
        if channel is not None:
            self._ledger.leave_bridge(channel, event.get("BridgeUniqueid"))
