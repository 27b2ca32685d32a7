"""What supervisors get, built in one place: the SLA monitor, the live board, the
complaint workflow and the figures. The composition root builds it with
:func:`build_supervision` and starts/stops it with the rest of the daemon."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.bus.base import Bus
from cti_bridge.core.callstate import CallSnapshot
from cti_bridge.services.agents import AgentDirectory
from cti_bridge.services.board import Board
from cti_bridge.services.calls import CallService
from cti_bridge.services.sla_monitor import SlaMonitor
from cti_bridge.settings import Settings
from cti_bridge.store.board import BoardStore
from cti_bridge.store.complaints import ComplaintBook
from cti_bridge.store.reports import ReportStore
from cti_bridge.store.service_levels import SlaStore
from cti_bridge.store.tickets import TicketStore


@dataclass
class Supervision:
    monitor: SlaMonitor
    board: Board
    complaints: ComplaintBook
    reports: ReportStore

    async def start(self) -> None:
        await self.monitor.start()
        await self.board.start()

    async def stop(self) -> None:
        await self.board.stop()
        await self.monitor.stop()


def build_supervision(
    engine: AsyncEngine,
    settings: Settings,
    *,
    tickets: TicketStore,
    bus: Bus,
    agents: AgentDirectory,
    calls: CallService,
    connected: Callable[[int], bool],
    live_calls: Callable[[], list[CallSnapshot]],
    clock: Callable[[], float] = time.time,
) -> Supervision:
    monitor = SlaMonitor(
        SlaStore(engine, settings.sla.policy),
        tickets,
        bus,
        agents,
        clock=clock,
        max_sleep=settings.sla.max_sleep_seconds,
    )
    board = Board(
        calls=live_calls,
        agents=agents,
        connected=connected,
        bus=bus,
        store=BoardStore(engine),
        timezone=settings.centre.timezone,
        clock=clock,
    )
    calls.notifier.pop_watchers.append(board.on_pop)
    tickets.listeners.append(board.tickets_changed)
    return Supervision(
        monitor=monitor,
        board=board,
        complaints=ComplaintBook(tickets, settings.complaints.categories),
        reports=ReportStore(engine),
    )
