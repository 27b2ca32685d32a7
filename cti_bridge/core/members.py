"""Who is logged in to which queue, as one Asterisk server says (dynamic members).

A dynamic member is an interface logged in to a queue at run time - AMI ``QueueAdd`` (the
desk, another tool) or the dialplan's ``AddQueueMember`` (a phone feature code) - as
opposed to a static member from queues.conf, always in. app_queue announces each log-in
with ``QueueMemberAdded`` and each log-out with ``QueueMemberRemoved`` (``Membership:
dynamic``), whoever asked; ``QueueStatus`` lists every member with its ``Membership``, so
after a login to the AMI the whole picture is read again (the events missed while away).
An event that arrives while that list is on its way is newer than the list: the list
leaves the interface it names alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cti_bridge.core.channels import interface_of

MEMBER_EVENTS = frozenset({"QueueMemberAdded", "QueueMemberRemoved"})
DYNAMIC = "dynamic"


class DynamicMembers:
    """The dynamic memberships of one Asterisk server: queues by interface."""

    def __init__(self) -> None:
        self._queues: dict[str, frozenset[str]] = {}
        # Events fed so far, and the count when each interface last had one.
        self._fed = 0
        self._touched: dict[str, int] = {}

    def mark(self) -> int:
        """Taken before asking ``QueueStatus``; given back to :meth:`replace`."""
        return self._fed

    def feed(self, event: Mapping[str, str]) -> str | None:
        """A ``QueueMemberAdded``/``QueueMemberRemoved``; the interface whose queues
        changed, or None (another event, a static member, nothing new)."""
        name, queue = event.get("Event"), event.get("Queue", "")
        if name not in MEMBER_EVENTS or event.get("Membership") != DYNAMIC or not queue:
            return None
        interface = interface_of(event.get("Interface", ""))
        self._fed += 1
        self._touched[interface] = self._fed
        held = self._queues.get(interface, frozenset())
        now = held | {queue} if name == "QueueMemberAdded" else held - {queue}
        return self._set(interface, now, held)

    def replace(self, listed: Iterable[Mapping[str, str]], mark: int = 0) -> set[str]:
        """Everything anew from the ``QueueMember`` items of a ``QueueStatus`` asked at
        ``mark`` (other items are skipped), but for the interfaces with an event since;
        the interfaces whose queues changed."""
        found: dict[str, set[str]] = {}
        for item in listed:
            if item.get("Event") == "QueueMember" and item.get("Membership") == DYNAMIC:
                interface = interface_of(item.get("Location", ""))
                found.setdefault(interface, set()).add(item.get("Queue", ""))
        changed = set()
        for interface in set(found) | set(self._queues):
            if self._touched.get(interface, 0) > mark:
                continue
            now = frozenset(found.get(interface, ()))
            if self._set(interface, now, self._queues.get(interface, frozenset())):
                changed.add(interface)
        return changed

    def queues_of(self, interfaces: Iterable[str]) -> set[str]:
        """The queues any of ``interfaces`` is logged in to."""
        return {q for i in interfaces for q in self._queues.get(interface_of(i), ())}

    def _set(self, interface: str, now: frozenset[str], held: frozenset[str]) -> str | None:
        if now == held:
            return None
        if now:
            self._queues[interface] = now
        else:
            self._queues.pop(interface, None)
        return interface
