"""``/ws``: the agent's live channel (DESIGN §6.3).

Server to browser: ``screen_pop``, ``call_update``, ``alert``, each with the agent's
increasing ``seq``. Browser to server: ``ack`` and, after a reconnect, ``resume`` with the
last seq seen: everything buffered since is replayed, then the pops of calls still ringing or
live, so a pop that rang while the browser was away is shown on its return.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import WSMsgType, web

from cti_bridge.bus.base import encode
from cti_bridge.store.accounts import token_digest
from cti_bridge.web.auth import COOKIE, current_agent, same_origin
from cti_bridge.web.errors import ApiError, loads_client
from cti_bridge.web.hub import TOO_MANY_CODE, AgentSocket
from cti_bridge.web.keys import ACCOUNTS, BUS, CALLS, HUB, METRICS, SETTINGS, now

log = logging.getLogger(__name__)

MAX_CLIENT_MESSAGE = 16 * 1024
HEARTBEAT_SECONDS = 25.0


async def websocket(request: web.Request) -> web.WebSocketResponse:
    hub, metrics = request.config_dict[HUB], request.config_dict[METRICS]
    agent = current_agent(request)
    origin = request.headers.get("Origin")
    allowed = request.config_dict[SETTINGS].web.allowed_origins
    if origin and not same_origin(request, origin, allowed):
        log.warning("websocket from foreign origin %r refused (agent %s)", origin, agent.username)
        raise ApiError(403, "forbidden", "websocket origin not allowed")
    # No per-message deflate: it costs ~200 KB per socket and half the throughput.
    ws = web.WebSocketResponse(
        compress=False, heartbeat=HEARTBEAT_SECONDS, max_msg_size=MAX_CLIENT_MESSAGE
    )
    token = request.cookies.get(COOKIE, "")
    slot = hub.reserve(agent.id, token_digest(token))
    if slot is None:
        # Counted, and logged quietly: a flood of refusals must not become a flood of logs.
        metrics.ws_refused.inc()
        log.info("websocket of %s refused: too many sockets", agent.username)
        await ws.prepare(request)
        await ws.close(code=TOO_MANY_CODE, message=b"too many sockets")
        return ws
    try:
        await ws.prepare(request)
    except BaseException:
        hub.release(slot)
        raise
    expires = request.config_dict[ACCOUNTS].session_expiry(token)
    expires_in = None if expires is None else (expires - now(request)).total_seconds()
    sock = hub.add(slot, ws, expires_in)
    metrics.websockets.inc()
    try:
        async for message in ws:
            if message.type is WSMsgType.TEXT:
                await _client_message(request, sock, message.data)
            elif message.type is WSMsgType.ERROR:
                log.info("websocket of %s failed: %s", agent.username, ws.exception())
    finally:
        metrics.websockets.dec()
        await hub.remove(sock)
    return ws


async def _client_message(request: web.Request, sock: AgentSocket, data: str) -> None:
    try:
        message = loads_client(data)
    except ApiError:  # not JSON, nested too deeply, or a lone surrogate
        await _reply_error(sock, "invalid_json", "messages must be JSON objects")
        return
    if not isinstance(message, dict):
        await _reply_error(sock, "invalid_json", "messages must be JSON objects")
        return
    kind = message.get("type")
    if kind == "ack":
        return  # delivery is tracked by seq on the client; nothing to keep here yet
    if kind == "resume":
        last_seq = message.get("last_seq", 0)
        if isinstance(last_seq, bool) or not isinstance(last_seq, int) or not 0 <= last_seq < 2**63:
            await _reply_error(sock, "invalid", "resume needs an integer last_seq (0 or more)")
            return
        await _resume(request, sock, last_seq)
        return
    if kind == "ping":
        sock.offer(0, '{"type":"pong"}', live=False)
        return
    await _reply_error(sock, "unknown_type", f"unknown message type {kind!r}")


async def _resume(request: web.Request, sock: AgentSocket, last_seq: int) -> None:
    """Replay what the browser missed: the messages of calls still ringing or live first,
    then the rest of the buffer in seq order; each seq once."""
    calls, bus = request.config_dict[CALLS], request.config_dict[BUS]
    live = [(seq, encode(msg, seq)) for seq, msg in calls.live_messages(sock.agent_id, last_seq)]
    first = {seq for seq, _ in live}
    buffered = await bus.replay(sock.agent_id, last_seq) if last_seq > 0 else []
    sock.resume(live + [(seq, text) for seq, text in buffered if seq not in first])


async def _reply_error(sock: AgentSocket, code: str, text: str) -> None:
    # Through the socket's queue like everything else: one writer per socket.
    payload: dict[str, Any] = {"type": "error", "code": code, "message": text}
    sock.offer(0, json.dumps(payload), live=False)
