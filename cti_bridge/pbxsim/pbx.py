"""The simulated switch: its channels, its queue and the event stream they produce.

Everything a running Asterisk would know lives here, so the AMI sessions (which only
report) and the call flows (which change things) share one truth: ``CoreShowChannels`` and
``QueueStatus`` answer from the same tables the events describe.

Events are encoded once and written to every logged-in session whose event mask admits
their class - the way ``manager_event()`` fans out - without awaiting anything, so a call
flow never waits for a slow client.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cti_bridge.pbxsim.channels import Channel, ChannelRegistry
from cti_bridge.pbxsim.protocol import AGENT, Header, Headers, encode_event

# Device states as QueueMemberStatus prints them (``Status:``) and DeviceStateChange names them.
NOT_INUSE = 1
INUSE = 2
RINGING = 6
DEVICE_STATE_NAMES = {NOT_INUSE: "NOT_INUSE", INUSE: "INUSE", RINGING: "RINGING"}

# app_queue strategies the simulator plays: ring everyone, or one member at a time.
RINGALL = "ringall"
RRMEMORY = "rrmemory"
LEASTRECENT = "leastrecent"
# Extra queues a PBX of a call centre has besides the main one, with their strategies;
# created when a call first uses them, so a stream that never does has only the main queue.
EXTRA_QUEUES = {"sales": RRMEMORY, "billing": LEASTRECENT}
# Queues with dynamic members only (agents log in with QueueAdd or AddQueueMember), set up
# on first use like the extra queues. The simulator's sales and billing keep the agents as
# static members, which its scenarios ring.
DYNAMIC_QUEUES = {"renewals": LEASTRECENT, "retention": LEASTRECENT}

# A PBX that has been up for a week: after restart_pbx() the small Uptime stands out.
_INITIAL_UPTIME = 7 * 24 * 3600


class EventSink(Protocol):
    """What the switch needs of a client session to deliver an event to it."""

    def wants(self, event_class: str) -> bool: ...

    def write(self, data: bytes) -> None: ...


@dataclass(slots=True)
class Member:
    """A queue member reached on a device (``PJSIP/1001``), as app_queue tracks it: static
    (from queues.conf) or dynamic (logged in with QueueAdd; kept across a restart, as
    ``persistentmembers`` does)."""

    interface: str
    name: str
    login_time: int
    status: int = NOT_INUSE
    calls_taken: int = 0
    last_call: int = 0
    in_call: int = 0
    paused: bool = False
    paused_reason: str = ""
    last_pause: int = 0
    dynamic: bool = False

    def _common(self) -> list[Header]:
        return [
            ("StateInterface", self.interface),
            ("Membership", "dynamic" if self.dynamic else "static"),
            ("Penalty", "0"),
            ("CallsTaken", str(self.calls_taken)),
            ("LastCall", str(self.last_call)),
            ("LastPause", str(self.last_pause)),
            ("LoginTime", str(self.login_time)),
            ("InCall", str(self.in_call)),
            ("Status", str(self.status)),
            ("Paused", "1" if self.paused else "0"),
            ("PausedReason", self.paused_reason),
        ]

    def status_event(self, queue: str) -> list[Header]:
        """Headers of ``QueueMemberStatus`` (order as recorded from Asterisk 20)."""
        head = [("Queue", queue), ("MemberName", self.name), ("Interface", self.interface)]
        return [*head, *self._common(), ("Ringinuse", "1"), ("Wrapuptime", "0")]

    def list_event(self, queue: str) -> list[Header]:
        """Headers of the ``QueueMember`` list event answering ``QueueStatus``."""
        head = [("Queue", queue), ("Name", self.name), ("Location", self.interface)]
        return [*head, *self._common(), ("Wrapuptime", "0")]


@dataclass(slots=True)
class QueueState:
    """One queue: members, callers waiting in order, and the counters QueueParams reports."""

    name: str
    members: dict[str, Member]
    strategy: str = RINGALL
    waiting: list[Channel] = field(default_factory=list)
    joined_at: dict[str, float] = field(default_factory=dict)
    completed: int = 0
    abandoned: int = 0
    # rrmemory: the member rung last, so the next call starts with the one after it.
    last_rung: str | None = None

    def ring_order(self, interfaces: Sequence[str]) -> list[str]:
        """The order app_queue tries ``interfaces`` in, one at a time (not for ringall).

        rrmemory starts after the member rung last (in member order) and wraps round;
        leastrecent starts with the member whose last call ended longest ago.
        """
        chosen = list(interfaces)
        if self.strategy == LEASTRECENT:
            return sorted(
                chosen, key=lambda i: self.members[i].last_call if i in self.members else 0
            )
        if self.strategy == RRMEMORY and self.last_rung in chosen:
            start = chosen.index(self.last_rung) + 1
            return chosen[start:] + chosen[:start]
        return chosen

    def ringable(self, interfaces: Sequence[str]) -> list[str]:
        """``interfaces`` without the paused members: app_queue never rings those."""
        return [i for i in interfaces if i not in self.members or not self.members[i].paused]

    def join(self, caller: Channel) -> tuple[int, int]:
        """Queue the caller; returns (position, count) for QueueCallerJoin."""
        self.waiting.append(caller)
        self.joined_at[caller.uniqueid] = time.time()
        return len(self.waiting), len(self.waiting)

    def leave(self, caller: Channel) -> tuple[int, int]:
        """Take the caller out; returns (position it had, callers left)."""
        position = self.waiting.index(caller) + 1 if caller in self.waiting else 1
        if caller in self.waiting:
            self.waiting.remove(caller)
        return position, len(self.waiting)

    def waited(self, caller: Channel) -> int:
        return int(time.time() - self.joined_at.get(caller.uniqueid, time.time()))


class Pbx:
    """Shared state of one simulated Asterisk and the fan-out of its events."""

    def __init__(self, *, queue: str, agents: dict[str, str], dialed: str) -> None:
        self.channels = ChannelRegistry()
        # The number customers dial (the DID the trunk delivers inbound calls to).
        self.dialed = dialed
        self._agents = dict(agents)
        self._main = queue
        self.queues: dict[str, QueueState] = {}
        self.queues[queue] = self._new_queue(queue, RINGALL)
        self.sinks: set[EventSink] = set()
        # Live channels per non-agent device (the trunk), for its DeviceStateChange.
        self.device_use: Counter[str] = Counter()
        self.boot_time = time.time() - _INITIAL_UPTIME
        self.events_emitted = 0
        # The FastAGI server the dialplan's lookup step connects to (None: not run).
        self.agi: tuple[str, int] | None = None
        # Where queue calls are recorded (``recording.py``; None: they are not).
        self.recordings: str | None = None

    def _new_queue(self, name: str, strategy: str) -> QueueState:
        login = int(time.time())
        members = {
            iface: Member(interface=iface, name=label, login_time=login)
            for iface, label in self._agents.items()
            if name not in DYNAMIC_QUEUES
        }
        if self._main in self.queues:
            # A queue set up on first use stands for one configured from the start: its
            # members carry the pause a QueuePause without ``Queue`` gave them everywhere.
            for iface, member in members.items():
                main = self.queue.members.get(iface)
                if main is not None:
                    member.paused, member.paused_reason = main.paused, main.paused_reason
                    member.last_pause = main.last_pause
        return QueueState(name=name, members=members, strategy=strategy)

    @property
    def queue(self) -> QueueState:
        """The main queue (``support``, ringall) most calls go to."""
        return self.queues[self._main]

    def queue_named(self, name: str) -> QueueState:
        """A queue by name; one of ``EXTRA_QUEUES`` is set up on first use."""
        queue = self.queues.get(name)
        if queue is None:
            strategy = EXTRA_QUEUES.get(name) or DYNAMIC_QUEUES.get(name)
            if strategy is None:
                known = ", ".join([self._main, *EXTRA_QUEUES, *DYNAMIC_QUEUES])
                raise ValueError(f"no queue {name!r}; known: {known}")
            queue = self.queues[name] = self._new_queue(name, strategy)
        return queue

    def find_queue(self, name: str) -> QueueState | None:
        """A queue by name as app_queue finds one (any case), set up on first use."""
        known = {q.lower(): q for q in [*self.queues, *EXTRA_QUEUES, *DYNAMIC_QUEUES]}
        found = known.get(name.lower())
        return None if found is None else self.queue_named(found)

    @property
    def uptime(self) -> int:
        return int(time.time() - self.boot_time)

    def emit(self, event: str, privilege: str, headers: Headers) -> float:
        """Write one event to every interested session; returns the time it was written."""
        data = encode_event(event, headers, privilege=privilege)
        event_class = privilege.partition(",")[0]
        for sink in list(self.sinks):
            if sink.wants(event_class):
                sink.write(data)
        self.events_emitted += 1
        return time.time()

    def member(self, interface: str) -> Member | None:
        return self.queue.members.get(interface)

    def set_member_status(self, interface: str, status: int) -> None:
        """Change a member's device state and report it as app_queue does: once for every
        queue the device is a member of (device state is shared between queues)."""
        for queue in self.queues.values():
            member = queue.members.get(interface)
            if member is None:
                continue
            member.status = status
            member.in_call = 1 if status == INUSE else 0
            self.emit("QueueMemberStatus", AGENT, member.status_event(queue.name))

    def pause_members(
        self, interface: str, paused: bool, reason: str, queue_name: str = ""
    ) -> list[tuple[str, Member]]:
        """app_queue's ``set_member_paused``: (un)pause ``interface`` in ``queue_name`` or,
        when empty, in every queue it is a member of; returns the (queue, member) pairs
        changed, each owed one ``QueueMemberPause`` (see :meth:`member_paused`)."""
        changed = []
        for queue in self.queues.values():
            if queue_name and queue.name.lower() != queue_name.lower():
                continue
            member = _find(queue, interface)
            if member is not None:
                member.paused = paused
                member.last_pause = int(time.time()) if paused else member.last_pause
                member.paused_reason = reason if paused else ""
                changed.append((queue.name, member))
        return changed

    def add_member(
        self, queue_name: str, interface: str, name: str, *, paused: bool, reason: str
    ) -> tuple[str, Member | None]:
        """app_queue's ``add_to_queue``: a dynamic member; (outcome, member) with outcome
        ``added``, ``exists`` or ``no_queue``, the member only when added (then owed a
        ``QueueMemberAdded``, see :meth:`member_event`)."""
        queue = self.find_queue(queue_name)
        if queue is None:
            return "no_queue", None
        if _find(queue, interface) is not None:
            return "exists", None
        now = int(time.time())
        member = Member(
            interface=interface, name=name or interface, login_time=now, dynamic=True,
            paused=paused, paused_reason=reason if paused else "", last_pause=now if paused else 0,
        )  # fmt: skip
        queue.members[interface] = member
        return "added", member

    def remove_member(self, queue_name: str, interface: str) -> tuple[str, Member | None]:
        """app_queue's ``remove_from_queue``: (outcome, member) with outcome ``removed``
        (the member, owed a ``QueueMemberRemoved``), ``not_there``, ``no_queue`` or
        ``not_dynamic``."""
        queue = self.find_queue(queue_name)
        if queue is None:
            return "no_queue", None
        member = _find(queue, interface)
        if member is None:
            return "not_there", None
        if not member.dynamic:
            return "not_dynamic", None
        del queue.members[member.interface]
        return "removed", member

    def member_event(self, event: str, queue_name: str, member: Member) -> None:
        """``QueueMemberAdded`` or ``QueueMemberRemoved`` (the QueueMemberStatus headers)."""
        queue = self.find_queue(queue_name)
        self.emit(event, AGENT, member.status_event(queue.name if queue else queue_name))

    def member_paused(self, queue: str, member: Member, reason: str) -> None:
        """``QueueMemberPause`` for one membership (apps/app_queue.c publish_queue_member_pause,
        queue_member_blob_create: the QueueMemberStatus header set); an unpause with a reason
        carries that reason in this event only, as set_queue_member_pause does."""
        headers = member.status_event(queue)
        if not member.paused and reason:
            headers = [(k, reason if k == "PausedReason" else v) for k, v in headers]
        self.emit("QueueMemberPause", AGENT, headers)

    def reset(self) -> None:
        """An Asterisk restart: no channels, fresh queue statistics, Uptime from zero."""
        self.channels.reset()
        self.device_use.clear()
        old = self.queues
        self.queues = {}  # a restart forgets pauses: nothing to copy from
        self.queues = {name: self._new_queue(name, q.strategy) for name, q in old.items()}
        for name, queue in old.items():  # persistentmembers: dynamic members come back
            for iface, member in queue.members.items():
                if member.dynamic:
                    self.queues[name].members[iface] = member
        self.boot_time = time.time()


def _find(queue: QueueState, interface: str) -> Member | None:
    """The member on ``interface``; app_queue compares interfaces in any case."""
    return next((m for i, m in queue.members.items() if i.lower() == interface.lower()), None)
