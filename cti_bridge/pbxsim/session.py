"""One AMI client connection on the simulator, behaving like Asterisk's manager session.

* The banner goes out as soon as the client connects.
* Before a successful ``Login`` only ``Login`` and ``Logoff`` are served; anything else gets
  ``Response: Error`` / ``Message: Permission denied`` and no events are sent.
* A failed ``Login`` is answered ``Message: Authentication failed`` and the connection is
  closed, as Asterisk does.
* ``Events: on|off|<class,class>`` (on ``Login`` or as the ``Events`` action) sets which
  event classes the session receives.

A *frozen* session models a half-open TCP link: the socket stays open but nothing is
answered and nothing is written, so only a client that checks its Pings notices.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

from cti_bridge.pbxsim.protocol import (
    BANNER,
    EOM,
    ActionRequest,
    Header,
    encode_error,
    encode_response,
    parse_action,
)

# A client that stops reading is dropped once this much is queued for it, as Asterisk
# drops a manager session whose writes keep timing out: the PBX must not grow without end.
MAX_WRITE_BUFFER = 32 * 1024 * 1024
# Actions longer than this are not from a sane client.
MAX_ACTION_BYTES = 64 * 1024


class SessionHost(Protocol):
    """What a session needs from the simulator behind it."""

    answer_pings: bool

    def authenticate(self, username: str, secret: str) -> bool: ...

    def logged_in(self, session: AmiSession) -> None: ...

    def run_action(self, session: AmiSession, request: ActionRequest) -> None: ...

    def session_closed(self, session: AmiSession) -> None: ...


def _address(sockaddr: Any) -> str:
    """``('127.0.0.1', 5038)`` -> ``IPV4/TCP/127.0.0.1/5038``, as security events write it."""
    if isinstance(sockaddr, tuple) and len(sockaddr) >= 2:
        family = "IPV6" if ":" in str(sockaddr[0]) else "IPV4"
        return f"{family}/TCP/{sockaddr[0]}/{sockaddr[1]}"
    return f"IPV4/TCP/{sockaddr}"


def parse_event_mask(value: str) -> frozenset[str] | None:
    """``None`` means every class; an empty set means no events at all."""
    text = value.strip().lower()
    if text in ("", "on", "yes", "true", "1"):
        return None
    if text in ("off", "no", "false", "0"):
        return frozenset()
    classes = frozenset(part.strip() for part in text.split(",") if part.strip())
    return None if "all" in classes else classes


class AmiSession:
    """Serves one TCP client: reads actions, writes responses and events."""

    def __init__(
        self, host: SessionHost, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._host = host
        self._reader = reader
        self._writer = writer
        self.authenticated = False
        self.username = ""
        self.event_mask: frozenset[str] | None = None
        self.frozen = False
        # While a raw fault injection is being written, events queue here (see hold()).
        self._held: list[bytes] | None = None
        self.peer = _address(writer.get_extra_info("peername"))
        self.local = _address(writer.get_extra_info("sockname"))

    # -- output -------------------------------------------------------------------------

    def wants(self, event_class: str) -> bool:
        if not self.authenticated or self.frozen:
            return False
        return self.event_mask is None or event_class in self.event_mask

    @property
    def events_on(self) -> bool:
        return self.event_mask is None or bool(self.event_mask)

    def write(self, data: bytes) -> None:
        if self._held is not None:
            self._held.append(data)
            return
        self.write_now(data)

    def hold(self) -> None:
        """Queue ordinary writes until release(), so raw bytes written with write_now()
        in several pieces are not interleaved with events."""
        if self._held is None:
            self._held = []

    def release(self) -> None:
        held, self._held = self._held, None
        for data in held or ():
            self.write_now(data)

    def write_now(self, data: bytes) -> None:
        transport = self._writer.transport
        if self.frozen or transport.is_closing():
            return
        if transport.get_write_buffer_size() > MAX_WRITE_BUFFER:
            transport.abort()
            return
        transport.write(data)

    async def drain(self) -> None:
        if not self._writer.transport.is_closing():
            try:
                await self._writer.drain()
            except ConnectionError:
                return

    def close(self, *, abort: bool = False) -> None:
        if abort:
            self._writer.transport.abort()
        else:
            self._writer.close()

    def auth_event(self) -> list[Header]:
        """Headers of the ``SuccessfulAuth`` security event for this login."""
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
        stamp += f".{int(now % 1 * 1000):03d}+0000"
        return [
            ("EventTV", stamp),
            ("Severity", "Informational"),
            ("Service", "AMI"),
            ("EventVersion", "1"),
            ("AccountID", self.username),
            ("SessionID", f"0x{id(self):x}"),
            ("LocalAddress", self.local),
            ("RemoteAddress", self.peer),
            ("UsingPassword", "0"),
            ("SessionTV", stamp),
        ]

    # -- input --------------------------------------------------------------------------

    async def serve(self) -> None:
        """Run until the client leaves, is logged off, or the simulator closes us."""
        self.write(BANNER)
        try:
            while not self._writer.transport.is_closing():
                block = await self._reader.readuntil(EOM)
                self.handle(parse_action(block))
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            self.close()
            self._host.session_closed(self)

    def handle(self, request: ActionRequest) -> None:
        if self.frozen:
            return
        name = request.name.lower()
        aid = request.action_id
        if not name:
            self.write(encode_error(aid, "Missing action in request"))
        elif name == "login":
            self._login(request)
        elif name == "logoff":
            self.write(encode_response("Goodbye", aid, [("Message", "Thanks for all the fish.")]))
            self.close()
        elif not self.authenticated:
            self.write(encode_error(aid, "Permission denied"))
        elif name == "ping":
            if self._host.answer_pings:
                stamp = f"{time.time():.6f}"
                self.write(
                    encode_response("Success", aid, [("Ping", "Pong"), ("Timestamp", stamp)])
                )
        elif name == "events":
            self.event_mask = parse_event_mask(request.get("EventMask"))
            state = "On" if self.events_on else "Off"
            self.write(encode_response("Success", aid, [("Events", state)]))
        else:
            self._host.run_action(self, request)

    def _login(self, request: ActionRequest) -> None:
        aid = request.action_id
        username = request.get("Username")
        if not self._host.authenticate(username, request.get("Secret")):
            self.write(encode_error(aid, "Authentication failed"))
            self.close()
            return
        self.authenticated = True
        self.username = username
        self.event_mask = parse_event_mask(request.get("Events", "on"))
        self.write(encode_response("Success", aid, [("Message", "Authentication accepted")]))
        self._host.logged_in(self)
