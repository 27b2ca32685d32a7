"""The SLA monitor: tells people the moment a ticket becomes due soon or overdue.

It never scans the open tickets. Each ticket row carries ``sla_next_at``, the instant its
standing next changes (indexed). The monitor asks for the tickets whose instant has come,
settles each (new standing + outbox alert in one transaction, see
:mod:`cti_bridge.store.service_levels`), delivers the alerts, then sleeps until the
earliest ``sla_next_at`` — or until a ticket change pokes it, since a change may bring a
ticket's instant forward. Tickets without a clock (older rows, bulk imports) are planned
in batches first.

Who hears of a transition (DESIGN §6.3, one ``alert`` each): due soon and overdue level 1
go to the assignee and the supervisors; level 2 (overdue past the escalation time) also
to the admins.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from cti_bridge.bus.base import Bus
from cti_bridge.core.pop import iso
from cti_bridge.core.states import Role
from cti_bridge.services.agents import AgentDirectory
from cti_bridge.store.service_levels import Announcement, SlaStore
from cti_bridge.store.tickets import TicketStore

log = logging.getLogger(__name__)

# A ticket that cannot be settled (a bug, a broken row) is retried after this, instead
# of holding the loop at its past instant.
RETRY_LATER = timedelta(minutes=1)


class SlaMonitor:
    def __init__(
        self,
        store: SlaStore,
        tickets: TicketStore,
        bus: Bus,
        agents: AgentDirectory,
        *,
        clock: Callable[[], float] = time.time,
        max_sleep: float = 30.0,
        batch: int = 500,
    ) -> None:
        self._store = store
        self._tickets = tickets
        self._bus = bus
        self._agents = agents
        self._clock = clock
        self._max_sleep = max_sleep
        self._batch = batch
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # One pass at a time: a pass settles and delivers; two at once could both see
        # the same outbox row before it is marked delivered.
        self._pass = asyncio.Lock()
        self._recovered = False
        self.alerts_sent = 0
        tickets.listeners.append(self.poke)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def poke(self) -> None:
        """A ticket changed (or the clock was moved): look again now."""
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sla-monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.run_once()
                delay = await self._delay()
            except Exception:
                log.exception("SLA monitor pass failed; trying again shortly")
                delay = min(self._max_sleep, 5.0)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()

    async def _delay(self) -> float:
        upcoming = await self._store.next_at()
        if upcoming is None:
            return self._max_sleep
        seconds = (upcoming - self.now()).total_seconds()
        return min(max(seconds, 0.0), self._max_sleep)

    async def run_once(self) -> int:
        """Deliver leftovers, plan unplanned tickets, settle every due one; returns the
        number of alerts delivered."""
        async with self._pass:
            return await self._pass_once()

    async def _pass_once(self) -> int:
        now = self.now()
        sent = 0
        if not self._recovered:
            # Alerts recorded by a run that stopped before delivering them.
            sent += await self._deliver(await self._store.undelivered(), now)
            self._recovered = True
        while await self._store.adopt_unplanned(now, self._batch) == self._batch:
            pass
        while True:
            due = await self._store.due(now, self._batch)
            if due:
                sent += await self._deliver(await self._settle(due, now), now)
            if len(due) < self._batch:
                return sent

    async def _settle(self, due: list[int], now: datetime) -> list[Announcement]:
        try:
            return await self._store.settle_many(due, now)
        except Exception:
            log.exception("cannot settle a batch of %d tickets; settling them one by one", len(due))
        settled = []
        for ticket_id in due:
            try:
                found = await self._store.settle(ticket_id, now)
            except Exception:
                log.exception("cannot settle the service level of ticket %s", ticket_id)
                await self._store.postpone(ticket_id, now + RETRY_LATER)
                continue
            if found is not None:
                settled.append(found)
        return settled

    async def _deliver(self, alerts: list[Announcement], now: datetime) -> int:
        """Publish each alert to its people, then mark the batch delivered."""
        if not alerts:
            return 0
        views = await self._tickets.get_many([a.ticket_id for a in alerts], now)
        for alert in alerts:
            ticket = views.get(alert.ticket_id)
            if ticket is None:
                continue  # deleted since: nobody to tell
            message = alert_message(alert, ticket)
            for agent_id in self.recipients(ticket.get("assignee_id"), alert.level):
                await self._bus.publish(agent_id, message)
        await self._store.delivered([a.alert_id for a in alerts], now)
        self.alerts_sent += len(alerts)
        return len(alerts)

    def recipients(self, assignee_id: int | None, level: int) -> list[int]:
        roles = {Role.SUPERVISOR.value} | ({Role.ADMIN.value} if level >= 2 else set())
        ids = {a.id for a in self._agents.all() if a.role in roles}
        if assignee_id is not None:
            ids.add(assignee_id)
        return sorted(ids)


def alert_message(alert: Announcement, ticket: dict[str, Any]) -> dict[str, Any]:
    """DESIGN §6.3 ``alert``, with which target, the level and when it happened."""
    return {
        "type": "alert",
        "kind": alert.kind,
        "alert_id": alert.alert_id,
        "target": alert.target,
        "level": alert.level,
        "at": iso(alert.at),
        "ticket": ticket,
    }
