"""What the web layer needs from the rest of the daemon, handed over by the composition root."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import web

from cti_bridge.bus.base import Bus
from cti_bridge.hashing import HashPool
from cti_bridge.ivr.service import IvrService
from cti_bridge.services.agents import AgentDirectory
from cti_bridge.services.calls import CallService
from cti_bridge.services.lookups import CallerLookup
from cti_bridge.services.metrics import Metrics
from cti_bridge.services.supervision import Supervision
from cti_bridge.settings import Settings
from cti_bridge.store.accounts import Accounts
from cti_bridge.store.audit import Audit
from cti_bridge.store.calllog import CallLog
from cti_bridge.store.customers import CustomerWriter
from cti_bridge.store.desk import DeskStore
from cti_bridge.store.directory import CustomerDirectory
from cti_bridge.store.journal import Journal
from cti_bridge.store.tickets import TicketStore
from cti_bridge.web.hub import Hub

# Readiness: name -> (ok, detail), gathered by the composition root.
ReadinessProbe = Callable[[], Awaitable[dict[str, tuple[bool, str]]]]


@dataclass
class WebContext:
    settings: Settings
    accounts: Accounts
    audit: Audit
    directory: CustomerDirectory
    lookup: CallerLookup
    customers: CustomerWriter
    calllog: CallLog
    tickets: TicketStore
    desk: DeskStore
    calls: CallService
    agents: AgentDirectory
    bus: Bus
    hub: Hub
    metrics: Metrics
    readiness: ReadinessProbe
    clock: Callable[[], float] = time.time
    # Click-to-dial: (agent interface, number) -> None; None when no PBX is configured.
    originate: Callable[[str, str, dict[str, str]], Awaitable[None]] | None = None
    # Holds acknowledged writes while the database is unreachable; None: no journal.
    journal: Journal | None = None
    # SLA monitor, board, complaints and figures; None in bare test contexts.
    supervision: Supervision | None = None

    # The IVR's use cases for /ivr/v1/*; None when not wired (bare test contexts).
    ivr: IvrService | None = None
    # Threads for password hashing, apart from the IVR's PIN threads.
    passwords: HashPool = field(default_factory=lambda: HashPool("password"))

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)


CONTEXT = web.AppKey("context", WebContext)
