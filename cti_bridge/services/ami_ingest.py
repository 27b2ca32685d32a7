"""The AMI ingest: one link per Asterisk server, each feeding its pure call tracker, whose
call facts go to the call service.

The read path (:meth:`AmiIngest._on_event`) is synchronous and short; everything slow
happens in the call's own task. After every login a resync catches up with what happened
while the link was down. In a cluster each server's link is held by one node at a time
(its lease); a node that loses a lease drops that server's link and calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from cti_bridge.ami import AmiError, AmiLink, LinkStatus
from cti_bridge.ami.resync import catch_up
from cti_bridge.bus.cluster import AmiLeases
from cti_bridge.core.calls import HANDLED_EVENTS, HANDLED_VARIABLES, CallSnapshot, CallTracker
from cti_bridge.core.events import CallEnded, CallEvent
from cti_bridge.core.members import MEMBER_EVENTS, DynamicMembers
from cti_bridge.core.pacing import PopPacing
from cti_bridge.services.agents import AgentDirectory
from cti_bridge.services.calls import CallService
from cti_bridge.services.metrics import Metrics
from cti_bridge.settings import AsteriskServer, Settings

log = logging.getLogger(__name__)

# Queue member events the pause watcher is told of (the call tracker ignores them).
PAUSE_EVENT = "QueueMemberPause"


class PauseWatcher(Protocol):
    """Keeps agents' status and queue pauses the same (services/agent_state.py)."""

    def member_paused(self, server: str, event: dict[str, str]) -> None: ...

    async def settle(self, members: list[tuple[str, bool, str]]) -> int: ...

    def call_ended(self, interface: str) -> None: ...


class MemberWatcher(Protocol):
    """Tells agents which queues they are logged in to (services/queue_logins.py)."""

    def members_changed(self, server: str, interfaces: Iterable[str]) -> None: ...


class AmiIngest:
    """The links to every configured Asterisk server and what they feed."""

    def __init__(
        self,
        settings: Settings,
        *,
        agents: AgentDirectory,
        calls: CallService,
        metrics: Metrics,
        pacing: PopPacing,
        clock: Callable[[], float] = time.time,
        node_id: str | None = None,
    ) -> None:
        self._settings = settings
        self._pacing = pacing
        self._agents = agents
        self._calls = calls
        self._metrics = metrics
        self._clock = clock
        # In a cluster (Redis): this node's AMI leases, one per Asterisk server.
        self.leases = AmiLeases(settings, node_id) if node_id is not None else None
        self.links: dict[str, AmiLink] = {}
        self.trackers: dict[str, CallTracker] = {}
        self.resyncs: set[asyncio.Task[None]] = set()
        # Per server: its tracker and its event counter, looked up once per event.
        self._ingest: dict[str, tuple[CallTracker, Any]] = {}
        # Told of QueueMemberPause events, and after each login of the members' pauses.
        self.pause_watcher: PauseWatcher | None = None
        # Per server: who is logged in to which queue (dynamic members), and who is told.
        self.members: dict[str, DynamicMembers] = {}
        self.member_watcher: MemberWatcher | None = None

    async def start(self) -> None:
        """Open (or, in a cluster, compete for) every server's link."""
        for server in self._settings.asterisk:
            await self._start_link(server)

    async def stop(self) -> None:
        """Close every link and lease and cancel the resyncs; safe after a partial start."""
        if self.leases is not None:
            await self.leases.close()  # hands each lease over at once
        for link in self.links.values():
            await link.close()
        for resync in list(self.resyncs):
            resync.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await resync

    def live_calls(self) -> list[CallSnapshot]:
        """Calls in progress on every Asterisk server (for the supervisors' board)."""
        return [call for tracker in self.trackers.values() for call in tracker.snapshot()]

    def checks(self) -> dict[str, tuple[bool, str]]:
        """``/readyz`` lines: one per link held here, and the servers other nodes hold."""
        checks = {
            f"ami:{name}": (link.status is LinkStatus.CONNECTED, link.status.value)
            for name, link in self.links.items()
        }
        if self.leases is not None:
            checks.update(self.leases.checks())
        return checks

    def live_call(self, call_id: str) -> CallSnapshot | None:
        """The call in progress with ``call_id`` (None: unknown or over)."""
        tracker = self.trackers.get(call_id.partition(":")[0])
        if tracker is None:
            return None
        return next((c for c in tracker.snapshot() if c.call_id == call_id), None)

    async def _start_link(self, server: AsteriskServer) -> None:
        if self.leases is None:
            await self._open_link(server)
            return
        await self.leases.compete(
            server.name, lambda: self._open_link(server), lambda: self._drop_link(server.name)
        )

    async def _drop_link(self, name: str) -> None:
        """Another node holds this server now: stop listening to it here."""
        link = self.links.pop(name, None)
        if link is not None:
            await link.close()
        self._ingest.pop(name, None)
        self.trackers.pop(name, None)
        self.members.pop(name, None)
        self._metrics.ami_connected.labels(name).set(0)
        if dropped := self._calls.forget_server(name):
            log.info("AMI %s: %d calls in progress left to the next holder", name, dropped)

    async def _open_link(self, server: AsteriskServer) -> None:
        tracker = CallTracker(server.name, self._agents.is_agent_interface)
        self.trackers[server.name] = tracker
        self._ingest[server.name] = (tracker, self._metrics.ami_events.labels(server.name))
        self.members[server.name] = DynamicMembers()
        link = AmiLink(
            server,
            self._on_event,
            on_status=self._on_status,
            # The tracker ignores every other event, and every other VarSet.
            wanted=HANDLED_EVENTS | {PAUSE_EVENT} | MEMBER_EVENTS,
            variables=HANDLED_VARIABLES,
            on_skipped=self._on_skipped,
            pacing=self._pacing,  # a call's worker it starts runs before the next events
        )
        self.links[server.name] = link
        await link.start()

    def _on_event(self, server: str, event: dict[str, str]) -> None:
        """The AMI read path: feed the pure tracker, hand call facts to the call service.
        Kept synchronous and short; everything slow happens in the call's own task."""
        tracker, counter = self._ingest[server]
        counter.inc()
        name = event.get("Event")
        if self.pause_watcher is not None and name == PAUSE_EVENT:
            self.pause_watcher.member_paused(server, event)
            return
        if name in MEMBER_EVENTS:
            changed = self.members[server].feed(event)
            if changed is not None and self.member_watcher is not None:
                self.member_watcher.members_changed(server, (changed,))
            return
        for fact in tracker.feed(event, self._clock()):
            self._dispatch(fact)

    def _on_skipped(self, server: str, count: int) -> None:
        self._ingest[server][1].inc(count)

    def _dispatch(self, fact: CallEvent, *, resync: bool = False) -> None:
        """One call fact, live or from a resync (which may re-offer a call its agents
        were popped for already: the call service asks the bus), to the call service."""
        self._metrics.call_events.labels(type(fact).__name__).inc()
        self._calls.handle(fact, resync=resync)
        watcher = self.pause_watcher
        if watcher is not None and not resync and isinstance(fact, CallEnded) and fact.interface:
            watcher.call_ended(fact.interface)  # wrap-up for the agent who talked last

    def _on_status(self, server: str, status: LinkStatus) -> None:
        log.debug("AMI link %s: %s", server, status.value)
        self._metrics.ami_connected.labels(server).set(1 if status is LinkStatus.CONNECTED else 0)
        if status is LinkStatus.CONNECTED:
            # After every login: what happened while we were not listening.
            task = asyncio.create_task(self._resync(server), name=f"ami-resync-{server}")
            self.resyncs.add(task)
            task.add_done_callback(self.resyncs.discard)

    async def _resync(self, server: str) -> None:
        try:
            facts = await catch_up(self.links[server], self._ingest[server][0], self._clock)
        except (AmiError, TimeoutError) as exc:
            log.warning("AMI %s: resync after login failed (%s); live events go on", server, exc)
            return
        for fact in facts:
            self._dispatch(fact, resync=True)
        await self._read_members(server)

    async def _read_members(self, server: str) -> None:
        """One QueueStatus after a login: who is logged in to which queue now, and the
        pauses set again where they differ from what the agents last chose."""
        members = self.members.get(server)
        mark = members.mark() if members is not None else 0
        try:
            listed = await self.links[server].queue_status()
        except (AmiError, TimeoutError, KeyError) as exc:
            log.warning("AMI %s: no QueueStatus to read the members (%s)", server, exc)
            return
        changed = members.replace(listed, mark) if members is not None else set()
        if changed and self.member_watcher is not None:
            self.member_watcher.members_changed(server, changed)
        if self.pause_watcher is not None:
            await self._settle_pauses(server, self.pause_watcher, listed)

    async def _settle_pauses(
        self, server: str, watcher: PauseWatcher, listed: list[dict[str, str]]
    ) -> None:
        """The members' pause state as this server has it, set again where it differs
        from what the agents last chose."""
        members = [
            (m.get("Location", ""), m.get("Paused") == "1", m.get("PausedReason", ""))
            for m in listed
            if m.get("Event") == "QueueMember"
        ]
        if settled := await watcher.settle(members):
            log.info("AMI %s: queue pauses of %d agents set as they chose", server, settled)
