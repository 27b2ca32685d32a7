"""One supervised AMI connection per configured Asterisk server.

``AmiLink`` replaces panoramisk's ``Manager`` life-cycle, which (in 1.4) never checks
that its Pings are answered, keeps reconnecting after ``close()`` during the back-off,
retries wrong credentials in a silent hot loop, and lets one bad callback kill the
connection. The life-cycle (connect, login, Pings, back-off) is :class:`AmiSession`'s;
the link delivers events and runs actions on it.

Events are handed to ``on_event(server_name, headers)`` synchronously, in arrival order,
straight from the socket read - the caller keeps that fast (PERFORMANCE.md: a slow AMI
reader backs up Asterisk). Every handler call is isolated: an exception is logged with the
event name and the stream goes on. Work a handler starts that should run before the next
events are read tells ``pacing`` (``core/pacing.py``). Given ``wanted``, the
link parses and hands over only those events (of ``VarSet``, only those setting one of
``variables``); the others are counted in ``events_received`` and told to
``on_skipped(server_name, count)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from cti_bridge.ami.backoff import Throttle
from cti_bridge.ami.errors import AmiActionError, AmiNotConnected, LinkStatus
from cti_bridge.ami.framing import Frame
from cti_bridge.ami.protocol import AmiProtocol
from cti_bridge.ami.requests import FieldValue
from cti_bridge.ami.session import AmiSession, StatusHandler
from cti_bridge.core.pacing import PopPacing
from cti_bridge.settings import AsteriskServer

log = logging.getLogger(__name__)

EventHandler = Callable[[str, dict[str, str]], None]
SkipHandler = Callable[[str, int], None]

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
        pacing: PopPacing | None = None,
        variables: frozenset[str] | None = None,
    ) -> None:
        self.server = server
        self.name = server.name
        self._on_event = on_event
        self._on_skipped = on_skipped
        self._session = AmiSession(
            server,
            lambda: AmiProtocol(self, wanted, pacing=pacing, variables=variables),
            on_status=on_status,
        )
        self.events_received = 0
        self.malformed_frames = 0
        self.handler_errors = 0
        self._handler_log = Throttle(HANDLER_LOG_PERIOD)

    @property
    def where(self) -> str:
        return self._session.where

    @property
    def status(self) -> LinkStatus:
        return self._session.status

    @property
    def reconnects(self) -> int:
        return self._session.reconnects

    @property
    def banner(self) -> str:
        return self._session.banner

    # -- life-cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Begin connecting in the background; returns at once."""
        await self._session.start()

    async def wait_connected(self, timeout: float) -> bool:  # noqa: ASYNC109 - public API
        """True once logged in (at once if already); False if ``timeout`` passes first."""
        return await self._session.wait_connected(timeout)

    async def close(self) -> None:
        """Stop for good - also while connecting, logging in or backing off."""
        await self._session.close()

    # -- reading (called by the protocol; must never raise) ------------------------------

    def frame_received(self, frame: Frame) -> None:
        try:
            if self._session.route(frame):
                return
        except Exception:
            log.exception("%s: could not match a reply to its action", self.where)
            return
        if "Event" in frame:
            self.events_received += 1
            try:
                self._on_event(self.name, frame)
            except Exception:
                self.handler_errors += 1
                self._handler_failed(frame.get("Event", "?"))

    def events_skipped(self, count: int) -> None:
        self.events_received += count
        if self._on_skipped is not None:
            self._on_skipped(self.name, count)

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
        protocol = self._session.protocol
        if protocol is None or self.status is not LinkStatus.CONNECTED:
            raise AmiNotConnected(f"{self.where} is {self.status}")
        replies = await self._session.send(protocol, fields, timeout, as_list=as_list)
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

    async def queue_pause(
        self, interface: str, *, paused: bool, reason: str = "", queue: str = ""
    ) -> None:
        """(Un)pause ``interface`` in ``queue``, or without one in every queue it is a
        member of. Raises :class:`AmiActionError` ("Interface not found") when it is a
        member of none; each membership changed sends a ``QueueMemberPause``."""
        fields: dict[str, FieldValue] = {
            "Action": "QueuePause",
            "Interface": interface,
            "Paused": "true" if paused else "false",
        }
        if queue:
            fields["Queue"] = queue
        if reason:
            fields["Reason"] = reason
        await self.action(fields, as_list=False)

    async def queue_add(
        self, queue: str, interface: str, *, member_name: str, paused: bool, reason: str = ""
    ) -> None:
        """Log ``interface`` in to ``queue`` as a dynamic member (``QueueMemberAdded``
        follows), paused with ``reason`` when ``paused``. Raises :class:`AmiActionError`:
        "Unable to add interface: Already there", "...: No such queue"."""
        fields: dict[str, FieldValue] = {
            "Action": "QueueAdd",
            "Queue": queue,
            "Interface": interface,
            "MemberName": member_name,
            "Paused": "true" if paused else "false",
        }
        if paused and reason:
            fields["Reason"] = reason
        await self.action(fields, as_list=False)

    async def queue_remove(self, queue: str, interface: str) -> None:
        """Log ``interface`` out of ``queue`` (``QueueMemberRemoved`` follows). Raises
        :class:`AmiActionError`: "Unable to remove interface: Not there", "Member not
        dynamic" (a member from queues.conf), "...: No such queue"."""
        fields = {"Action": "QueueRemove", "Queue": queue, "Interface": interface}
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

    # -- call control (main/manager.c: action_hangup, action_blind_transfer, action_atxfer)

    async def hangup(self, *, channel: str) -> None:
        """Hang ``channel`` up (``Cause: 16``, normal clearing, in its Hangup event).
        Raises :class:`AmiActionError` (``No such channel``) for a channel that is gone."""
        await self.action({"Action": "Hangup", "Channel": channel}, as_list=False)

    async def blind_transfer(self, *, channel: str, exten: str, context: str) -> None:
        """Send ``channel``'s peer to ``exten``@``context`` (``Transfer succeeded``); the
        ``BlindTransfer`` event and the new leg ringing follow as events."""
        fields = {"Action": "BlindTransfer", "Channel": channel, "Exten": exten}
        await self.action({**fields, "Context": context}, as_list=False)

    async def atxfer(self, *, channel: str, exten: str, context: str) -> None:
        """Attended transfer from ``channel`` to ``exten``@``context``: Asterisk queues the
        atxfer feature code and the digits (``Atxfer successfully queued``); the
        ``AttendedTransfer`` event comes when the transferring agent completes it."""
        fields = {"Action": "Atxfer", "Channel": channel, "Exten": exten}
        await self.action({**fields, "Context": context}, as_list=False)
