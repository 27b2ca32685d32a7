"""The websocket hub: this node's open agent sockets and per-socket delivery.

Each socket has its own bounded queue and writer task, so one slow or dead browser never
holds up another agent's pop (a broadcast loop awaiting each socket in turn would). A socket
whose queue overflows has stopped reading: it is closed, and the browser will reconnect and
``resume`` from its last seq.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import WSCloseCode, web

from cti_bridge.services.metrics import Metrics

log = logging.getLogger(__name__)

SLOW_CLOSE_CODE = WSCloseCode.TRY_AGAIN_LATER


class AgentSocket:
    def __init__(
        self,
        agent_id: int,
        ws: web.WebSocketResponse,
        queue_size: int,
        metrics: Metrics | None = None,
    ) -> None:
        self.agent_id = agent_id
        self._metrics = metrics
        self.ws = ws
        self.last_sent_seq = 0
        # Seq of the first live message queued here: a resume replays only what came before
        # it, so nothing reaches this socket twice.
        self.first_live_seq: int | None = None
        self._queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue(maxsize=queue_size)
        self._writer: asyncio.Task[None] | None = None
        self.overflowed = False

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write_loop(), name=f"ws-writer-{self.agent_id}")

    def offer(self, seq: int, text: str, *, live: bool = True) -> bool:
        """Queue a message without waiting; False (and the socket is dropped) when full."""
        if self.overflowed:
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
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError) as exc:
                log.info("websocket of agent %s gone while sending: %s", self.agent_id, exc)
                return
            self.last_sent_seq = max(self.last_sent_seq, seq)
            if self._metrics is not None:
                _count_sent(self._metrics, text)

    def replay(self, items: list[tuple[int, str]]) -> int:
        """Queue buffered messages the browser missed; returns how many were queued."""
        cutoff = self.first_live_seq
        fresh = [(seq, text) for seq, text in items if cutoff is None or seq < cutoff]
        for seq, text in fresh:
            if not self.offer(seq, text, live=False):
                break
        return len(fresh)

    async def stop(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer


def _count_sent(metrics: Metrics, text: str) -> None:
    metrics.ws_messages.inc()
    # Every message starts with its type (bus.encode keeps the dict's order).
    if text.startswith('{"type":"screen_pop"'):
        metrics.pops_delivered.inc()


class Hub:
    def __init__(self, queue_size: int = 256, metrics: Metrics | None = None) -> None:
        self._queue_size = queue_size
        self._metrics = metrics
        self._sockets: dict[int, set[AgentSocket]] = {}

    def add(self, agent_id: int, ws: web.WebSocketResponse) -> AgentSocket:
        sock = AgentSocket(agent_id, ws, self._queue_size, self._metrics)
        sock.start()
        self._sockets.setdefault(agent_id, set()).add(sock)
        return sock

    async def remove(self, sock: AgentSocket) -> None:
        peers = self._sockets.get(sock.agent_id)
        if peers is not None:
            peers.discard(sock)
            if not peers:
                del self._sockets[sock.agent_id]
        await sock.stop()

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
    def socket_count(self) -> int:
        return sum(len(s) for s in self._sockets.values())

    async def close_all(self) -> None:
        for peers in list(self._sockets.values()):
            for sock in list(peers):
                await sock.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
                await self.remove(sock)
