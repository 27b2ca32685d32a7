"""The connection life-cycle of one AMI link: connect, log in, watch with Pings,
reconnect after a back-off, close for good.

A single task owns the life-cycle::

    CONNECTING --login ok--> CONNECTED --lost / Ping unanswered--> DISCONNECTED --back-off--> ...
        |  \\--refused / timeout--> DISCONNECTED --back-off--> CONNECTING
        \\--Authentication failed--> AUTH_FAILED --back-off--> CONNECTING
    any state --close()--> CLOSED (for good)

Actions pending when a connection drops fail with :class:`AmiNotConnected`; they are not
re-sent after reconnecting (panoramisk does), because repeating an ``Originate`` would
ring a customer twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping

from cti_bridge.ami.backoff import Backoff, Throttle
from cti_bridge.ami.errors import AmiNotConnected, LinkStatus
from cti_bridge.ami.framing import Frame
from cti_bridge.ami.protocol import AmiProtocol
from cti_bridge.ami.requests import ActionTable, FieldValue, Pending
from cti_bridge.settings import AsteriskServer

log = logging.getLogger(__name__)

StatusHandler = Callable[[str, LinkStatus], None]

AUTH_LOG_PERIOD = 600.0  # repeat "authentication failed" at most every 10 minutes
CONNECT_LOG_PERIOD = 60.0  # and "cannot connect" every minute


class AmiSession:
    """Owns the connection task, the login and the keepalive Pings, and the actions in
    flight on the current connection; ``new_protocol`` builds each connection's protocol."""

    def __init__(
        self,
        server: AsteriskServer,
        new_protocol: Callable[[], AmiProtocol],
        *,
        on_status: StatusHandler | None = None,
    ) -> None:
        self.server = server
        self.name = server.name
        self._new_protocol = new_protocol
        self._on_status = on_status
        self.status = LinkStatus.DISCONNECTED
        self.reconnects = 0
        self.banner = ""
        self.protocol: AmiProtocol | None = None
        self._actions = ActionTable(f"cti-{server.name}")
        self._login: Pending | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._connected = asyncio.Event()
        self._backoff = Backoff(server.reconnect_min, server.reconnect_max)
        self._auth_log = Throttle(AUTH_LOG_PERIOD)
        self._connect_log = Throttle(CONNECT_LOG_PERIOD)

    @property
    def where(self) -> str:
        return f"AMI {self.name} ({self.server.host}:{self.server.port})"

    # -- life-cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Begin connecting in the background; returns at once."""
        if self._closed:
            raise RuntimeError(f"{self.where} is closed")
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"ami-link-{self.name}"
            )

    async def wait_connected(self, timeout: float) -> bool:  # noqa: ASYNC109 - public API
        """True once logged in (at once if already); False if ``timeout`` passes first."""
        try:
            async with asyncio.timeout(timeout):
                await self._connected.wait()
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        """Stop for good - also while connecting, logging in or backing off."""
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._set_status(LinkStatus.CLOSED)

    async def _run(self) -> None:
        while not self._closed:
            self._set_status(LinkStatus.CONNECTING)
            try:
                reason = await self._connect_once()
            except Exception:  # a bug must not end supervision for good
                log.exception("%s: unexpected error in the connection task", self.where)
                reason = "internal error"
            delay = self._backoff.next()
            self._report(reason, delay)
            await asyncio.sleep(delay)

    async def _connect_once(self) -> str:
        """One connection, from TCP connect to its end; returns why it ended."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._answer_timeout):
                _, protocol = await loop.create_connection(
                    self._new_protocol, self.server.host, self.server.port
                )
        except (OSError, TimeoutError) as exc:
            self._set_status(LinkStatus.DISCONNECTED)
            return f"cannot connect: {exc or type(exc).__name__}"
        self.protocol = protocol
        try:
            return await self._session(protocol)
        finally:
            self._ended(protocol)

    def _ended(self, protocol: AmiProtocol) -> None:
        self.protocol = None
        self._login = None
        protocol.close()
        self._actions.fail_all(AmiNotConnected(f"{self.where}: connection closed"))
        self._connected.clear()
        if not self._closed:
            if self.status is LinkStatus.CONNECTED:
                self.reconnects += 1
            if self.status is not LinkStatus.AUTH_FAILED:
                self._set_status(LinkStatus.DISCONNECTED)

    async def _session(self, protocol: AmiProtocol) -> str:
        try:
            reply = await self.send(
                protocol, self._login_fields(), self._answer_timeout, login=True
            )
        except (TimeoutError, AmiNotConnected) as exc:
            return f"login not answered ({type(exc).__name__})"
        if reply[0].get("Response") != "Success":
            self._set_status(LinkStatus.AUTH_FAILED)
            return "auth: " + reply[0].get("Message", "")
        self._auth_log.reset()
        self._connect_log.reset()
        self.banner = protocol.banner
        log.info("%s: connected (%s)", self.where, self.banner or "no banner")
        started = time.monotonic()
        reason = await self._watch(protocol)
        if time.monotonic() - started >= self.server.reconnect_max:
            self._backoff.reset()  # a link that held is retried fast; a flapping one is not
        return reason

    def _login_fields(self) -> dict[str, FieldValue]:
        secret = self.server.secret.reveal()
        return {
            "Action": "Login",
            "Username": self.server.username,
            "Secret": secret,
            "Events": "on",
        }

    async def _watch(self, protocol: AmiProtocol) -> str:
        """Ping every ``ping_interval``; a Ping unanswered for ``ping_timeout`` means the
        link is dead even if TCP still looks open (half-open after a NAT or firewall
        forgot it), so the transport is dropped and the link reconnects."""
        while True:
            done, _ = await asyncio.wait({protocol.lost}, timeout=self.server.ping_interval)
            if done:
                return "connection closed by the server"
            try:
                await self.send(protocol, {"Action": "Ping"}, self.server.ping_timeout)
            except TimeoutError:
                wait = self.server.ping_timeout
                return f"no answer to Ping within {wait:.1f} s - dropping the link"
            except AmiNotConnected:
                return "connection closed by the server"

    @property
    def _answer_timeout(self) -> float:
        return max(2 * self.server.ping_timeout, 1.0)

    # -- replies and actions ------------------------------------------------------------

    def route(self, frame: Frame) -> bool:
        """True when ``frame`` answers an action in flight (and is taken here)."""
        if not self._actions.route(frame):
            return False
        # CONNECTED is set here, synchronously, so that FullyBooted - which follows the
        # login response, often in the same read - already finds the link connected.
        login = self._login
        if login is not None and frame.get("ActionID") == login.action.id:
            self._login = None
            if frame.get("Response") == "Success" and not self._closed:
                self._set_status(LinkStatus.CONNECTED)
        return True

    async def send(
        self,
        protocol: AmiProtocol,
        fields: Mapping[str, FieldValue],
        wait_s: float,
        *,
        login: bool = False,
        as_list: bool | None = None,
    ) -> list[Frame]:
        """Write one action on ``protocol``; its replies, or TimeoutError after ``wait_s``."""
        pending = self._actions.new(fields, as_list=as_list)
        if login:
            self._login = pending
        try:
            protocol.write(str(pending.action).encode("utf-8"))
            async with asyncio.timeout(wait_s):
                await pending.action.future
        finally:
            self._actions.discard(pending)
        return pending.replies

    # -- status and logging -------------------------------------------------------------

    def _report(self, reason: str, delay: float) -> None:
        """Say why the link is down - once, then only now and then."""
        if reason.startswith("auth: "):
            if self._auth_log.allow():
                again = self._auth_log.take_suppressed()
                log.error(
                    "%s: authentication failed — check username/secret (%s); retrying in %.1f s%s",
                    self.where,
                    reason[6:] or "refused",
                    delay,
                    f" ({again} more failures since last report)" if again else "",
                )
            return
        unreachable = reason.startswith(("cannot connect", "login not answered"))
        if unreachable and not self._connect_log.allow():
            log.debug("%s: %s; retrying in %.1f s", self.where, reason, delay)
            return
        log.warning("%s: %s; reconnecting in %.1f s", self.where, reason, delay)

    def _set_status(self, status: LinkStatus) -> None:
        if status is self.status:
            return
        self.status = status
        if status is LinkStatus.CONNECTED:
            self._connected.set()
        if self._on_status is not None:
            try:
                self._on_status(self.name, status)
            except Exception:
                log.exception("%s: status handler failed on %s", self.where, status)
