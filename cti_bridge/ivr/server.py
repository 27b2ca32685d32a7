"""The FastAGI server: ``AGI(agi://bridge:4573/<route>,arg1,arg2...)`` from the dialplan.

Routes (the dialplan's arguments in brackets):

=================  ====================================  ==================================
route              arguments                             sets
=================  ====================================  ==================================
``lookup``         [account]                             DESIGN 6.4 variables, CTI_MATCHES
``identify``       account, PIN                          CTI_IDENTIFIED, CTI_LOCKED (+lookup)
``ticket_status``  [account]                             CTI_TICKET_STATUS/_DUE/_ID/_KIND
``callback``       [number to call back]                 CTI_CALLBACK, CTI_TICKET_ID
``survey``         score 1-5, [linkedid]                 CTI_SURVEY_SAVED
``choice``         option, [digits]                      (remembered for the agent's pop)
=================  ====================================  ==================================

Every route also sets ``CTI_STATUS``. The caller id comes from ``agi_callerid``; the call id
(``pbx:linkedid``, as the call tracker names the call) from ``GET FULL VARIABLE
${CHANNEL(linkedid)}``, falling back to ``agi_uniqueid`` (the caller's channel usually *is*
the first channel of its call). The PBX name is the ``[[asterisk]]`` server whose host the
connection comes from, or the only one configured.

A connection that sends garbage, stalls, or closes early is dropped with one log line; the
AGI() application then returns and the dialplan continues with whatever it had.

Only the PBXs may ask: a peer outside ``[ivr] agi_allow`` (loopback by default) is hung up
on before a byte is read, and past ``[ivr] max_connections`` sessions at once a new
connection is closed at once too, so a flood cannot starve the sessions already running.
Both are logged at most once per :data:`REFUSAL_LOG_SECONDS` with a count, so a flood
cannot fill the log either.

The ``account`` argument of ``lookup`` and ``ticket_status`` is for references the dialplan
trusts (a CRM, a DID per account): it answers without a PIN. A reference the *caller* keys
in goes through ``identify`` first; later routes of the call then use the proven account.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from ipaddress import IPv4Network, IPv6Network, ip_address

from cti_bridge.ivr.agi import MAX_LINE, AgiChannel, AgiEnvironment, AgiError, AgiHangup
from cti_bridge.ivr.service import Caller, IvrService, Variables
from cti_bridge.settings import IvrSettings, agi_networks

log = logging.getLogger(__name__)

HEADER_TIMEOUT = 5.0
REFUSAL_LOG_SECONDS = 10.0
Route = Callable[["FastAgiServer", AgiChannel, AgiEnvironment], Awaitable[Variables]]
Network = IPv4Network | IPv6Network
LOOPBACK: tuple[Network, ...] = agi_networks(("127.0.0.1", "::1"))


class RefusalLog:
    """One warning per ``interval`` for a kind of refusal, with how many were not logged."""

    def __init__(self, interval: float = REFUSAL_LOG_SECONDS) -> None:
        self._interval = interval
        self._last: dict[str, float] = {}
        self._quiet: dict[str, int] = {}

    def warn(self, kind: str, message: str, *args: object) -> None:
        now = time.monotonic()
        last = self._last.get(kind)
        if last is not None and now - last < self._interval:
            self._quiet[kind] = self._quiet.get(kind, 0) + 1
            return
        self._last[kind] = now
        quiet = self._quiet.pop(kind, 0)
        suffix = f" ({quiet} more not logged)" if quiet else ""
        log.warning(message + suffix, *args)


def allowed(peer: str, networks: tuple[Network, ...]) -> bool:
    """Whether ``peer`` (as the socket names it) is inside one of ``networks``."""
    try:
        address = ip_address(peer.split("%", 1)[0])
    except ValueError:
        return False  # not an IP peer (a Unix socket): nobody listed it
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # a dual-stack listener sees IPv4 peers this way
    return any(address in network for network in networks)


class FastAgiServer:
    def __init__(
        self,
        service: IvrService,
        *,
        host: str,
        port: int,
        pbx_for: Callable[[str], str],
        allow: tuple[Network, ...] = LOOPBACK,
        max_connections: int = 200,
        header_timeout: float = HEADER_TIMEOUT,
        reply_timeout: float = 5.0,
    ) -> None:
        self.service = service
        self._host, self._port = host, port
        self._pbx_for = pbx_for
        self._allow = allow
        self._max_connections = max_connections
        self._header_timeout = header_timeout
        self._reply_timeout = reply_timeout
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[None]] = set()
        self._refusals = RefusalLog()

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, self._host, self._port, limit=MAX_LINE
        )
        log.info("FastAGI listening on %s:%d", self._host, self.port)

    @property
    def port(self) -> int:
        if self._server is None or not self._server.sockets:
            raise RuntimeError("FastAGI server not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def sessions(self) -> int:
        """FastAGI sessions being served now."""
        return len(self._sessions)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._sessions):
            task.cancel()
        if self._sessions:
            await asyncio.gather(*self._sessions, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Each connection runs in its own task (asyncio.start_server makes one per client).
        task = asyncio.current_task()
        try:
            if self._admitted(writer) and task is not None:
                self._sessions.add(task)
                await self._session(AgiChannel(reader, writer, self._reply_timeout))
        finally:
            if task is not None:
                self._sessions.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _admitted(self, writer: asyncio.StreamWriter) -> bool:
        """Whether to serve this connection: an allowed peer, and a free slot."""
        peer = str((writer.get_extra_info("peername") or ("?", 0))[0])
        if not allowed(peer, self._allow):
            self._refusals.warn("peer", "FastAGI from %s refused: not in [ivr] agi_allow", peer)
            return False
        if len(self._sessions) >= self._max_connections:
            self._refusals.warn(
                "full",
                "FastAGI from %s refused: %d sessions running ([ivr] max_connections)",
                peer,
                len(self._sessions),
            )
            return False
        return True

    async def _session(self, channel: AgiChannel) -> None:
        peer = channel.writer.get_extra_info("peername") or ("?", 0)
        try:
            async with asyncio.timeout(self._header_timeout):
                env = await channel.read_environment()
            route = ROUTES.get(env.route)
            if route is None:
                log.warning("FastAGI from %s: unknown route %r", peer[0], env.route[:40])
                await channel.set_variable("CTI_STATUS", "unknown_route")
                return
            variables = await route(self, channel, env)
            for name, value in variables.items():
                await channel.set_variable(name, value)
        except AgiHangup:
            log.debug("FastAGI from %s: channel hung up", peer[0])
        except (AgiError, TimeoutError) as exc:
            log.warning("FastAGI from %s dropped: %s", peer[0], exc or "timed out")
        except (ConnectionError, OSError) as exc:
            log.info("FastAGI from %s: connection lost (%s)", peer[0], exc)
        except Exception:
            log.exception("FastAGI session from %s failed", peer[0])

    async def call_id(self, channel: AgiChannel, env: AgiEnvironment, linkedid: str = "") -> str:
        """``pbx:linkedid`` for this channel's call."""
        if not linkedid:
            linkedid = await channel.get_full_variable("${CHANNEL(linkedid)}") or ""
        linkedid = linkedid.strip() or env.get("agi_uniqueid")
        if not linkedid:
            return ""
        peer = channel.writer.get_extra_info("peername") or ("", 0)
        return f"{self._pbx_for(str(peer[0]))}:{linkedid}"

    async def caller(self, channel: AgiChannel, env: AgiEnvironment, account: str = "") -> Caller:
        return Caller(env.get("agi_callerid"), await self.call_id(channel, env), account)


async def _lookup(srv: FastAgiServer, channel: AgiChannel, env: AgiEnvironment) -> Variables:
    # No call id needed: the lookup records nothing, and saves the caller a round trip.
    return await srv.service.lookup(Caller(env.get("agi_callerid"), "", env.arg(1)))


async def _identify(srv: FastAgiServer, channel: AgiChannel, env: AgiEnvironment) -> Variables:
    return await srv.service.identify(await srv.caller(channel, env, env.arg(1)), env.arg(2))


async def _ticket_status(srv: FastAgiServer, channel: AgiChannel, env: AgiEnvironment) -> Variables:
    return await srv.service.ticket_status(await srv.caller(channel, env, env.arg(1)))


async def _callback(srv: FastAgiServer, channel: AgiChannel, env: AgiEnvironment) -> Variables:
    return await srv.service.callback(await srv.caller(channel, env), env.arg(1))


async def _survey(srv: FastAgiServer, channel: AgiChannel, env: AgiEnvironment) -> Variables:
    call_id = await srv.call_id(channel, env, env.arg(2))
    return await srv.service.survey(Caller(env.get("agi_callerid"), call_id), env.arg(1))


async def _choice(srv: FastAgiServer, channel: AgiChannel, env: AgiEnvironment) -> Variables:
    return srv.service.choice(await srv.caller(channel, env), env.arg(1), env.arg(2))


ROUTES: dict[str, Route] = {
    "lookup": _lookup,
    "identify": _identify,
    "ticket_status": _ticket_status,
    "callback": _callback,
    "survey": _survey,
    "choice": _choice,
}


def fastagi_server(
    service: IvrService, settings: IvrSettings, *, pbx_for: Callable[[str], str]
) -> FastAgiServer:
    """The FastAGI server as ``[ivr]`` describes it."""
    return FastAgiServer(
        service,
        host=settings.agi_host,
        port=settings.agi_port,
        pbx_for=pbx_for,
        allow=agi_networks(settings.agi_allow),
        max_connections=settings.max_connections,
        header_timeout=settings.agi_idle_seconds,
        reply_timeout=settings.agi_idle_seconds,
    )


def pbx_resolver(servers: list[tuple[str, str]]) -> Callable[[str], str]:
    """Map a FastAGI peer address to the PBX name: the server with that host, else the
    only (or first) configured one; ``pbx1`` when none is configured."""
    by_host = {host: name for name, host in servers}
    fallback = servers[0][0] if servers else "pbx1"
    return lambda peer: by_host.get(peer, fallback)
