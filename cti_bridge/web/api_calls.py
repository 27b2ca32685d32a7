"""``/api/calls``: dispositions on a call, and click-to-dial."""

from __future__ import annotations

import asyncio
import uuid

from aiohttp import web

from cti_bridge.core.phones import dialable
from cti_bridge.core.pop import iso
from cti_bridge.store.accounts import AgentRef
from cti_bridge.store.journal import database_unavailable
from cti_bridge.web.auth import current_agent
from cti_bridge.web.context import CONTEXT, WebContext
from cti_bridge.web.durable import DIRECT_BUDGET, write_or_hold
from cti_bridge.web.errors import ApiError, optional_int, optional_str, read_json, require_str

MAX_CALL_ID = 96


async def _known_call(ctx: WebContext, call_id: str) -> bool:
    # The call's row may still be on its way to the database: let it arrive first.
    await ctx.calls.flush(call_id)
    return await ctx.calllog.exists(call_id)


async def _check_handler(ctx: WebContext, agent: AgentRef, call_id: str) -> None:
    """Only an agent who was offered or took the call, or a supervisor, logs its outcome
    (a disposition may also set the call's customer).

    While the call is live, this node's call facts say whom it rang, and the bus remembers
    the pops any node sent; after it ended, its legs in the database say it. With the
    database unreachable only the first two can vouch: when they cannot, the answer is 503
    and nothing is journaled, never an unchecked write. An unknown call stays a 404."""
    if agent.is_supervisor or ctx.calls.offered_to(call_id, agent.id):
        return
    if await ctx.bus.pop_state(agent.id, call_id) is not None:
        return
    unverifiable = ApiError(
        503, "unavailable", "cannot check now that you handled this call; retry shortly"
    )
    if ctx.journal is not None and ctx.journal.database_down:
        raise unverifiable
    try:
        async with asyncio.timeout(DIRECT_BUDGET):
            await ctx.calls.flush(call_id)  # its row and legs may be on their way
            handled = await ctx.calllog.handled_by(call_id, agent.id)
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        if ctx.journal is not None:
            ctx.journal.unavailable(exc)
        raise unverifiable from exc
    if handled is None:
        raise ApiError(404, "not_found", f"no call with id {call_id!r}")
    if not handled:
        raise ApiError(
            403,
            "forbidden",
            "only an agent the call was offered to or who took it logs its outcome",
        )


async def disposition(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    call_id = request.match_info["call_id"]
    body = await read_json(request)
    code = require_str(body, "code", max_len=32)
    notes = optional_str(body, "notes")
    customer_id = optional_int(body, "customer_id")
    request_id = optional_str(body, "request_id", max_len=64) or uuid.uuid4().hex
    codes = {d.code: d for d in ctx.settings.dispositions}
    if code not in codes:
        raise ApiError(
            422,
            "invalid",
            f"unknown disposition code {code!r}",
            field="code",
            allowed=sorted(codes),
        )
    if codes[code].requires_note and not notes:
        raise ApiError(422, "invalid", f"disposition {code!r} needs a note", field="notes")
    if len(call_id) > MAX_CALL_ID:
        raise ApiError(404, "not_found", f"no call with id {call_id!r}")
    at = ctx.now()
    agent = current_agent(request)
    await _check_handler(ctx, agent, call_id)
    agent_id = agent.id

    async def direct() -> web.Response:
        if not await _known_call(ctx, call_id):
            raise ApiError(404, "not_found", f"no call with id {call_id!r}")
        if customer_id is not None and await ctx.directory.get(customer_id, at) is None:
            raise ApiError(
                422, "invalid", f"no customer with id {customer_id}", field="customer_id"
            )
        record, created = await ctx.calllog.add_disposition(
            request_id=request_id,
            call_id=call_id,
            agent_id=agent_id,
            customer_id=customer_id,
            code=code,
            notes=notes,
            at=at,
        )
        if not created and record.call_id != call_id:
            raise ApiError(409, "conflict", "this request_id was used for another call")
        return web.json_response(record.as_json(), status=201 if created else 200)

    # Database unreachable: held in the journal (202), replayed in order when it is back.
    payload = {
        "call_id": call_id,
        "agent_id": agent_id,
        "customer_id": customer_id,
        "code": code,
        "notes": notes,
        "at": iso(at),
    }
    return await write_or_hold(ctx, "disposition", request_id, payload, direct)


def _dialable(number: str) -> str:
    cleaned = dialable(number)
    if cleaned is None:
        raise ApiError(
            422,
            "invalid",
            "'number' takes digits with an optional leading +, or digits with * and #",
            field="number",
        )
    return cleaned


async def dial(request: web.Request) -> web.Response:
    """Click-to-dial: ring the agent's own phone, then the number (``Originate``)."""
    ctx = request.app[CONTEXT]
    agent = current_agent(request)
    body = await read_json(request)
    number = optional_str(body, "number", max_len=40)
    customer_id = optional_int(body, "customer_id")
    if not number and customer_id is not None:
        record = await ctx.directory.get(customer_id, ctx.now())
        if record is None or not record.phones:
            raise ApiError(
                422, "invalid", "that customer has no number to dial", field="customer_id"
            )
        number = record.phones[0]
    if not number:
        raise ApiError(422, "invalid", "give 'number' or 'customer_id'", field="number")
    number = _dialable(number)
    if ctx.originate is None:
        raise ApiError(503, "unavailable", "no PBX is connected")
    if not agent.interfaces:
        raise ApiError(422, "invalid", "you have no phone interface to call from")
    variables = {"CTI_AGENT_ID": str(agent.id)}
    if customer_id is not None:
        variables["CTI_CUSTOMER_ID"] = str(customer_id)
    try:
        await ctx.originate(agent.interfaces[0], number, variables)
    except ConnectionError as exc:
        raise ApiError(503, "unavailable", f"the PBX is not reachable: {exc}") from exc
    return web.json_response({"status": "dialing", "number": number}, status=202)
