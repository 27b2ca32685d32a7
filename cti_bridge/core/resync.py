"""Rebuilding the tracker's picture from ``CoreShowChannels`` after a gap in the AMI stream.

While the AMI connection is down (or the daemon was not running) events are lost. After
each (re)connect the adapter asks Asterisk for every live channel (``CoreShowChannels``:
one ``CoreShowChannel`` per channel, with its Uniqueid, Linkedid, state, caller id, the
bridge it is in and the application it runs) and, optionally, the queue callers
(``QueueStatus`` ``QueueEntry``: queue and wait per caller channel). From that snapshot:

- calls the tracker knew and that still exist keep their state: an agent already popped is
  not popped again; a ring that started or an answer that happened during the gap is told
  now (``CallOffered`` / ``CallAnswered``), as is a hand-over to an agent who was not on
  the call before (``CallTransferred``);
- channels the tracker knew that are gone hung up during the gap: handled as a ``Hangup``
  (rings withdrawn with the best known reason, calls ended);
- calls that began during the gap (or before a daemon restart) are picked up: their ringing
  agents get a pop, their talking agents a pop and an answer; they are tracked from then on.

Live events keep flowing while the snapshot is on its way, so the adapter takes a
:class:`ResyncMark` (:meth:`CallTracker.begin_resync`) right before asking: only channels
the tracker knew then may be declared gone (a channel created after Asterisk took the
snapshot is missing from it yet alive), and channels that live events touched since are
newer than the snapshot and left as they are.

What a snapshot cannot show (who dialled whom, Local halves' pairing) is inferred: a
ringing channel is being dialled by its call (the channel running ``Dial``/``Queue``), and
``Local/x-0000000a;1`` pairs with ``Local/x-0000000a;2``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from cti_bridge.core import transfers
from cti_bridge.core.callstate import Call
from cti_bridge.core.channels import Channel, ChannelState, parse_state
from cti_bridge.core.events import CallEvent, WithdrawReason
from cti_bridge.core.ledger import Ledger

Apply = Callable[[Mapping[str, str]], None]
"""Runs one (synthesised) AMI event through the tracker's own handler."""

# A mark nobody finishes must not grow without end: past this, live events are no longer
# noted (a snapshot answer takes milliseconds; this is thousands of times that traffic).
MAX_NOTED = 100_000


@dataclass(eq=False)
class ResyncMark:
    """The moment a snapshot was asked for: the channels known then, and those that live
    events have touched since."""

    known: frozenset[str]
    touched: set[str] = field(default_factory=set)
    # Hung up since: a channel listed in the snapshot may be gone by the time it is read
    # (unknown to the tracker, its Hangup changed nothing then): it must not be created.
    hung_up: set[str] = field(default_factory=set)

    def note(self, event: Mapping[str, str]) -> None:
        if len(self.touched) >= MAX_NOTED:
            return
        for key in ("Uniqueid", "DestUniqueid"):
            value = event.get(key)
            if type(value) is str:
                self.touched.add(value)
        if event.get("Event") == "Hangup" and type(event.get("Uniqueid")) is str:
            self.hung_up.add(event["Uniqueid"])


def duration(value: str | None) -> float | None:
    """``Duration`` of a ``CoreShowChannel``: ``HH:MM:SS`` (or plain seconds)."""
    if not value:
        return None
    try:
        seconds = 0.0
        for part in value.split(":"):
            seconds = seconds * 60 + int(part)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _rows(channels: Iterable[object]) -> dict[str, Mapping[str, str]]:
    """Usable snapshot rows by Uniqueid, oldest channel first (a Uniqueid is
    ``<epoch>.<sequence>``; the sequence counts channels as Asterisk creates them)."""
    rows: dict[str, Mapping[str, str]] = {}
    for row in channels:
        if not isinstance(row, Mapping):
            continue
        uniqueid, name = row.get("Uniqueid"), row.get("Channel")
        if isinstance(uniqueid, str) and uniqueid and isinstance(name, str) and name:
            rows[uniqueid] = row
    return dict(sorted(rows.items(), key=lambda item: _age(item[0], item[1])))


def _age(uniqueid: str, row: Mapping[str, str]) -> tuple[int, float, int, str]:
    """Sort key: the call's first channel first, then by creation order."""
    first = 0 if row.get("Linkedid") == uniqueid else 1
    epoch, _, sequence = uniqueid.rpartition(".")
    try:
        return (first, float(epoch or "0"), int(sequence), uniqueid)
    except ValueError:
        return (first, 0.0, 0, uniqueid)


class Resync:
    """One resync pass over a snapshot; :meth:`run` returns nothing, events go to ``out``."""

    def __init__(self, ledger: Ledger, apply: Apply, now: float, out: list[CallEvent]) -> None:
        self.ledger = ledger
        self.apply = apply
        self.now = now
        self.out = out
        self.touched: dict[Call, None] = {}
        self.created: set[Channel] = set()

    def run(
        self, channels: Iterable[object], queue_entries: Iterable[object], mark: ResyncMark
    ) -> None:
        rows = {uid: row for uid, row in _rows(channels).items() if uid not in mark.hung_up}
        self.created = {c for c in (self._create(u, row) for u, row in rows.items()) if c}
        self._pair_local_halves(self.created)
        for uniqueid, row in rows.items():
            if uniqueid not in mark.touched:
                self._update(uniqueid, row)
        self._queues(queue_entries, rows)
        live = self.ledger.channels
        gone = [u for u in mark.known if u not in rows and u in live and u not in mark.touched]
        for uniqueid in sorted(gone, key=self._callers_last):
            self.apply({"Event": "Hangup", "Uniqueid": uniqueid, "Cause": ""})
        for uniqueid in rows:
            self._ring_or_talk(uniqueid)
        for call in self.touched:
            # A ring that stopped in the gap while the call goes on: it moved on.
            call.settle(WithdrawReason.NO_ANSWER, self.now, self.out)

    # -- channels --------------------------------------------------------------------

    def _create(self, uniqueid: str, row: Mapping[str, str]) -> Channel | None:
        """A channel the tracker has not seen: add it as its ``Newchannel`` would."""
        if uniqueid in self.ledger.channels:
            return None
        linkedid = row.get("Linkedid") or uniqueid
        new_call = linkedid not in self.ledger.calls
        self.apply({**row, "Event": "Newchannel", "Linkedid": linkedid})
        channel = self.ledger.channels.get(uniqueid)
        if channel is not None and new_call:
            age = duration(row.get("Duration"))
            if age is not None:
                channel.call.started_at = self.now - age
        return channel

    def _pair_local_halves(self, created: set[Channel]) -> None:
        """Link ``;1`` and ``;2`` of the same Local channel, as ``LocalBridge`` would have."""
        by_name = {c.name: c for c in self.ledger.channels.values() if c.is_local}
        for channel in created:
            if channel.is_local and channel.name.endswith(";1"):
                two = by_name.get(channel.name[:-1] + "2")
                if two is not None:
                    one_id, two_id = channel.uniqueid, two.uniqueid
                    event = {"LocalOneUniqueid": one_id, "LocalTwoUniqueid": two_id}
                    self.apply({"Event": "LocalBridge", **event})

    def _update(self, uniqueid: str, row: Mapping[str, str]) -> None:
        """Bring a live channel's state, caller id and bridge up to the snapshot."""
        channel = self.ledger.channels.get(uniqueid)
        if channel is None:
            return
        self.touched[channel.call] = None
        channel.state = parse_state(row.get("ChannelState"))
        if channel.call.caller is channel and not channel.call.over:
            channel.update_callerid(row)
        bridge = row.get("BridgeId") or None
        if bridge is None:
            self.ledger.leave_bridge(channel, channel.bridge)
        else:
            self.ledger.join_bridge(channel, bridge)
        if row.get("Application", "").lower() == "queue" and channel.call.is_caller_side(channel):
            queue = row.get("ApplicationData", "").split(",", 1)[0]
            channel.call.queue = queue or channel.call.queue

    def _queues(self, entries: Iterable[object], rows: Mapping[str, Mapping[str, str]]) -> None:
        """``QueueEntry`` items: which queue each waiting caller is in."""
        for entry in entries:
            if not isinstance(entry, Mapping) or entry.get("Event", "QueueEntry") != "QueueEntry":
                continue
            channel = self.ledger.channels.get(entry.get("Uniqueid", ""))
            if channel is not None and entry.get("Queue"):
                channel.call.queue = entry["Queue"]

    def _callers_last(self, uniqueid: str) -> tuple[bool, str]:
        channel = self.ledger.channels[uniqueid]
        return (channel is channel.call.caller, uniqueid)

    # -- rings and answers -----------------------------------------------------------

    def _ring_or_talk(self, uniqueid: str) -> None:
        channel = self.ledger.channels.get(uniqueid)
        if channel is None or channel.call.over or not channel.is_agent:
            return
        call = channel.call
        if call.is_caller_side(channel):
            return
        if channel.state == ChannelState.UP and self._answered_in_gap(channel):
            call.mark_answered(self.now)
            call.answer(channel, self.now, self.out)
        elif channel.state == ChannelState.RINGING and channel.offer is None:
            channel.dial_pending = True
            channel.dialed_by = channel.dialed_by or self._dialler(channel)
            transfers.check_moved_on(self.ledger, call)
            call.offer(channel, self.now, self.out)

    def _answered_in_gap(self, channel: Channel) -> bool:
        """An agent channel that is up and hears the caller was answered for the call if
        it was rung (dialled, or offered), or is new to the tracker. A channel the
        tracker knew that nobody dialled is a party of its own (e.g. the agent who
        called and then handed the other party on): it is not answered now."""
        rung = channel.offer is not None or channel.dial_pending or channel in self.created
        return rung and channel.call.caller in channel.wire(self.ledger.bridges)

    def _dialler(self, channel: Channel) -> Channel | None:
        """The channel most likely to be ringing ``channel``: the newest older channel of
        its call that is not ringing itself (a ``Local ;2`` running ``Dial`` or the
        caller's channel in ``Queue``)."""
        dialler = None
        for other in channel.call.channels.values():
            if other is channel:
                break
            if other.state != ChannelState.RINGING:
                dialler = other
        return dialler
