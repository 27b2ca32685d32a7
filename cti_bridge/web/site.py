"""The listening socket, with a cap on open HTTP connections (websockets included).

Every connection holds a file descriptor; past the process's limit nothing is accepted any
more: not ``/healthz``, not a login, not FastAGI, not the database pool. So the site counts
open connections when it accepts one and, past ``[web] max_connections``, answers at once
with 503 and closes: the descriptors left stay for the rest of the daemon. Websockets are
capped lower (``[web] max_sockets``), so with every websocket place taken there is still
room for plain requests such as ``/healthz`` and logins.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger(__name__)

# Descriptors kept for everything but HTTP: database pool, AMI, Redis, FastAGI, files.
RESERVED_DESCRIPTORS = 512

_BODY = json.dumps(
    {"error": {"code": "busy", "message": "too many connections; try again shortly"}}
).encode()
BUSY_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: application/json\r\n"
    b"Retry-After: 5\r\n"
    b"Connection: close\r\n"
    b"Content-Length: " + str(len(_BODY)).encode() + b"\r\n\r\n" + _BODY
)


class _Busy(asyncio.Protocol):
    """A connection past the cap: told so, then closed, without reading the request."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(BUSY_RESPONSE)
        transport.close()


class CappedSite(web.BaseSite):
    """A TCP site accepting at most ``max_connections`` connections at a time."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int, max_connections: int) -> None:
        super().__init__(runner)
        self._host = host
        self._port = port
        self.max_connections = max_connections
        self.refused = 0

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        self._server = await asyncio.get_running_loop().create_server(
            self._protocol, self._host, self._port
        )

    def _protocol(self) -> asyncio.Protocol:
        server = self._runner.server
        assert server is not None
        # The server forgets a connection once it is closed and its request handled.
        if len(server.connections) >= self.max_connections:
            self.refused += 1
            if self.refused == 1 or self.refused % 1000 == 0:
                log.warning(
                    "%d HTTP connections open: refusing more (%d so far)",
                    self.max_connections,
                    self.refused,
                )
            return _Busy()
        handler: RequestHandler = server()
        return handler


def connection_cap(wanted: int) -> int:
    """``wanted``, lowered (with a warning) to what the open-file limit allows once the
    descriptors the rest of the daemon needs are kept aside. Raises the soft limit up to
    the hard one first when that is needed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted + RESERVED_DESCRIPTORS
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open-file limit to %d: %s", target, exc)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return wanted
    allowed = max(soft - RESERVED_DESCRIPTORS, soft // 2)
    log.warning(
        "open-file limit %d: at most %d HTTP connections instead of [web] max_connections %d",
        soft,
        allowed,
        wanted,
    )
    return allowed
