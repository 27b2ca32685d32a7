"""The composition root: build every part from the settings, start and stop them in order.

Every part is built in ``Daemon.__init__``, without I/O. Start order: database (checked
or migrated) -> bus -> agent directory -> pop reader -> journal -> IVR -> supervision ->
web server -> AMI links (last, so no call fact arrives before its consumers exist). Each
open is paired with its close on one exit stack: stop, or a start that fails part-way,
closes in reverse exactly what was opened. Nothing else in the project constructs these
parts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
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
from cti_bridge.web.context import WebContext
from cti_bridge.web.hub import Hub, SocketLimits, end_agent_message
from cti_bridge.web.replays import register_replays
from cti_bridge.web.site import CappedSite, connection_cap

log = logging.getLogger(__name__)

AGENT_REFRESH_SECONDS = 10.0
READINESS_DB_TIMEOUT = 2.0


class DatabaseNotMigrated(RuntimeError):
    pass


class Daemon:
    """Every part is built here, without I/O; :meth:`start` opens them in order, each
    open paired with its close on one exit stack, so a start that fails part-way closes
    exactly what it opened, and :meth:`stop` closes everything in reverse."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        migrate_on_start: bool = False,
    ) -> None:
        s = self.settings = settings
        self.clock = clock
        self.migrate_on_start = migrate_on_start
        self.metrics = Metrics()
        # argon2 runs on these, one pool each, so a login flood cannot hold up IVR PIN checks.
        self.passwords = HashPool("password")
        self.pins = HashPool("pin")
        self.engine: AsyncEngine = create_engine(s.database.url, echo=s.database.echo)
        limits = SocketLimits(
            per_session=s.web.max_sockets_per_session,
            per_agent=s.web.max_sockets_per_agent,
            total=s.web.max_sockets,
        )
        self.hub = Hub(queue_size=s.web.socket_queue_size, metrics=self.metrics, limits=limits)
        self.bus: Bus = make_bus(s, self.hub.agent_ids, self.clock)
        self.bus.attach(self.hub.deliver)
        self.bus.on_control(self.hub.control)
        # In a cluster (Redis): this node's AMI leases, one per Asterisk server.
        self.leases = AmiLeases(s, self.bus.node_id) if isinstance(self.bus, RedisBus) else None
        self.links: dict[str, AmiLink] = {}
        self.trackers: dict[str, CallTracker] = {}
        self._resyncs: set[asyncio.Task[None]] = set()
        # Per server: its tracker and its event counter, looked up once per event.
        self._ingest: dict[str, tuple[CallTracker, Any]] = {}
        self.accounts = Accounts(self.engine)
        self.agents = AgentDirectory(self.accounts.all_active)
        self.popread: PostgresPopReader | None = None
        self.directory = self._directory(self.engine)
        self.lookup = CallerLookup(
            self.directory,
            timezone=s.centre.timezone,
            timeout=s.centre.lookup_timeout_ms / 1000,
            metrics=self.metrics,
        )
        self.ivr = IvrParts(s, clock=self.clock, pins=self.pins)
        self.calllog = CallLog(self.engine)
        self.audit = Audit(self.engine)
        self.calls = self._call_service()
        self.tickets = TicketStore(
            self.engine, s.sla.policy, RuleAssigner(s.assignment, self.agents)
        )
        self.supervision = build_supervision(
            self.engine,
            s,
            tickets=self.tickets,
            bus=self.bus,
            agents=self.agents,
            calls=self.calls,
            connected=self.hub.connected,
            live_calls=self.live_calls,
            clock=self.clock,
        )
        # Acknowledged writes waiting for the database (DESIGN §7).
        self.journal = Journal(s.database.journal_dir)
        self.context = self._web_context()
        register_replays(self.journal, self.context)
        self._runner: web.AppRunner | None = None
        self._stack = contextlib.AsyncExitStack()

    def _call_service(self) -> CallService:
        s = self.settings
        return CallService(
            lookup=self.lookup,
            agents=self.agents,
            bus=self.bus,
            calllog=self.calllog,
            audit=self.audit,
            default_region=s.phone.default_region,
            match_digits=s.phone.match_digits,
            metrics=self.metrics,
            clock=self.clock,
            ivr_journey=self.ivr.journeys.pop_field,
        )

    def _web_context(self) -> WebContext:
        """What the web handlers reach; built once, here."""
        s = self.settings
        return WebContext(
            settings=s,
            accounts=self.accounts,
            audit=self.audit,
            directory=self.directory,
            lookup=self.lookup,
            customers=CustomerWriter(self.engine),
            calllog=self.calllog,
            tickets=self.tickets,
            desk=DeskStore(self.engine),
            calls=self.calls,
            agents=self.agents,
            bus=self.bus,
            hub=self.hub,
            metrics=self.metrics,
            readiness=self.readiness,
            clock=self.clock,
            originate=self._originate if s.asterisk else None,
            journal=self.journal,
            supervision=self.supervision,
            passwords=self.passwords,
        )

    async def start(self) -> None:
        async with contextlib.AsyncExitStack() as stack:
            await self._open(stack)
            self._stack = stack.pop_all()

    async def _open(self, stack: contextlib.AsyncExitStack) -> None:
        """Each open, then its close on ``stack``; the closes run in reverse."""
        stack.callback(self.pins.close)
        stack.callback(self.passwords.close)
        stack.push_async_callback(self.engine.dispose)
        await self._check_schema(self.engine)
        stack.push_async_callback(self.bus.close)
        await self.bus.start()
        await self.agents.refresh()
        refresh = asyncio.create_task(self._refresh_agents(), name="agent-refresh")
        stack.push_async_callback(_cancel, refresh)
        if self.popread is not None:
            stack.push_async_callback(self.popread.close)
            await self.popread.open()
        # What is still held at close is replayed on the next start.
        stack.push_async_callback(self.journal.close)
        await self.journal.open()  # replays what a previous run left, if anything
        stack.push_async_callback(self.calls.close)  # its workers finish first
        stack.push_async_callback(self.ivr.stop)
        self.context.ivr = await self.ivr.start(self.engine, self.tickets)
        stack.push_async_callback(self.supervision.stop)
        await self.supervision.start()
        await self._open_web(stack)
        stack.push_async_callback(self._close_links)
        for server in self.settings.asterisk:
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

    async def _open_web(self, stack: contextlib.AsyncExitStack) -> None:
        app = create_web_app(self.context)
        # aiohttp rounds every timer longer than 5 s up to a whole second, so the websocket
        # heartbeats of all agents (one per 25 s each) fire together on the second: with
        # 2,000 agents, 80 pings in one loop turn, ~15 ms during which no pop went out.
        # Unrounded, each socket pings on its own beat.
        runner = web.AppRunner(
            app, access_log=None, handle_signals=False, timeout_ceil_threshold=math.inf
        )
        stack.push_async_callback(self._close_web, runner)
        await runner.setup()
        self._runner = runner
        web_settings = self.settings.web
        site = CappedSite(
            runner,
            web_settings.host,
            web_settings.port,
            connection_cap(web_settings.max_connections),
        )
        await site.start()
        log.info("web listening on %s", ", ".join(self.web_urls))

    async def _close_web(self, runner: web.AppRunner) -> None:
        await self.hub.close_all()
        await runner.cleanup()

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
        checks["journal"] = self.journal.check()
        if not checks["database"][0]:
            # Writes are still acknowledged (journaled): degraded, not out of service.
            detail = checks["database"][1]
            checks["database"] = (False, f"degraded: {detail}, writes journaled")
        for name, link in self.links.items():
            checks[f"ami:{name}"] = (link.status is LinkStatus.CONNECTED, link.status.value)
        if self.leases is not None:
            checks.update(self.leases.checks())
        if (bus := bus_check(self.bus)) is not None:
            checks["redis"] = bus
        return checks

    async def _database_ok(self) -> tuple[bool, str]:
        try:
            async with asyncio.timeout(READINESS_DB_TIMEOUT):
                async with self.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except Exception as exc:
            return False, f"unreachable: {type(exc).__name__}"
        return True, "ok"

    async def _close_links(self) -> None:
        if self.leases is not None:
            await self.leases.close()  # hands each lease over at once
        for link in self.links.values():
            await link.close()
        for resync in list(self._resyncs):
            await _cancel(resync)

    async def stop(self) -> None:
        """Close what :meth:`start` opened, in reverse; safe twice and after a failed start."""
        await self._stack.aclose()


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
