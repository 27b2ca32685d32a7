"""The tracker's memory: live channels, the calls they belong to, and bridge membership.

Everything here is keyed so that it can be freed: a channel leaves on its ``Hangup``, a
bridge when its last member leaves, a call when its last channel is gone. After every
channel of every call has hung up, the ledger is empty again (:meth:`Ledger.size` is 0).

Calls are found by Linkedid, the Uniqueid of the first channel of the call; the map also
holds the Linkedids of calls merged into another one (attended transfer), so that channels
Asterisk creates later with the old Linkedid land in the surviving call.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from cti_bridge.core.callstate import Call
from cti_bridge.core.channels import Channel, ChannelState
from cti_bridge.core.events import CallEvent, WithdrawReason

# How many ids of hung-up channels and ended calls to remember, so that late duplicates
# of their events cannot bring them back.
GRAVEYARD_SIZE = 4096
RING_STATES = (ChannelState.RINGING, ChannelState.UP)


class Ledger:
    def __init__(self) -> None:
        self.channels: dict[str, Channel] = {}
        self.calls: dict[str, Call] = {}  # by Linkedid (own and merged)
        # Bridge members in order of entry (a dict as an ordered set: replays stay deterministic).
        self.bridges: dict[str, dict[Channel, None]] = {}
        self._gone: set[str] = set()
        self._gone_order: deque[str] = deque()
        # Recorded calls nothing has been told of yet (``recordings.py``).
        self.recordings_waiting: list[Call] = []

    def size(self) -> int:
        """Entries held: channels, call keys and bridges (0 when nothing is live)."""
        return len(self.channels) + len(self.calls) + len(self.bridges)

    def live_calls(self) -> Iterator[Call]:
        """Each call once, oldest first (merged calls appear under several keys)."""
        return iter(dict.fromkeys(self.calls.values()))

    def is_gone(self, key: str) -> bool:
        """Whether a channel (Uniqueid) or call (Linkedid) with this id is over."""
        return key in self._gone

    def close_all(self, at: float, out: list[CallEvent]) -> None:
        """End every call in progress (dated ``at``) and forget everything."""
        for call in self.live_calls():
            call.caller_gone = True
            call.finish(at, out)
        self.clear()

    def clear(self) -> None:
        self.recordings_waiting.clear()
        self.channels.clear()
        self.calls.clear()
        self.bridges.clear()
        self._gone.clear()
        self._gone_order.clear()

    def add(self, channel: Channel) -> None:
        self.channels[channel.uniqueid] = channel
        channel.call.channels[channel.uniqueid] = channel

    def remove(self, channel: Channel) -> None:
        """Forget a hung-up channel; remember its Uniqueid for a while."""
        self.channels.pop(channel.uniqueid, None)
        channel.call.channels.pop(channel.uniqueid, None)
        self.leave_bridge(channel, channel.bridge)
        if channel.local_peer is not None:
            channel.local_peer.local_peer = None
            channel.local_peer = None
        self._bury(channel.uniqueid)

    def _bury(self, key: str) -> None:
        """Remember a gone Uniqueid or Linkedid (bounded: the oldest are forgotten)."""
        if key in self._gone:
            return
        if len(self._gone_order) >= GRAVEYARD_SIZE:
            self._gone.discard(self._gone_order.popleft())
        self._gone_order.append(key)
        self._gone.add(key)

    def join_bridge(self, channel: Channel, bridge: str) -> None:
        if channel.bridge != bridge:
            self.leave_bridge(channel, channel.bridge)
            self.bridges.setdefault(bridge, {})[channel] = None
            channel.bridge = bridge

    def leave_bridge(self, channel: Channel, bridge: str | None) -> None:
        if bridge is None or channel.bridge != bridge:
            return
        channel.bridge = None
        members = self.bridges.get(bridge)
        if members is not None:
            members.pop(channel, None)
            if not members:
                del self.bridges[bridge]

    def connect(self, channel: Channel, now: float, out: list[CallEvent]) -> None:
        """``channel`` joined a bridge: whose caller now hears a real party is answered.

        The call counts as answered once its caller hears a real (non-Local) party, and
        each of its ringing agents on that wire is answered (if no DialEnd said so yet).
        """
        wire = channel.wire(self.bridges)
        for caller in wire:
            call = caller.call
            if call.over or not call.is_caller_side(caller):
                continue
            for other in wire:
                if other.is_local or call.is_caller_side(other):
                    continue
                call.mark_answered(now)
                if other.call is call and other.offer is not None:
                    call.answer(other, now, out)

    def close(self, call: Call, now: float, out: list[CallEvent]) -> None:
        """The call's last channel is gone: end it if that did not happen yet, free it."""
        call.finish(now, out)
        for linkedid in call.linkedids:
            if self.calls.get(linkedid) is call:
                del self.calls[linkedid]
            # A channel appearing later with this Linkedid belongs to a call that is over:
            # it must not start the same call id again.
            self._bury(linkedid)

    def move_branch(self, root: Channel, into: Call, now: float, out: list[CallEvent]) -> None:
        """Move ``root`` and everything it dials into ``into``.

        This is what happens when another call's dial reaches a channel: a phone picking up
        a call that rings elsewhere (pickup), or the caller taking over a consultation dial
        that still rings (attended transfer completed before the target answered). A branch
        that still rings keeps ringing, now for ``into``; its old offers are withdrawn.
        """
        old = root.call
        branch = self._branch(root)
        for channel in branch:
            old.withdraw(channel, WithdrawReason.CALLER_HANGUP, now, out)
            self._rehome(channel, into)
        for channel in branch:
            if channel.dial_pending and channel.state in RING_STATES:
                into.offer(channel, now, out)
        if old.caller in branch:
            self._orphan(old, now, out)
        if not old.channels:
            self.close(old, now, out)

    def merge(self, into: Call, other: Call, now: float, out: list[CallEvent]) -> list[Channel]:
        """End ``other`` and move all its channels into ``into``; returns those channels."""
        other.finish(now, out)
        moved = list(other.channels.values())
        for channel in moved:
            self._rehome(channel, into)
        for linkedid in other.linkedids:
            self.calls[linkedid] = into
            into.linkedids.append(linkedid)
        other.linkedids.clear()
        return moved

    @staticmethod
    def _branch(root: Channel) -> list[Channel]:
        """``root``, its Local other half, and every channel of its call dialled from them
        (in the order the call got them, so that replays emit events in a fixed order)."""
        members = {root}
        grew = True
        while grew:
            grew = False
            for channel in root.call.channels.values():
                if channel not in members and (
                    channel.dialed_by in members or channel.local_peer in members
                ):
                    members.add(channel)
                    grew = True
        return [channel for channel in root.call.channels.values() if channel in members]

    @staticmethod
    def _rehome(channel: Channel, into: Call) -> None:
        channel.call.channels.pop(channel.uniqueid, None)
        channel.call = into
        into.channels[channel.uniqueid] = channel
        # Offers belong to a call: in its new call the channel is offered afresh.
        channel.offer = None

    @staticmethod
    def _orphan(call: Call, now: float, out: list[CallEvent]) -> None:
        """``call`` lost its caller to another call (pickup of a feature-code call).

        A call nobody outside ever heard of just disappears: its caller was only ever the
        device picking up. One that was announced ends normally. One whose caller was only
        identified (a phone that is no agent's) ends too, so that whoever looked it up
        learns that it is over, as answered (its phone did get a party): no abandoned call
        is logged for a pickup.
        """
        call.caller_gone = True
        if call.identified and not call.announced:
            call.mark_answered(now)
        if call.announced or call.identified:
            call.finish(now, out)
        else:
            call.over = True
