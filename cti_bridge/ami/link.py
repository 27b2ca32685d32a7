"""One supervised AMI connection per configured Asterisk server.

``AmiLink`` replaces panoramisk's ``Manager`` life-cycle, which (in 1.4) never checks
that its Pings are answered, keeps reconnecting after ``close()`` during the back-off,
retries wrong credentials in a silent hot loop, and lets one bad callback kill the
connection. Here a single task owns the life-cycle::

    CONNECTING --login ok--> CONNECTED --lost / Ping unanswered--> DISCONNECTED --back-off--> ...
        |  \\--refused / timeout--> DISCONNECTED --back-off--> CONNECTING
        \\--Authentication failed--> AUTH_FAILED --back-off--> CONNECTING
    any state --close()--> CLOSED (for good)

Events are handed to ``on_event(server_name, headers)`` synchronously, in arrival order,
straight from the socket read - the caller keeps that fast (PERFORMANCE.md: a slow AMI
reader backs up Asterisk). Every handler call is isolated: an exception is logged with the
event name and the stream goes on. A handler returns True when the event started work
that should run before the next events are read (``protocol.py``). Given ``wanted``, the
link parses and hands over only those events; the others are counted in
``events_received`` and told to ``on_skipped(server_name, count)``.

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
from cti_bridge.ami.errors import AmiActionError, AmiNotConnected, LinkStatus
from cti_bridge.ami.framing import Frame
from cti_bridge.ami.protocol import AmiProtocol
from cti_bridge.ami.requests import ActionTable, FieldValue, Pending
from cti_bridge.settings import AsteriskServer

log = logging.getLogger(__name__)

EventHandler = Callable[[str, dict[str, str]], bool | None]
SkipHandler = Callable[[str, int], None]
StatusHandler = Callable[[str, LinkStatus], None]

AUTH_LOG_PERIOD = 600.0  # repeat "authentication failed" at most every 10 minutes
CONNECT_LOG_PERIOD = 60.0  # and "cannot connect" every minute
HANDLER_LOG_PERIOD = 1.0  # one traceback per second at most for a failing handler


class AmiLink:
    """Connects, logs in, watches with Pings, reconnects; delivers events; runs actions."""

    def __init__(
        self,
        server: AsteriskServer,
        on_event: EventHandler,
        *,
        on_status: StatusHandler | None = None,
        wanted: frozenset[str] | None = None,
        on_skipped: SkipHandler | None = None,
    ) -> None:
        self.server = server
        self.name = server.name
        self._on_event = on_event
        self._on_status = on_status
        self._wanted = wanted
        self._on_skipped = on_skipped
        self.status = LinkStatus.DISCONNECTED
        self.events_received = 0
        self.malformed_frames = 0
        self.reconnects = 0
        self.handler_errors = 0
        self.banner = ""
        self._protocol: AmiProtocol | None = None
        self._actions = ActionTable(f"cti-{server.name}")
        self._login: Pending | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._connected = asyncio.Event()
        self._backoff = Backoff(server.reconnect_min, server.reconnect_max)
        self._auth_log = Throttle(AUTH_LOG_PERIOD)
        self._connect_log = Throttle(CONNECT_LOG_PERIOD)
        self._handler_log = Throttle(HANDLER_LOG_PERIOD)

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
                    lambda: AmiProtocol(self, self._wanted), self.server.host, self.server.port
                )
        except (OSError, TimeoutError) as exc:
            self._set_status(LinkStatus.DISCONNECTED)
            return f"cannot connect: {exc or type(exc).__name__}"
        self._protocol = protocol
        try:
            return await self._session(protocol)
        finally:
            self._protocol = None
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
            reply = await self._send(
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
                await self._send(
                    protocol, {"Action": "Ping"}, self.server.ping_timeout, login=False
                )
            except TimeoutError:
                wait = self.server.ping_timeout
                return f"no answer to Ping within {wait:.1f} s - dropping the link"
            except AmiNotConnected:
                return "connection closed by the server"

    @property
    def _answer_timeout(self) -> float:
        return max(2 * self.server.ping_timeout, 1.0)

    # -- logging ------------------------------------------------------------------------

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

    # -- reading (called by the protocol; must never raise) ------------------------------

    def frame_received(self, frame: Frame) -> bool:
        try:
            if self._actions.route(frame):
                self._after_reply(frame)
                return False
        except Exception:
            log.exception("%s: could not match a reply to its action", self.where)
            return False
        if "Event" in frame:
            self.events_received += 1
            try:
                return bool(self._on_event(self.name, frame))
            except Exception:
                self.handler_errors += 1
                self._handler_failed(frame.get("Event", "?"))
        return False

    def events_skipped(self, count: int) -> None:
        self.events_received += count
        if self._on_skipped is not None:
            self._on_skipped(self.name, count)

    def _after_reply(self, frame: Frame) -> None:
        # CONNECTED is set here, synchronously, so that FullyBooted - which follows the
        # login response, often in the same read - already finds the link connected.
        login = self._login
        if login is not None and frame.get("ActionID") == login.action.id:
            self._login = None
            if frame.get("Response") == "Success" and not self._closed:
                self._set_status(LinkStatus.CONNECTED)

    def _handler_failed(self, event: str) -> None:
        if self._handler_log.allow():
            skipped = self._handler_log.take_suppressed()
            log.exception(
                "%s: event handler raised on %s event%s; the stream goes on",
                self.where,
                event,
                f" ({skipped} more failures not shown)" if skipped else "",
            )

    def connection_closed(self, protocol: AmiProtocol, exc: Exception | None) -> None:
        if exc is not None:
            log.debug("%s: connection lost: %s", self.where, exc)

    # -- actions ------------------------------------------------------------------------

    async def _send(
        self,
        protocol: AmiProtocol,
        fields: Mapping[str, FieldValue],
        wait_s: float,
        *,
        login: bool,
        as_list: bool | None = None,
    ) -> list[Frame]:
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

    async def action(
        self,
        fields: Mapping[str, FieldValue],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - public API: a deadline per action
        as_list: bool | None = None,
    ) -> list[dict[str, str]]:
        """Send an action; its response first, then (for list actions) every list event
        up to and including the ``...Complete`` one.

        Raises :class:`AmiActionError` on ``Response: Error``, :class:`AmiNotConnected`
        when the link is down, ``TimeoutError`` when no full answer came in ``timeout``,
        ``ValueError`` for a field containing CR/LF. ``ActionID`` is set by the link.
        """
        protocol = self._protocol
        if protocol is None or self.status is not LinkStatus.CONNECTED:
            raise AmiNotConnected(f"{self.where} is {self.status}")
        replies = await self._send(protocol, fields, timeout, login=False, as_list=as_list)
        first = replies[0]
        if first.get("Response") in ("Error", "Fail", "Failure"):
            name = next((v for k, v in fields.items() if k.lower() == "action"), "action")
            raise AmiActionError(str(name), first.get("Message", ""), replies)
        return replies

    async def originate(
        self,
        *,
        channel: str,
        exten: str,
        context: str,
        caller_id: str,
        variables: Mapping[str, str] | None = None,
        timeout_ms: int = 30000,
    ) -> None:
        """Click-to-dial: ring ``channel`` (the agent's phone), then dial ``exten`` in
        ``context``. Returns when Asterisk has queued it; the call shows up as events.
        No ``OriginateResponse`` is awaited: Asterisk 20 sends one only if answered."""
        fields: dict[str, FieldValue] = {
            "Action": "Originate",
            "Channel": channel,
            "Context": context,
            "Exten": exten,
            "Priority": "1",
            "CallerID": caller_id,
            "Timeout": str(timeout_ms),
            "Async": "true",
        }
        if variables:
            fields["Variable"] = [f"{name}={value}" for name, value in variables.items()]
        await self.action(fields, as_list=False)

    async def core_show_channels(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - public API: a deadline per action
    ) -> list[dict[str, str]]:
        """One ``CoreShowChannel`` dict per live channel (for resync after reconnect)."""
        replies = await self.action({"Action": "CoreShowChannels"}, timeout=timeout)
        return [frame for frame in replies if frame.get("Event") == "CoreShowChannel"]

    async def queue_status(self) -> list[dict[str, str]]:
        """``QueueParams``/``QueueMember``/``QueueEntry`` dicts, in Asterisk's order."""
        replies = await self.action({"Action": "QueueStatus"})
        return [f for f in replies[1:] if f.get("Event") != "QueueStatusComplete"]
