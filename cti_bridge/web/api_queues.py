"""``PUT /api/agents/me/queues``: the agent logs in to or out of one of their queues with
dynamic members (AMI ``QueueAdd``/``QueueRemove``); the new state reaches the desk as the
``agent_queues`` message when Asterisk announces it."""

from __future__ import annotations

from aiohttp import web

from cti_bridge.web.auth import current_agent, remote_of
from cti_bridge.web.errors import ApiError, read_json, require_str
from cti_bridge.web.keys import AUDIT, QUEUE_LOGINS, now


async def set_queue(request: web.Request) -> web.Response:
    body = await read_json(request)
    queue = require_str(body, "queue", max_len=64)
    logged_in = body.get("logged_in")
    if not isinstance(logged_in, bool):
        raise ApiError(422, "invalid", "'logged_in' must be true or false", field="logged_in")
    logins = request.config_dict[QUEUE_LOGINS]
    if logins.commands is None:
        raise ApiError(503, "unavailable", "no PBX is connected")
    agent = current_agent(request)
    name = await logins.listed(agent, queue)
    if name is None:
        raise ApiError(422, "invalid", f"'{queue}' is not one of your queues", field="queue")
    if not agent.interfaces:
        raise ApiError(409, "conflict", "you have no phone to log in with")
    try:
        done, refused = await logins.log_in(agent, name, logged_in=logged_in)
    except ConnectionError as exc:
        raise ApiError(503, "unavailable", f"the PBX is not reachable: {exc}") from exc
    if not done:
        raise ApiError(409, "conflict", f"the PBX refused: {'; '.join(refused)}")
    asked = {"queue": name, "logged_in": logged_in}
    await request.config_dict[AUDIT].record(
        "agent_queue",
        at=now(request),
        actor_id=agent.id,
        target_type="agent",
        target_id=agent.id,
        detail=asked,
        remote=remote_of(request),
    )
    return web.json_response(asked)
