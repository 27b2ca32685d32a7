"""The websocket hub: this node's open agent sockets and per-socket delivery.

Each socket has its own bounded queue and writer task, so one slow or dead browser never
holds up another agent's pop (a broadcast loop awaiting each socket in turn would). A socket
whose queue overflows has stopped reading: it is closed, and the browser will reconnect and
``resume`` from its last seq.

Sockets are capped per login session, per agent and on the node. A slot is taken with
:meth:`Hub.reserve` before the websocket handshake, in one synchronous step (no await
between the count and the reservation), so sockets opened concurrently cannot pass a cap.
Each socket knows its session and agent: a logout, a deactivation or the session's expiry
ends them at once (:meth:`Hub.end_session`, :meth:`Hub.end_agent`, an expiry timer).

``presence`` hears when an agent's first socket on this node opens and their last one
closes (synchronously: it must only schedule its work), never per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import WSCloseCode, web

from cti_bridge.services.metrics import Metrics

log = logging.getLogger(__name__)

SLOW_CLOSE_CODE = WSCloseCode.TRY_AGAIN_LATER
# Application close codes (4000-4999) a browser can read in its close event.
SESSION_ENDED_CODE = 4001  # logged out, expired or deactivated: log in again, do not retry
TOO_MANY_CODE = 4008  # past a socket cap: retry much later, if at all
ENDED_SESSIONS_KEPT = 10_000


@dataclass(frozen=True, slots=True)
class SocketLimits:
    per_session: int = 4
    per_agent: int = 8
    total: int = 10_000


@dataclass(frozen=True, slots=True)
class Slot:
    """One reserved socket place: whose it is."""

    agent_id: int
    session: str  # the session token's digest


class AgentSocket:
    def __init__(
        self,
        slot: Slot,
        ws: web.WebSocketResponse,
        queue_size: int,
        metrics: Metrics | None = None,
    ) -> None:
        self.slot = slot
        self.agent_id = slot.agent_id
        self._metrics = metrics
        self.ws = ws
        self.last_sent_seq = 0
        # Seq of the first live message queued here: a resume replays only what came before
        # it, so nothing reaches this socket twice.
        self.first_live_seq: int | None = None
        self._queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue(maxsize=queue_size)
        self._writer: asyncio.Task[None] | None = None
        self.overflowed = False
        # Set once the socket is being ended: nothing more is queued or sent to it.
        self.ended = False
        self.expiry: asyncio.TimerHandle | None = None
        # Set by the writer whenever it takes a message: a paged replay waits for room.
        self._drained = asyncio.Event()
        self._replaying: asyncio.Task[int] | None = None

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write_loop(), name=f"ws-writer-{self.agent_id}")

    def offer(self, seq: int, text: str, *, live: bool = True) -> bool:
        """Queue a message without waiting; False (and the socket is dropped) when full."""
        if self.overflowed or self.ended:
            return False
        if live and self.first_live_seq is None:
            self.first_live_seq = seq
        try:
            self._queue.put_nowait((seq, text))
        except asyncio.QueueFull:
            self.overflowed = True
            if self._metrics is not None:
                self._metrics.ws_slow_dropped.inc()
            log.warning(
                "websocket of agent %s stopped reading (%d messages queued): disconnecting",
                self.agent_id,
                self._queue.qsize(),
            )
            asyncio.get_running_loop().create_task(self.ws.close(code=SLOW_CLOSE_CODE))
            return False
        return True

    async def _write_loop(self) -> None:
        while True:
            seq, text = await self._queue.get()
            self._drained.set()
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError) as exc:
                log.info("websocket of agent %s gone while sending: %s", self.agent_id, exc)
                return
            self.last_sent_seq = max(self.last_sent_seq, seq)
            if self._metrics is not None:
                _count_sent(self._metrics, text)

    def resume(self, items: list[tuple[int, str]]) -> None:
        """Send what the browser missed (in the order given) in the background, replacing a
        replay still under way; the socket keeps reading acks and pings meanwhile."""
        if self._replaying is not None:
            self._replaying.cancel()
        self._replaying = asyncio.create_task(self.replay(items), name=f"ws-replay-{self.agent_id}")

    async def replay(self, items: list[tuple[int, str]]) -> int:
        """Queue messages the browser missed, in the order given, as the queue drains: at
        most half the queue is replay, so it never overflows on a long history and live
        messages still find room. Only what came before this socket's first live message
        is sent (a later one came live): nothing twice. Returns how many were queued."""
        queued = 0
        page = max(1, self._queue.maxsize // 2)
        for seq, text in items:
            cutoff = self.first_live_seq
            if cutoff is not None and seq >= cutoff:
                continue
            while self._queue.qsize() >= page and not (self.ended or self.overflowed):
                self._drained.clear()
                await self._drained.wait()
            if not self.offer(seq, text, live=False):
                break
            queued += 1
        return queued

    async def end(self, code: int, reason: str) -> None:
        """Close with ``code``: nothing queued or later is sent first."""
        self.ended = True
        self._drained.set()
        await self.stop()
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.ws.close(code=code, message=reason.encode())

    async def stop(self) -> None:
        self.ended = True
        self._drained.set()
        if self.expiry is not None:
            self.expiry.cancel()
        for task in (self._writer, self._replaying):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


def _count_sent(metrics: Metrics, text: str) -> None:
    metrics.ws_messages.inc()
    # Every message starts with its type (bus.encode keeps the dict's order).
    if text.startswith('{"type":"screen_pop"'):
        metrics.pops_delivered.inc()


def end_session_message(session: str) -> dict[str, Any]:
    """The bus control message ending every socket of a session (by token digest)."""
    return {"op": "end_session", "session": session}


def end_agent_message(agent_id: int) -> dict[str, Any]:
    """The bus control message ending every socket of an agent."""
    return {"op": "end_agent", "agent_id": agent_id}


class Hub:
    def __init__(
        self,
        queue_size: int = 256,
        metrics: Metrics | None = None,
        limits: SocketLimits | None = None,
    ) -> None:
        self._queue_size = queue_size
        self._metrics = metrics
        self._limits = limits or SocketLimits()
        self._sockets: dict[int, set[AgentSocket]] = {}
        # Reserved places (open sockets and handshakes under way), per agent and session.
        self._per_agent: dict[int, int] = {}
        self._per_session: dict[str, int] = {}
        self._reserved = 0
        self._closing: set[asyncio.Task[None]] = set()
        # Sessions ended lately (tokens are random, never reused): a handshake that passed
        # the session check just before its logout is ended as soon as it is added.
        self._ended_sessions: OrderedDict[str, None] = OrderedDict()
        # Told (agent id, True) at an agent's first socket here, (agent id, False) at the last.
        self.presence: Callable[[int, bool], None] | None = None

    def reserve(self, agent_id: int, session: str) -> Slot | None:
        """Take a socket place, or None past a cap. Synchronous on purpose: nothing can
        run between the count and the reservation, so concurrent opens cannot exceed it."""
        limits = self._limits
        if (
            self._reserved >= limits.total
            or self._per_agent.get(agent_id, 0) >= limits.per_agent
            or self._per_session.get(session, 0) >= limits.per_session
        ):
            return None
        self._reserved += 1
        self._per_agent[agent_id] = self._per_agent.get(agent_id, 0) + 1
        self._per_session[session] = self._per_session.get(session, 0) + 1
        return Slot(agent_id, session)

    def release(self, slot: Slot) -> None:
        """Give a place back (its socket ended, or its handshake failed)."""
        self._reserved -= 1
        _decrement(self._per_agent, slot.agent_id)
        _decrement(self._per_session, slot.session)

    def add(self, slot: Slot, ws: web.WebSocketResponse, expires_in: float | None) -> AgentSocket:
        """Register the socket of a reserved place; it is ended when its session expires
        (``expires_in`` seconds from now)."""
        sock = AgentSocket(slot, ws, self._queue_size, self._metrics)
        sock.start()
        peers = self._sockets.setdefault(slot.agent_id, set())
        peers.add(sock)
        if len(peers) == 1 and self.presence is not None:
            self.presence(slot.agent_id, True)
        if slot.session in self._ended_sessions:
            self._end(sock, "logged out")
            return sock
        if expires_in is not None:
            sock.expiry = asyncio.get_running_loop().call_later(
                max(expires_in, 0.0), self._end, sock, "session expired"
            )
        return sock

    async def remove(self, sock: AgentSocket) -> None:
        """The socket's handler is done: forget it and give its place back (once)."""
        if self._forget(sock):
            self.release(sock.slot)
        await sock.stop()

    def _forget(self, sock: AgentSocket) -> bool:
        peers = self._sockets.get(sock.agent_id)
        if peers is None or sock not in peers:
            return False
        peers.discard(sock)
        if not peers:
            del self._sockets[sock.agent_id]
            if self.presence is not None:
                self.presence(sock.agent_id, False)
        return True

    def end_session(self, session: str) -> int:
        """End this node's sockets of one login session (logged out); returns how many."""
        self._ended_sessions[session] = None
        if len(self._ended_sessions) > ENDED_SESSIONS_KEPT:
            self._ended_sessions.popitem(last=False)
        return self._end_where(lambda sock: sock.slot.session == session, "logged out")

    def end_agent(self, agent_id: int) -> int:
        """End this node's sockets of one agent (deactivated); returns how many."""
        ended = 0
        for sock in tuple(self._sockets.get(agent_id, ())):
            self._end(sock, "account deactivated")
            ended += 1
        return ended

    def control(self, message: Mapping[str, Any]) -> None:
        """A control message from the bus (any node): end the sockets it names."""
        op = message.get("op")
        if op == "end_session" and isinstance(message.get("session"), str):
            self.end_session(message["session"])
        elif op == "end_agent" and isinstance(message.get("agent_id"), int):
            self.end_agent(message["agent_id"])

    def _end_where(self, match: Callable[[AgentSocket], bool], reason: str) -> int:
        doomed = [sock for peers in self._sockets.values() for sock in peers if match(sock)]
        for sock in doomed:
            self._end(sock, reason)
        return len(doomed)

    def _end(self, sock: AgentSocket, reason: str) -> None:
        """Stop delivering to the socket now (so no later pop reaches it) and close it
        with :data:`SESSION_ENDED_CODE` in the background."""
        if not self._forget(sock):
            return
        self.release(sock.slot)
        sock.ended = True
        log.info("websocket of agent %s ended: %s", sock.agent_id, reason)
        task = asyncio.get_running_loop().create_task(sock.end(SESSION_ENDED_CODE, reason))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def deliver(self, agent_id: int, seq: int, text: str) -> None:
        """Called by the bus for every message to ``agent_id``; never blocks."""
        for sock in tuple(self._sockets.get(agent_id, ())):
            sock.offer(seq, text)

    def connected(self, agent_id: int) -> bool:
        return agent_id in self._sockets

    def agent_ids(self) -> list[int]:
        """Agents with at least one socket on this node."""
        return list(self._sockets)

    @property
    def reserved(self) -> int:
        """Socket places taken: open sockets and handshakes under way."""
        return self._reserved

    @property
    def socket_count(self) -> int:
        return sum(len(s) for s in self._sockets.values())

    async def close_all(self) -> None:
        for peers in list(self._sockets.values()):
            for sock in list(peers):
                await sock.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
                await self.remove(sock)
        for task in list(self._closing):
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _decrement(counts: dict[Any, int], key: Any) -> None:
    left = counts.get(key, 0) - 1
    if left > 0:
        counts[key] = left
    else:
        counts.pop(key, None)
