"""What the web layer needs from the rest of the daemon: one typed application key per part.

The composition root fills a :class:`WebParts`; :func:`store_parts` puts each part under its
key on the root application. Handlers read ``request.config_dict[KEY]``, which finds the key
from the root application and from its sub-applications alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from aiohttp import web

from cti_bridge.bus.base import Bus
from cti_bridge.core.callstate import CallSnapshot
from cti_bridge.hashing import HashPool
from cti_bridge.ivr.service import IvrService
from cti_bridge.services.agent_state import AgentStates
from cti_bridge.services.agents import AgentDirectory
from cti_bridge.services.calls import CallService
from cti_bridge.services.lookups import CallerLookup
from cti_bridge.services.metrics import Metrics
from cti_bridge.services.queue_logins import QueueLogins
from cti_bridge.services.supervision import Supervision
from cti_bridge.settings import Settings
from cti_bridge.store.accounts import Accounts
from cti_bridge.store.audit import Audit
from cti_bridge.store.calllog import CallLog
from cti_bridge.store.customers import CustomerWriter
from cti_bridge.store.desk import DeskStore
from cti_bridge.store.directory import CustomerDirectory
from cti_bridge.store.journal import Journal
from cti_bridge.store.missed import MissedCalls
from cti_bridge.store.tickets import TicketStore
from cti_bridge.web.hub import Hub

# Readiness: name -> (ok, detail), gathered by the composition root.
ReadinessProbe = Callable[[], Awaitable[dict[str, tuple[bool, str]]]]
# Originate: (agent interface, number, channel variables) -> None.
Originate = Callable[[str, str, dict[str, str]], Awaitable[None]]
Clock = Callable[[], float]


async def _no_pbx(interface: str, number: str, variables: dict[str, str]) -> None:
    raise ConnectionError("no PBX is configured")


class CallControl(Protocol):
    """Hang-up and transfer of live calls (``AmiCommands``: here or on the link's node)."""

    async def live_call(self, call_id: str) -> CallSnapshot | None: ...

    async def hangup(self, call_id: str, channel: str) -> None: ...

    async def transfer(
        self,
        call_id: str,
        channel: str,
        exten: str,
        *,
        attended: bool,
        note: tuple[str, str, datetime] | None = None,
    ) -> None: ...


@dataclass(frozen=True, kw_only=True)
class Dialer:
    """Click-to-dial. ``connected`` is False when no PBX is configured: the API then
    answers 503 before it looks at anything else."""

    originate: Originate = _no_pbx
    connected: bool = False
    # Call control on the same links (None: no PBX configured).
    control: CallControl | None = None


@dataclass(frozen=True, kw_only=True)
class WebParts:
    """Everything the handlers use, every part present."""

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
    clock: Clock
    dialer: Dialer
    # Holds acknowledged writes while the database is unreachable.
    journal: Journal
    supervision: Supervision
    # The IVR's use cases behind /ivr/v1/*.
    ivr: IvrService
    # Threads for password hashing, apart from the IVR's PIN threads.
    passwords: HashPool
    # Agent status <-> queue pauses in Asterisk, and wrap-up.
    states: AgentStates
    # Missed and abandoned calls, and the claims on calling them back.
    missed: MissedCalls
    # Queue log-in and log-out (dynamic members).
    queue_logins: QueueLogins

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)


SETTINGS = web.AppKey("settings", Settings)
ACCOUNTS = web.AppKey("accounts", Accounts)
AUDIT = web.AppKey("audit", Audit)
DIRECTORY = web.AppKey("directory", CustomerDirectory)
LOOKUP = web.AppKey("lookup", CallerLookup)
CUSTOMERS = web.AppKey("customers", CustomerWriter)
CALLLOG = web.AppKey("calllog", CallLog)
TICKETS = web.AppKey("tickets", TicketStore)
DESK = web.AppKey("desk", DeskStore)
CALLS = web.AppKey("calls", CallService)
AGENTS = web.AppKey("agents", AgentDirectory)
BUS = web.AppKey("bus", Bus)
HUB = web.AppKey("hub", Hub)
METRICS = web.AppKey("metrics", Metrics)
READINESS: web.AppKey[ReadinessProbe] = web.AppKey("readiness")
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
DIALER = web.AppKey("dialer", Dialer)
JOURNAL = web.AppKey("journal", Journal)
SUPERVISION = web.AppKey("supervision", Supervision)
IVR = web.AppKey("ivr", IvrService)
PASSWORDS = web.AppKey("passwords", HashPool)
STATES = web.AppKey("states", AgentStates)
MISSED = web.AppKey("missed", MissedCalls)
QUEUE_LOGINS = web.AppKey("queue_logins", QueueLogins)


def store_parts(app: web.Application, parts: WebParts) -> None:
    """Each part under its own key."""
    app[SETTINGS] = parts.settings
    app[ACCOUNTS] = parts.accounts
    app[AUDIT] = parts.audit
    app[DIRECTORY] = parts.directory
    app[LOOKUP] = parts.lookup
    app[CUSTOMERS] = parts.customers
    app[CALLLOG] = parts.calllog
    app[TICKETS] = parts.tickets
    app[DESK] = parts.desk
    app[CALLS] = parts.calls
    app[AGENTS] = parts.agents
    app[BUS] = parts.bus
    app[HUB] = parts.hub
    app[METRICS] = parts.metrics
    app[READINESS] = parts.readiness
    app[CLOCK] = parts.clock
    app[DIALER] = parts.dialer
    app[JOURNAL] = parts.journal
    app[SUPERVISION] = parts.supervision
    app[IVR] = parts.ivr
    app[PASSWORDS] = parts.passwords
    app[STATES] = parts.states
    app[MISSED] = parts.missed
    app[QUEUE_LOGINS] = parts.queue_logins


def now(request: web.Request) -> datetime:
    """The daemon's clock as an aware UTC time."""
    return datetime.fromtimestamp(request.config_dict[CLOCK](), UTC)
