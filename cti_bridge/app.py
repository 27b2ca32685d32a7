"""The composition root: build every part from the settings, start and stop them in order.

Every part is built in ``Daemon.__init__``, without I/O. Start order: database (checked
or migrated) -> bus -> agent directory -> pop reader -> journal -> IVR -> supervision ->
web server -> AMI ingest (last, so no call fact arrives before its consumers exist). Each
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
from collections.abc import Callable, Iterable

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.ami import AmiLink
from cti_bridge.bus.base import Bus
from cti_bridge.bus.cluster import bus_check, make_bus
from cti_bridge.bus.keys import Keys
from cti_bridge.bus.redis import RedisBus
from cti_bridge.bus.relay import NodeRelay
from cti_bridge.core.calls import CallTracker
from cti_bridge.core.pacing import PopPacing
from cti_bridge.hashing import HashPool
from cti_bridge.ivr.assembly import IvrParts
from cti_bridge.ivr.service import IvrService
from cti_bridge.services.agent_state import AgentStates
from cti_bridge.services.agents import AgentDirectory
from cti_bridge.services.ami_commands import AmiCommands
from cti_bridge.services.ami_ingest import AmiIngest
from cti_bridge.services.assignment import RuleAssigner
from cti_bridge.services.calls import CallService
from cti_bridge.services.handoff import HandoffBuilder
from cti_bridge.services.lookups import CallerLookup
from cti_bridge.services.metrics import Metrics
from cti_bridge.services.presence import PresenceLog
from cti_bridge.services.queue_logins import QueueLogins
from cti_bridge.services.supervision import Supervision, build_supervision
from cti_bridge.settings import Settings
from cti_bridge.store import migrate as migrate_schema
from cti_bridge.store.accounts import Accounts, AgentRef
from cti_bridge.store.audit import Audit
from cti_bridge.store.calllog import CallLog
from cti_bridge.store.customers import CustomerWriter
from cti_bridge.store.db import create_engine
from cti_bridge.store.desk import DeskStore
from cti_bridge.store.directory import CustomerDirectory
from cti_bridge.store.journal import Journal
from cti_bridge.store.missed import MissedCalls
from cti_bridge.store.popread import PostgresPopReader
from cti_bridge.store.popread_sqlite import SqlitePopReader
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
        self.hub = _hub(s, self.metrics)
        self.bus = _bus(s, self.hub, self.clock)
        self.accounts = Accounts(self.engine)
        self.agents = AgentDirectory(self.accounts.all_active)
        self.popread: PostgresPopReader | SqlitePopReader | None = None
        self.directory = self._directory(self.engine)
        self.lookup = _lookup(s, self.directory, self.metrics)
        self.ivr = IvrParts(s, clock=self.clock, pins=self.pins)
        self.calllog = CallLog(self.engine)
        self.audit = Audit(self.engine)
        # Who gets the event loop first: the pops (core/pacing.py).
        self.pacing = PopPacing(time.monotonic)
        self.calls = self._call_service()
        self.ami = _ami_ingest(self)
        self.commands = _commands(s, self.ami, self.bus, self.calls.handoffs)
        self.tickets = TicketStore(
            self.engine, s.sla.policy, RuleAssigner(s.assignment, self.agents)
        )
        self.supervision = self._supervision()
        self.customers = CustomerWriter(self.engine)
        self.desk = DeskStore(self.engine)
        self.states = _agent_states(self)
        self.queue_logins = _queue_logins(self)
        # Desks opening and closing, in the status log (reports: agent time).
        self.presence = PresenceLog(self.desk, clock)
        self.hub.presence = self.presence.changed
        self.journal = self._journal()
        self._web_parts: WebParts | None = None
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
            pacing=self.pacing,
        )

    def _supervision(self) -> Supervision:
        return build_supervision(
            self.engine,
            self.settings,
            tickets=self.tickets,
            bus=self.bus,
            agents=self.agents,
            calls=self.calls,
            connected=self.hub.connected,
            live_calls=self.ami.live_calls,
            clock=self.clock,
        )

    @property
    def web_parts(self) -> WebParts:
        """What the web handlers reach (there once the daemon started)."""
        if self._web_parts is None:
            raise RuntimeError("the daemon is not started")
        return self._web_parts

    def _journal(self) -> Journal:
        """Acknowledged writes waiting for the database (DESIGN §7), and how each replays."""
        journal = Journal(self.settings.database.journal_dir)
        register_replays(
            journal,
            calllog=self.calllog,
            tickets=self.tickets,
            customers=self.customers,
            desk=self.desk,
            lookup=self.lookup,
            phone=self.settings.phone,
            clock=self.clock,
        )
        return journal

    async def start(self) -> None:
        async with contextlib.AsyncExitStack() as stack:
            await self._open(stack)
            self._stack = stack.pop_all()

    async def _open(self, stack: contextlib.AsyncExitStack) -> None:
        """Each open, then its close on ``stack``; the closes run in reverse."""
        stack.callback(self.pins.close)
        stack.callback(self.passwords.close)
        stack.push_async_callback(self.engine.dispose)
        await check_schema(self.engine, migrate=self.migrate_on_start)
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
        ivr = await self.ivr.start(self.engine, self.tickets)
        stack.push_async_callback(self.supervision.stop)
        await self.supervision.start()
        stack.push_async_callback(self.states.stop)
        stack.push_async_callback(self.queue_logins.stop)
        stack.push_async_callback(self.presence.stop)  # after the web's sockets closed
        await self._open_web(stack, _web_parts(self, ivr))
        if (relay := self.commands.relay) is not None:  # serves the other nodes' requests
            stack.push_async_callback(relay.close)
            await relay.start()
        stack.push_async_callback(self.ami.stop)
        await self.ami.start()

    @property
    def links(self) -> dict[str, AmiLink]:
        return self.ami.links

    @property
    def trackers(self) -> dict[str, CallTracker]:
        return self.ami.trackers

    def _directory(self, engine: AsyncEngine) -> CustomerDirectory:
        """The pop's read in one statement (the bench shows why): raw asyncpg on
        PostgreSQL, a plain read connection on SQLite, Core elsewhere."""
        url = self.settings.database.url
        if engine.dialect.name == "postgresql":
            self.popread = PostgresPopReader(engine, url)
        elif engine.dialect.name == "sqlite":
            self.popread = SqlitePopReader(engine, url)
        else:
            return CustomerDirectory(engine)
        return self.popread

    async def _open_web(self, stack: contextlib.AsyncExitStack, parts: WebParts) -> None:
        self._web_parts = parts
        app = create_web_app(parts)
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
        checks["database"] = await database_ok(self.engine)
        checks["journal"] = self.journal.check()
        if not checks["database"][0]:
            # Writes are still acknowledged (journaled): degraded, not out of service.
            detail = checks["database"][1]
            checks["database"] = (False, f"degraded: {detail}, writes journaled")
        checks.update(self.ami.checks())
        if (bus := bus_check(self.bus)) is not None:
            checks["redis"] = bus
        return checks

    async def stop(self) -> None:
        """Close what :meth:`start` opened, in reverse; safe twice and after a failed start."""
        await self._stack.aclose()


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _hub(settings: Settings, metrics: Metrics) -> Hub:
    web_settings = settings.web
    limits = SocketLimits(
        per_session=web_settings.max_sockets_per_session,
        per_agent=web_settings.max_sockets_per_agent,
        total=web_settings.max_sockets,
    )
    return Hub(queue_size=web_settings.socket_queue_size, metrics=metrics, limits=limits)


def _bus(settings: Settings, hub: Hub, clock: Callable[[], float]) -> Bus:
    """The bus, delivering to this node's hub (messages and control)."""
    bus = make_bus(settings, hub.agent_ids, clock)
    bus.attach(hub.deliver)
    bus.on_control(hub.control)
    return bus


def _lookup(settings: Settings, directory: CustomerDirectory, metrics: Metrics) -> CallerLookup:
    return CallerLookup(
        directory,
        timezone=settings.centre.timezone,
        timeout=settings.centre.lookup_timeout_ms / 1000,
        metrics=metrics,
    )


async def check_schema(engine: AsyncEngine, *, migrate: bool) -> None:
    """Migrate to the head revision when asked; otherwise refuse any other revision."""
    if migrate:
        await migrate_schema.upgrade(engine)
        return
    current = await migrate_schema.current_revision(engine)
    if current != migrate_schema.head_revision():
        raise DatabaseNotMigrated(
            f"the database is at revision {current or 'none'}, this version needs "
            f"{migrate_schema.head_revision()}: run `cti-bridge db upgrade` first"
        )


async def database_ok(engine: AsyncEngine) -> tuple[bool, str]:
    """The database's line in ``/readyz``."""
    try:
        async with asyncio.timeout(READINESS_DB_TIMEOUT):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except Exception as exc:
        return False, f"unreachable: {type(exc).__name__}"
    return True, "ok"


def _ami_ingest(daemon: Daemon) -> AmiIngest:
    return AmiIngest(
        daemon.settings,
        agents=daemon.agents,
        calls=daemon.calls,
        metrics=daemon.metrics,
        pacing=daemon.pacing,
        clock=daemon.clock,
        node_id=daemon.bus.node_id if isinstance(daemon.bus, RedisBus) else None,
    )


def _queue_logins(daemon: Daemon) -> QueueLogins:
    """Queue log-in and log-out; told of QueueMemberAdded/Removed by the AMI ingest."""
    logins = QueueLogins(
        accounts=daemon.accounts,
        agents=daemon.agents,
        desk=daemon.desk,
        bus=daemon.bus,
        commands=daemon.commands if daemon.settings.asterisk else None,
    )
    daemon.ami.member_watcher = logins
    return logins


def _agent_states(daemon: Daemon) -> AgentStates:
    """Status <-> queue pauses; told of QueueMemberPause events by the AMI ingest."""
    commands = daemon.commands

    async def pause(interfaces: Iterable[str], paused: bool, reason: str) -> int:
        return await commands.pause_interfaces(interfaces, paused=paused, reason=reason)

    states = AgentStates(
        desk=daemon.desk,
        agents=daemon.agents,
        bus=daemon.bus,
        pause=pause if daemon.settings.asterisk else None,
        clock=daemon.clock,
        wrapup_seconds=daemon.settings.desk.wrapup_seconds,
    )
    daemon.ami.pause_watcher = states
    return states


def _commands(
    settings: Settings, ami: AmiIngest, bus: Bus, handoffs: HandoffBuilder
) -> AmiCommands:
    """AMI actions; in a cluster, relayed to the node holding a server's link."""
    commands = AmiCommands(settings, ami, handoffs.give)
    if isinstance(bus, RedisBus):
        keys = Keys(settings.redis.prefix)
        commands.relay = NodeRelay(settings.redis.url, keys, bus.node_id, commands.serve)
    return commands


def _web_parts(daemon: Daemon, ivr: IvrService) -> WebParts:
    """What the web handlers reach, every part present."""
    s = daemon.settings
    return WebParts(
        settings=s,
        accounts=daemon.accounts,
        audit=daemon.audit,
        directory=daemon.directory,
        lookup=daemon.lookup,
        customers=daemon.customers,
        calllog=daemon.calllog,
        tickets=daemon.tickets,
        desk=daemon.desk,
        calls=daemon.calls,
        agents=daemon.agents,
        bus=daemon.bus,
        hub=daemon.hub,
        metrics=daemon.metrics,
        readiness=daemon.readiness,
        clock=daemon.clock,
        dialer=Dialer(
            originate=daemon.commands.originate,
            connected=bool(s.asterisk),
            control=daemon.commands,
        ),
        journal=daemon.journal,
        supervision=daemon.supervision,
        ivr=ivr,
        passwords=daemon.passwords,
        states=daemon.states,
        queue_logins=daemon.queue_logins,
        missed=MissedCalls(daemon.engine),
    )
