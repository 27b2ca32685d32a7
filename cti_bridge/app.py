"""The composition root: build every part from the settings, start and stop them in order.

Start order: database (checked and migrated) -> stores -> bus -> hub -> agent directory ->
call service -> web server -> AMI links (last, so no call fact arrives before its consumers
exist). Stop is the reverse. Nothing else in the project constructs these parts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.ami import AmiError, AmiLink, LinkStatus
from cti_bridge.ami.resync import catch_up
from cti_bridge.bus.base import Bus
from cti_bridge.bus.cluster import AmiLeases, bus_check, make_bus
from cti_bridge.bus.redis import RedisBus
from cti_bridge.core.calls import HANDLED_EVENTS, CallSnapshot, CallTracker
from cti_bridge.core.events import CallEvent
from cti_bridge.hashing import HashPool
from cti_bridge.ivr.assembly import IvrParts
from cti_bridge.services.agents import AgentDirectory
from cti_bridge.services.assignment import RuleAssigner
from cti_bridge.services.calls import CallService
from cti_bridge.services.lookups import CallerLookup
from cti_bridge.services.metrics import Metrics
from cti_bridge.services.supervision import build_supervision
from cti_bridge.settings import AsteriskServer, Settings
from cti_bridge.store import migrate
from cti_bridge.store.accounts import Accounts, AgentRef
from cti_bridge.store.audit import Audit
from cti_bridge.store.calllog import CallLog
from cti_bridge.store.customers import CustomerWriter
from cti_bridge.store.db import create_engine
from cti_bridge.store.desk import DeskStore
from cti_bridge.store.directory import CustomerDirectory
from cti_bridge.store.journal import Journal
from cti_bridge.store.popread import PostgresPopReader
from cti_bridge.store.tickets import TicketStore
from cti_bridge.web.app import create_web_app
from cti_bridge.web.hub import Hub, SocketLimits, end_agent_message
from cti_bridge.web.keys import Dialer, WebParts
from cti_bridge.web.replays import register_replays
from cti_bridge.web.site import CappedSite, connection_cap

log = logging.getLogger(__name__)

AGENT_REFRESH_SECONDS = 10.0
READINESS_DB_TIMEOUT = 2.0


class DatabaseNotMigrated(RuntimeError):
    pass


@dataclass
class Daemon:
    settings: Settings
    clock: Callable[[], float] = time.time
    migrate_on_start: bool = False
    metrics: Metrics = field(default_factory=Metrics)
    engine: AsyncEngine | None = None
    links: dict[str, AmiLink] = field(default_factory=dict)
    trackers: dict[str, CallTracker] = field(default_factory=dict)
    # In a cluster (Redis): this node's AMI leases, one per Asterisk server.
    leases: AmiLeases | None = None
    # Acknowledged writes waiting for the database (DESIGN §7).
    journal: Journal | None = None
    popread: PostgresPopReader | None = None
    # argon2 runs on these, one pool each, so a login flood cannot hold up IVR PIN checks.
    passwords: HashPool = field(default_factory=lambda: HashPool("password"))
    pins: HashPool = field(default_factory=lambda: HashPool("pin"))
    _runner: web.AppRunner | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _resyncs: set[asyncio.Task[None]] = field(default_factory=set)
    # Per server: its tracker and its event counter, looked up once per event.
    _ingest: dict[str, tuple[CallTracker, Any]] = field(default_factory=dict)

    async def start(self) -> None:
        s = self.settings
        self.engine = create_engine(s.database.url, echo=s.database.echo)
        await self._check_schema(self.engine)
        limits = SocketLimits(
            per_session=s.web.max_sockets_per_session,
            per_agent=s.web.max_sockets_per_agent,
            total=s.web.max_sockets,
        )
        self.hub = Hub(queue_size=s.web.socket_queue_size, metrics=self.metrics, limits=limits)
        self.bus: Bus = make_bus(s, self.hub.agent_ids, self.clock)
        self.bus.attach(self.hub.deliver)
        self.bus.on_control(self.hub.control)
        if isinstance(self.bus, RedisBus):
            self.leases = AmiLeases(s, self.bus.node_id)
        await self.bus.start()
        self.accounts = Accounts(self.engine)
        self.agents = AgentDirectory(self.accounts.all_active)
        await self.agents.refresh()
        self._tasks.append(asyncio.create_task(self._refresh_agents(), name="agent-refresh"))
        directory = self._directory(self.engine)
        if self.popread is not None:
            await self.popread.open()
        self.lookup = CallerLookup(
            directory,
            timezone=s.centre.timezone,
            timeout=s.centre.lookup_timeout_ms / 1000,
            metrics=self.metrics,
        )
        self.ivr = IvrParts(s, clock=self.clock, pins=self.pins)
        self.calllog = CallLog(self.engine)
        audit = Audit(self.engine)
        self.calls = CallService(
            lookup=self.lookup,
            agents=self.agents,
            bus=self.bus,
            calllog=self.calllog,
            audit=audit,
            default_region=s.phone.default_region,
            match_digits=s.phone.match_digits,
            metrics=self.metrics,
            clock=self.clock,
            ivr_journey=self.ivr.journeys.pop_field,
        )
        tickets = TicketStore(self.engine, s.sla.policy, RuleAssigner(s.assignment, self.agents))
        self.supervision = build_supervision(
            self.engine,
            s,
            tickets=tickets,
            bus=self.bus,
            agents=self.agents,
            calls=self.calls,
            connected=self.hub.connected,
            live_calls=self.live_calls,
            clock=self.clock,
        )
        journal = self.journal = Journal(s.database.journal_dir)
        customers, desk = CustomerWriter(self.engine), DeskStore(self.engine)
        register_replays(
            journal,
            calllog=self.calllog,
            tickets=tickets,
            customers=customers,
            desk=desk,
            lookup=self.lookup,
            phone=s.phone,
            clock=self.clock,
        )
        await journal.open()  # replays what a previous run left, if anything
        ivr = await self.ivr.start(self.engine, tickets)
        self.web_parts = WebParts(
            settings=s,
            accounts=self.accounts,
            audit=audit,
            directory=directory,
            lookup=self.lookup,
            customers=customers,
            calllog=self.calllog,
            tickets=tickets,
            desk=desk,
            calls=self.calls,
            agents=self.agents,
            bus=self.bus,
            hub=self.hub,
            metrics=self.metrics,
            readiness=self.readiness,
            clock=self.clock,
            dialer=Dialer(originate=self._originate, connected=bool(s.asterisk)),
            journal=journal,
            supervision=self.supervision,
            ivr=ivr,
            passwords=self.passwords,
        )
        await self._start_web()
        await self.supervision.start()
        for server in s.asterisk:
            await self._start_link(server)

    def live_calls(self) -> list[CallSnapshot]:
        """Calls in progress on every Asterisk server (for the supervisors' board)."""
        return [call for tracker in self.trackers.values() for call in tracker.snapshot()]

    def _directory(self, engine: AsyncEngine) -> CustomerDirectory:
        """The pop's read: raw asyncpg on PostgreSQL (the bench shows why), Core elsewhere."""
        if engine.dialect.name != "postgresql":
            return CustomerDirectory(engine)
        self.popread = PostgresPopReader(engine, self.settings.database.url)
        return self.popread

    async def _check_schema(self, engine: AsyncEngine) -> None:
        if self.migrate_on_start:
            await migrate.upgrade(engine)
            return
        current = await migrate.current_revision(engine)
        if current != migrate.head_revision():
            raise DatabaseNotMigrated(
                f"the database is at revision {current or 'none'}, this version needs "
                f"{migrate.head_revision()}: run `cti-bridge db upgrade` first"
            )

    async def _start_web(self) -> None:
        app = create_web_app(self.web_parts)
        # aiohttp rounds every timer longer than 5 s up to a whole second, so the websocket
        # heartbeats of all agents (one per 25 s each) fire together on the second: with
        # 2,000 agents, 80 pings in one loop turn, ~15 ms during which no pop went out.
        # Unrounded, each socket pings on its own beat.
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, timeout_ceil_threshold=math.inf
        )
        await self._runner.setup()
        web_settings = self.settings.web
        self.site = CappedSite(
            self._runner,
            web_settings.host,
            web_settings.port,
            connection_cap(web_settings.max_connections),
        )
        await self.site.start()
        log.info("web listening on %s", ", ".join(self.web_urls))

    @property
    def web_urls(self) -> list[str]:
        if self._runner is None:
            return []
        return [f"http://{host}:{port}" for host, port, *_ in self._runner.addresses]

    @property
    def web_port(self) -> int:
        if self._runner is None or not self._runner.addresses:
            raise RuntimeError("web server not started")
        return int(self._runner.addresses[0][1])

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
        self.metrics.ami_connected.labels(name).set(0)
        if dropped := self.calls.forget_server(name):
            log.info("AMI %s: %d calls in progress left to the next holder", name, dropped)

    async def _open_link(self, server: AsteriskServer) -> None:
        tracker = CallTracker(server.name, self.agents.is_agent_interface)
        self.trackers[server.name] = tracker
        self._ingest[server.name] = (tracker, self.metrics.ami_events.labels(server.name))
        link = AmiLink(
            server,
            self._on_ami_event,
            on_status=self._on_link_status,
            wanted=HANDLED_EVENTS,  # the tracker ignores every other event
            on_skipped=self._on_ami_skipped,
        )
        self.links[server.name] = link
        await link.start()

    def _on_ami_event(self, server: str, event: dict[str, str]) -> bool:
        """The AMI read path: feed the pure tracker, hand call facts to the call service.
        Kept synchronous and short; everything slow happens in the call's own task.
        True when a call's task was started: the link lets it run (its lookup goes out
        to the database) before it reads on."""
        tracker, counter = self._ingest[server]
        counter.inc()
        started = False
        for fact in tracker.feed(event, self.clock()):
            started |= self._dispatch(fact)
        return started

    def _on_ami_skipped(self, server: str, count: int) -> None:
        self._ingest[server][1].inc(count)

    def _dispatch(self, fact: CallEvent, resync: bool = False) -> bool:
        """One call fact, live or from a resync (which may re-offer a call its agents
        were popped for already: the call service asks the bus), to the call service."""
        self.metrics.call_events.labels(type(fact).__name__).inc()
        return self.calls.handle(fact, resync=resync)

    def _on_link_status(self, server: str, status: LinkStatus) -> None:
        log.debug("AMI link %s: %s", server, status.value)
        self.metrics.ami_connected.labels(server).set(1 if status is LinkStatus.CONNECTED else 0)
        if status is LinkStatus.CONNECTED:
            # After every login: what happened while we were not listening.
            task = asyncio.create_task(self._resync(server), name=f"ami-resync-{server}")
            self._resyncs.add(task)
            task.add_done_callback(self._resyncs.discard)

    async def _resync(self, server: str) -> None:
        try:
            facts = await catch_up(self.links[server], self._ingest[server][0], self.clock)
        except (AmiError, TimeoutError) as exc:
            log.warning("AMI %s: resync after login failed (%s); live events go on", server, exc)
            return
        for fact in facts:
            self._dispatch(fact, resync=True)

    async def _originate(self, interface: str, number: str, variables: dict[str, str]) -> None:
        for name, link in self.links.items():
            if link.status is LinkStatus.CONNECTED:
                server = next(s for s in self.settings.asterisk if s.name == name)
                await link.originate(
                    channel=interface,
                    exten=number,
                    context=server.originate_context,
                    caller_id=number,
                    variables=variables,
                )
                return
        raise ConnectionError("no Asterisk server is connected")

    async def _refresh_agents(self) -> None:
        while True:
            await asyncio.sleep(AGENT_REFRESH_SECONDS)
            try:
                await self.agents.refresh()
            except Exception as exc:
                log.warning("could not refresh the agent list: %s", exc)
                continue
            self._end_inactive()

    def _end_inactive(self) -> None:
        """Agents taken out of service by another process (the CLI, another node, psql) lose
        this node's sockets within one refresh; a deactivation through this daemon or with
        Redis reaches them at once (:meth:`deactivate_agent`)."""
        for agent_id in self.hub.agent_ids():
            if self.agents.by_id(agent_id) is None:
                self.hub.end_agent(agent_id)

    async def deactivate_agent(self, username: str) -> AgentRef | None:
        """Take an agent out of service: sessions deleted, every socket of theirs on every
        node closed at once. None when there is no such agent."""
        agent = await self.accounts.deactivate(username)
        if agent is not None:
            await self.agents.refresh()
            await self.bus.control(end_agent_message(agent.id))
        return agent

    async def readiness(self) -> dict[str, tuple[bool, str]]:
        checks: dict[str, tuple[bool, str]] = {}
        checks["database"] = await self._database_ok()
        if self.journal is not None:
            checks["journal"] = self.journal.check()
            if not checks["database"][0]:
                # Writes are still acknowledged (journaled): degraded, not out of service.
                detail = checks["database"][1]
                checks["database"] = (False, f"degraded: {detail}, writes journaled")
        for name, link in self.links.items():
            checks[f"ami:{name}"] = (link.status is LinkStatus.CONNECTED, link.status.value)
        if self.leases is not None:
            checks.update(self.leases.checks())
        bus = bus_check(self.bus) if hasattr(self, "bus") else None
        if bus is not None:
            checks["redis"] = bus
        return checks

    async def _database_ok(self) -> tuple[bool, str]:
        if self.engine is None:
            return False, "not started"
        try:
            async with asyncio.timeout(READINESS_DB_TIMEOUT):
                async with self.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except Exception as exc:
            return False, f"unreachable: {type(exc).__name__}"
        return True, "ok"

    async def stop(self) -> None:
        if self.leases is not None:
            await self.leases.close()  # hands each lease over at once
        for link in self.links.values():
            await link.close()
        for resync in list(self._resyncs):
            resync.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await resync
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if hasattr(self, "ivr"):
            await self.ivr.stop()
        if self._runner is not None:
            await self.hub.close_all()
            await self._runner.cleanup()
        if hasattr(self, "supervision"):
            await self.supervision.stop()
        if hasattr(self, "calls"):
            await self.calls.close()
            await self.bus.close()
        if self.journal is not None:
            await self.journal.close()  # what is still held is replayed on the next start
        if self.popread is not None:
            await self.popread.close()
        if self.engine is not None:
            await self.engine.dispose()
        self.passwords.close()
        self.pins.close()
