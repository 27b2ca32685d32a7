"""``/api/calls``: dispositions on a call, and click-to-dial."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

from aiohttp import web

from cti_bridge.core.phones import dialable
from cti_bridge.core.pop import iso
from cti_bridge.store.accounts import AgentRef
from cti_bridge.store.journal import database_unavailable
from cti_bridge.web.auth import current_agent
from cti_bridge.web.durable import DIRECT_BUDGET, write_or_hold
from cti_bridge.web.errors import ApiError, optional_int, optional_str, read_json, require_str
from cti_bridge.web.keys import BUS, CALLLOG, CALLS, DIALER, DIRECTORY, JOURNAL, SETTINGS, now

MAX_CALL_ID = 96


async def _known_call(request: web.Request, call_id: str) -> bool:
    # The call's row may still be on its way to the database: let it arrive first.
    await request.config_dict[CALLS].flush(call_id)
    return await request.config_dict[CALLLOG].exists(call_id)


async def _check_handler(request: web.Request, agent: AgentRef, call_id: str) -> None:
    """Only an agent who was offered or took the call, or a supervisor, logs its outcome
    (a disposition may also set the call's customer).

    While the call is live, this node's call facts say whom it rang, and the bus remembers
    the pops any node sent; after it ended, its legs in the database say it. With the
    database unreachable only the first two can vouch: when they cannot, the answer is 503
    and nothing is journaled, never an unchecked write. An unknown call stays a 404."""
    calls, journal = request.config_dict[CALLS], request.config_dict[JOURNAL]
    if agent.is_supervisor or calls.offered_to(call_id, agent.id):
        return
    if await request.config_dict[BUS].pop_state(agent.id, call_id) is not None:
        return
    unverifiable = ApiError(
        503, "unavailable", "cannot check now that you handled this call; retry shortly"
    )
    if journal.database_down:
        raise unverifiable
    try:
        async with asyncio.timeout(DIRECT_BUDGET):
            await calls.flush(call_id)  # its row and legs may be on their way
            handled = await request.config_dict[CALLLOG].handled_by(call_id, agent.id)
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        journal.unavailable(exc)
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
    call_id = request.match_info["call_id"]
    body = await read_json(request)
    code = require_str(body, "code", max_len=32)
    notes = optional_str(body, "notes")
    customer_id = optional_int(body, "customer_id")
    request_id = optional_str(body, "request_id", max_len=64) or uuid.uuid4().hex
    _check_code(request, code, notes)
    if len(call_id) > MAX_CALL_ID:
        raise ApiError(404, "not_found", f"no call with id {call_id!r}")
    at = now(request)
    agent = current_agent(request)
    await _check_handler(request, agent, call_id)
    payload = {
        "call_id": call_id,
        "agent_id": agent.id,
        "customer_id": customer_id,
        "code": code,
        "notes": notes,
        "at": iso(at),
    }

    async def direct() -> web.Response:
        return await _write_disposition(request, request_id, payload, at)

    # Database unreachable: held in the journal (202), replayed in order when it is back.
    journal = request.config_dict[JOURNAL]
    return await write_or_hold(journal, "disposition", request_id, payload, direct)


def _check_code(request: web.Request, code: str, notes: str) -> None:
    """``code`` is a configured disposition, with a note when that code needs one."""
    codes = {d.code: d for d in request.config_dict[SETTINGS].dispositions}
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


async def _write_disposition(
    request: web.Request, request_id: str, payload: dict[str, Any], at: datetime
) -> web.Response:
    """The disposition straight into the database (201, or 200 for a repeated request)."""
    call_id, customer_id = payload["call_id"], payload["customer_id"]
    if not await _known_call(request, call_id):
        raise ApiError(404, "not_found", f"no call with id {call_id!r}")
    directory = request.config_dict[DIRECTORY]
    if customer_id is not None and await directory.get(customer_id, at) is None:
        raise ApiError(422, "invalid", f"no customer with id {customer_id}", field="customer_id")
    record, created = await request.config_dict[CALLLOG].add_disposition(
        request_id=request_id,
        call_id=call_id,
        agent_id=payload["agent_id"],
        customer_id=customer_id,
        code=payload["code"],
        notes=payload["notes"],
        at=at,
    )
    if not created and record.call_id != call_id:
        raise ApiError(409, "conflict", "this request_id was used for another call")
    return web.json_response(record.as_json(), status=201 if created else 200)


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
    agent = current_agent(request)
    body = await read_json(request)
    number = optional_str(body, "number", max_len=40)
    customer_id = optional_int(body, "customer_id")
    if not number and customer_id is not None:
        record = await request.config_dict[DIRECTORY].get(customer_id, now(request))
        if record is None or not record.phones:
            raise ApiError(
                422, "invalid", "that customer has no number to dial", field="customer_id"
            )
        number = record.phones[0]
    if not number:
        raise ApiError(422, "invalid", "give 'number' or 'customer_id'", field="number")
    number = _dialable(number)
    dialer = request.config_dict[DIALER]
    if not dialer.connected:
        raise ApiError(503, "unavailable", "no PBX is connected")
    if not agent.interfaces:
        raise ApiError(422, "invalid", "you have no phone interface to call from")
    variables = {"CTI_AGENT_ID": str(agent.id)}
    if customer_id is not None:
        variables["CTI_CUSTOMER_ID"] = str(customer_id)
    try:
        await dialer.originate(agent.interfaces[0], number, variables)
    except ConnectionError as exc:
        raise ApiError(503, "unavailable", f"the PBX is not reachable: {exc}") from exc
    return web.json_response({"status": "dialing", "number": number}, status=202)
