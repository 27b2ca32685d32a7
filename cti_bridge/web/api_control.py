"""``/api/calls/{call_id}/hangup`` and ``/transfer``: call control from the pop; and
``/api/transfer-targets``, who and where a call may be transferred to.

Only an agent whose leg of the call is live, or a supervisor, may act. The action goes to
the Asterisk server the call is on (AMI ``Hangup``, ``BlindTransfer``, ``Atxfer``); what
happens next reaches the desks as events, like any call. A transfer's note is given to
the pops of the agents it reaches (``handoff``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from cti_bridge.ami import AmiError
from cti_bridge.core.callstate import CallSnapshot
from cti_bridge.core.phones import dialable
from cti_bridge.services.agents import AgentDirectory
from cti_bridge.settings import AsteriskServer
from cti_bridge.store.accounts import AgentRef
from cti_bridge.web.auth import current_agent, remote_of
from cti_bridge.web.errors import ApiError, read_json
from cti_bridge.web.keys import AGENTS, AUDIT, DIALER, SETTINGS, SUPERVISION, CallControl, now

MODES = ("blind", "attended")
MAX_NOTE = 2000
MAX_TO = 64


@dataclass(frozen=True, slots=True)
class Acting:
    """Who acts on which live call, from which channel."""

    agent: AgentRef
    call: CallSnapshot
    channel: str | None  # the agent's own leg, or the talking agent's for a supervisor
    control: CallControl


def _control(request: web.Request) -> CallControl:
    dialer = request.config_dict[DIALER]
    if not dialer.connected or dialer.control is None:
        raise ApiError(503, "unavailable", "no PBX is connected")
    return dialer.control


async def _acting(request: web.Request) -> Acting:
    """The live call and the acting agent's leg; 404 unknown or over, 403 not theirs."""
    control = _control(request)
    call_id = request.match_info["call_id"]
    call = await control.live_call(call_id)
    if call is None:
        raise ApiError(404, "not_found", f"no call in progress with id {call_id!r}")
    agent = current_agent(request)
    own = next((c for i in agent.interfaces if (c := call.channel_of(i)) is not None), None)
    if own is not None:
        return Acting(agent, call, own, control)
    if not agent.is_supervisor:
        raise ApiError(403, "forbidden", "only an agent on this call or a supervisor may")
    talking = call.channel_of(call.answered) if call.answered else None
    return Acting(agent, call, talking, control)


async def _audit(request: web.Request, acting: Acting, action: str, detail: dict[str, str]) -> None:
    await request.config_dict[AUDIT].record(
        action,
        at=now(request),
        actor_id=acting.agent.id,
        target_type="call",
        target_id=acting.call.call_id,
        detail=detail,
        remote=remote_of(request),
    )


async def hangup(request: web.Request) -> web.Response:
    """Hang up the agent's own leg (a supervisor: the caller's channel, ending the call)."""
    acting = await _acting(request)
    channel = acting.channel or acting.call.caller_channel
    if channel is None:
        raise ApiError(409, "conflict", "the call has no channel to hang up")
    try:
        await acting.control.hangup(acting.call.call_id, channel)
    except ConnectionError as exc:
        raise ApiError(503, "unavailable", f"the PBX is not reachable: {exc}") from exc
    except AmiError as exc:
        raise ApiError(409, "conflict", f"the PBX refused: {exc}") from exc
    await _audit(request, acting, "call_hangup", {"channel": channel})
    return web.json_response({"status": "hanging_up", "call_id": acting.call.call_id}, status=202)


def resolve_target(to: str, agents: AgentDirectory, server: AsteriskServer) -> tuple[str, str]:
    """``(kind, extension)`` of a transfer target: an agent's username (their first
    interface's extension), a known queue (its extension), else a dialable number."""
    agent = next((a for a in agents.all() if a.username == to), None)
    if agent is not None and agent.interfaces:
        device = agent.interfaces[0].partition("/")[2]
        return "agent", device.partition("@")[0]
    queue_exten = server.queue_extension(to)
    if queue_exten is not None:
        return "queue", queue_exten
    number = dialable(to)
    if number is None:
        raise ApiError(400, "invalid", "'to' is no agent, queue or dialable number", field="to")
    return "number", number


async def transfer(request: web.Request) -> web.Response:
    to, mode, note = _transfer_body(await read_json(request))
    acting = await _acting(request)
    if acting.channel is None:
        raise ApiError(409, "conflict", "no agent is talking on this call to transfer it")
    call_id = acting.call.call_id
    server = _server_of(request, call_id)
    kind, exten = resolve_target(to, request.config_dict[AGENTS], server)
    name = acting.agent.display_name or acting.agent.username
    handoff = (name, note, now(request)) if note else None
    try:
        await acting.control.transfer(
            call_id, acting.channel, exten, attended=mode == "attended", note=handoff
        )
    except ConnectionError as exc:
        raise ApiError(503, "unavailable", f"the PBX is not reachable: {exc}") from exc
    except AmiError as exc:
        raise ApiError(409, "conflict", f"the PBX refused: {exc}") from exc
    detail = {"to": to, "kind": kind, "exten": exten, "mode": mode}
    await _audit(request, acting, "call_transfer", detail)
    return web.json_response({"status": "transferring", **detail}, status=202)


def _transfer_body(body: dict[str, Any]) -> tuple[str, str, str]:
    """``to``, ``mode``, ``note`` of a transfer request (400 when malformed)."""
    to, mode, note = body.get("to"), body.get("mode", "blind"), body.get("note") or ""
    if not isinstance(to, str) or not to.strip() or len(to) > MAX_TO:
        raise ApiError(
            400, "invalid", "'to' is required: an agent, a queue or a number", field="to"
        )
    if mode not in MODES:
        raise ApiError(400, "invalid", "'mode' must be blind or attended", field="mode")
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise ApiError(
            400, "invalid", f"'note' is text of {MAX_NOTE} characters at most", field="note"
        )
    return to.strip(), str(mode), note.strip()


def _server_of(request: web.Request, call_id: str) -> AsteriskServer:
    name = call_id.partition(":")[0]
    servers = request.config_dict[SETTINGS].asterisk
    server = next((s for s in servers if s.name == name), None)
    if server is None:
        raise ApiError(404, "not_found", f"no call in progress with id {call_id!r}")
    return server


async def transfer_targets(request: web.Request) -> web.Response:
    """The colleagues (live state as on the board, no callers) and the transfer queues of
    every server, for any logged-in agent's transfer dialog."""
    agent = current_agent(request)
    agents = await request.config_dict[SUPERVISION].board.transfer_targets(agent.id)
    queues: list[str] = []
    for server in request.config_dict[SETTINGS].asterisk:
        queues += [q for q in server.transfer_queue_names() if q not in queues]
    return web.json_response({"agents": agents, "queues": queues})
