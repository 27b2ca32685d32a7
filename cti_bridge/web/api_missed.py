"""``/api/missed-calls``: the missed and abandoned calls, and calling one back.

Agents see the team's calls of the last day; supervisors see all, paged by ``before``.
Calling back claims the call first (one row per call in ``missed_callbacks``: the first
agent wins, another gets 409 naming them, the same agent again gets the claim back with
no second call), then originates through click-to-dial and marks it called back.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from cti_bridge.core.phones import dialable
from cti_bridge.store.missed import MissedCall
from cti_bridge.web.auth import current_agent
from cti_bridge.web.errors import ApiError, path_id, query_id
from cti_bridge.web.keys import DIALER, MISSED, now

AGENT_WINDOW = timedelta(hours=24)
DEFAULT_LIMIT, MAX_LIMIT = 50, 200


def _limit(query: Any) -> int:
    raw = query.get("limit", "")
    if not raw:
        return DEFAULT_LIMIT
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(
            422, "invalid", f"'limit' takes a whole number from 1 to {MAX_LIMIT}", field="limit"
        )
    return int(raw)


async def listing(request: web.Request) -> web.Response:
    agent = current_agent(request)
    limit = _limit(request.query)
    since = None if agent.is_supervisor else now(request) - AGENT_WINDOW
    items = await request.config_dict[MISSED].recent(
        since=since, before=query_id(request.query, "before"), limit=limit
    )
    more = len(items) == limit
    return web.json_response(
        {
            "items": [item.as_json() for item in items],
            "next_before": items[-1].id if more else None,
        }
    )


async def _visible(request: web.Request) -> MissedCall:
    """The missed call in the URL, as long as the current user may see it."""
    missed_id = path_id(request, "missed_id", "missed call")
    item = await request.config_dict[MISSED].get(missed_id)
    agent = current_agent(request)
    old = item is not None and item.at < now(request) - AGENT_WINDOW
    if item is None or (old and not agent.is_supervisor):
        raise ApiError(404, "not_found", f"no missed call with id {missed_id}")
    return item


async def call_back(request: web.Request) -> web.Response:
    """Claim the missed call and ring the agent's phone, then the caller."""
    agent = current_agent(request)
    item = await _visible(request)
    number = dialable(item.number)
    if number is None:
        raise ApiError(422, "invalid", "the caller's number cannot be dialled")
    dialer = request.config_dict[DIALER]
    if not dialer.connected:
        raise ApiError(503, "unavailable", "no PBX is connected")
    if not agent.interfaces:
        raise ApiError(422, "invalid", "you have no phone interface to call from")
    missed = request.config_dict[MISSED]
    claimed = await missed.claim(item, agent.id, now(request))
    if claimed.claimed_by != agent.id:
        raise ApiError(
            409,
            "conflict",
            f"{claimed.claimed_by_name or 'another agent'} is calling this caller back",
            claimed_by=claimed.as_json()["claimed_by"],
        )
    if claimed.called_at is not None:  # the same agent again: one call-back is enough
        return web.json_response({"status": "called", "missed_call": claimed.as_json()})
    variables = {"CTI_AGENT_ID": str(agent.id), "CTI_MISSED_CALL": item.call_id}
    if item.customer_id is not None:
        variables["CTI_CUSTOMER_ID"] = str(item.customer_id)
    try:
        await dialer.originate(agent.interfaces[0], number, variables)
    except ConnectionError as exc:
        await missed.release(item.call_id, agent.id)
        raise ApiError(503, "unavailable", f"the PBX is not reachable: {exc}") from exc
    await missed.called(item.call_id, now(request))
    done = await missed.get(item.id)
    assert done is not None
    return web.json_response(
        {"status": "dialing", "number": number, "missed_call": done.as_json()}, status=202
    )
