"""What the agent desk needs beyond the customer and call APIs.

- ``POST /api/caller-choices``: the agent picked one of several customers sharing a number;
  the next pop from that number goes straight to that customer.
- ``POST /api/customers/{id}/notes`` and ``GET /api/customers/{id}/timeline``: notes, and
  one newest-first list of the customer's calls, tickets and notes (whoever handled them).
- ``GET /api/agents/me``, ``PATCH /api/agents/me`` (language) and
  ``PUT /api/agents/me/status`` (available / away / wrap-up, shown to supervisors).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from aiohttp import web

from cti_bridge.core.phones import normalize_caller
from cti_bridge.core.pop import iso
from cti_bridge.core.states import AgentStatus
from cti_bridge.store.desk import NoteRecord, choice_key
from cti_bridge.web.api_customers import card_of, count_customer_read, record_view
from cti_bridge.web.auth import current_agent, remote_of
from cti_bridge.web.context import CONTEXT, WebContext
from cti_bridge.web.durable import write_or_hold
from cti_bridge.web.errors import (
    ApiError,
    optional_int,
    optional_str,
    path_id,
    read_json,
    require_str,
)

# What an agent may set; ``offline`` follows from having no desk open, not from a click.
SETTABLE_STATUSES = (AgentStatus.AVAILABLE, AgentStatus.AWAY, AgentStatus.WRAP_UP)
LANGUAGES = ("en", "zh-CN")
MAX_NOTE = 4000


async def _existing_customer(ctx: WebContext, customer_id: int) -> None:
    if await ctx.directory.get(customer_id, ctx.now()) is None:
        raise ApiError(404, "not_found", f"no customer with id {customer_id}")


async def choose_caller(request: web.Request) -> web.Response:
    """Remember which customer a shared number belongs to (checked: they must have it)."""
    ctx = request.app[CONTEXT]
    body = await read_json(request)
    number = require_str(body, "number", max_len=40)
    customer_id = optional_int(body, "customer_id")
    if customer_id is None:
        raise ApiError(422, "invalid", "'customer_id' is required", field="customer_id")
    call_id = optional_str(body, "call_id", max_len=96) or None
    phone = ctx.settings.phone
    caller = normalize_caller(number, phone.default_region, phone.match_digits)
    key = choice_key(caller)
    if key is None or caller.withheld:
        raise ApiError(422, "invalid", "that is not a phone number", field="number")
    if customer_id not in await ctx.directory.find_ids(caller):
        raise ApiError(
            422, "invalid", "that customer does not have this number", field="customer_id"
        )
    await ctx.desk.remember_choice(
        key,
        customer_id,
        agent_id=current_agent(request).id,
        at=ctx.now(),
        call_id=call_id,
        remote=remote_of(request),
    )
    card = await card_of(ctx, customer_id)
    return web.json_response({"number": key, "customer": card})


async def add_note(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    customer_id = path_id(request, "customer_id", "customer")
    body = await read_json(request)
    text = require_str(body, "text", max_len=MAX_NOTE)
    call_id = optional_str(body, "call_id", max_len=96) or None
    request_id = optional_str(body, "request_id", max_len=64) or None
    note = {
        "customer_id": customer_id,
        "text": text,
        "agent_id": current_agent(request).id,
        "call_id": call_id,
        "at": iso(ctx.now()),
    }

    async def direct() -> web.Response:
        await _existing_customer(ctx, customer_id)
        record, created = await apply_note(ctx, {**note, "request_id": request_id})
        return web.json_response(record.as_json(), status=201 if created else 200)

    # Database away: held in the journal (a note without request id gets one there).
    held_id = request_id or uuid.uuid4().hex
    return await write_or_hold(ctx, "note", held_id, note, direct)


async def apply_note(ctx: WebContext, note: dict[str, Any]) -> tuple[NoteRecord, bool]:
    """One customer note, from the API or replayed from the journal."""
    record, created = await ctx.desk.add_note(
        note["customer_id"],
        note["text"],
        agent_id=note["agent_id"],
        call_id=note["call_id"],
        request_id=note["request_id"],
        at=datetime.fromisoformat(note["at"]),
    )
    if record.customer_id != note["customer_id"]:
        raise ApiError(409, "conflict", "this request_id was used for another customer")
    return record, created


async def timeline(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    customer_id = path_id(request, "customer_id", "customer")
    count_customer_read(request)
    await _existing_customer(ctx, customer_id)
    items = await ctx.desk.timeline(customer_id)
    # A customer's contact history is part of their record: reading it is a view.
    await record_view(request, customer_id, part="timeline")
    return web.json_response({"items": items})


async def me(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    agent = current_agent(request)
    status = await ctx.desk.agent_status(agent.id)
    return web.json_response({**agent.as_json(), "status": status})


async def update_me(request: web.Request) -> web.Response:
    """The agent's own preferences; today the desk language."""
    ctx = request.app[CONTEXT]
    body = await read_json(request)
    unknown = [key for key in body if key != "language"]
    if unknown:
        raise ApiError(422, "invalid", f"'{unknown[0]}' cannot be changed here", field=unknown[0])
    language = require_str(body, "language", max_len=8)
    if language not in LANGUAGES:
        raise ApiError(
            422, "invalid", f"language must be one of {', '.join(LANGUAGES)}", field="language"
        )
    agent = current_agent(request)
    await ctx.desk.set_agent(agent.id, language=language)
    status = await ctx.desk.agent_status(agent.id)
    return web.json_response({**agent.as_json(), "language": language, "status": status})


async def set_status(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    body = await read_json(request)
    status = body.get("status")
    if status not in SETTABLE_STATUSES:
        choices = ", ".join(s.value for s in SETTABLE_STATUSES)
        raise ApiError(422, "invalid", f"'status' must be one of {choices}", field="status")
    agent = current_agent(request)
    await ctx.desk.set_agent(agent.id, status=str(status))
    await ctx.audit.record(
        "agent_status",
        at=ctx.now(),
        actor_id=agent.id,
        target_type="agent",
        target_id=agent.id,
        detail={"status": str(status)},
        remote=remote_of(request),
    )
    return web.json_response({"status": str(status)})
