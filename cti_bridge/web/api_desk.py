"""What the agent desk needs beyond the customer and call APIs.

- ``POST /api/caller-choices``: the agent picked one of several customers sharing a number;
  the next pop from that number goes straight to that customer.
- ``POST /api/customers/{id}/notes`` and ``GET /api/customers/{id}/timeline``: notes, and
  one newest-first list of the customer's calls (with where to play their recordings),
  tickets and notes (whoever handled them).
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
from cti_bridge.store.desk import DeskStore, NoteRecord, choice_key
from cti_bridge.web.api_customers import card_of, count_customer_read, record_view
from cti_bridge.web.api_recordings import with_recording_urls
from cti_bridge.web.auth import current_agent, remote_of
from cti_bridge.web.durable import write_or_hold
from cti_bridge.web.errors import (
    ApiError,
    optional_int,
    optional_str,
    path_id,
    read_json,
    require_str,
)
from cti_bridge.web.keys import (
    AUDIT,
    DESK,
    DIRECTORY,
    JOURNAL,
    QUEUE_LOGINS,
    SETTINGS,
    STATES,
    now,
)

# What an agent may set; ``offline`` follows from having no desk open, not from a click.
SETTABLE_STATUSES = (AgentStatus.AVAILABLE, AgentStatus.AWAY, AgentStatus.WRAP_UP)
LANGUAGES = ("en", "zh-CN")
MAX_NOTE = 4000


async def _existing_customer(request: web.Request, customer_id: int) -> None:
    if await request.config_dict[DIRECTORY].get(customer_id, now(request)) is None:
        raise ApiError(404, "not_found", f"no customer with id {customer_id}")


async def choose_caller(request: web.Request) -> web.Response:
    """Remember which customer a shared number belongs to (checked: they must have it)."""
    body = await read_json(request)
    number = require_str(body, "number", max_len=40)
    customer_id = optional_int(body, "customer_id")
    if customer_id is None:
        raise ApiError(422, "invalid", "'customer_id' is required", field="customer_id")
    call_id = optional_str(body, "call_id", max_len=96) or None
    phone = request.config_dict[SETTINGS].phone
    caller = normalize_caller(number, phone.default_region, phone.match_digits)
    key = choice_key(caller)
    if key is None or caller.withheld:
        raise ApiError(422, "invalid", "that is not a phone number", field="number")
    if customer_id not in await request.config_dict[DIRECTORY].find_ids(caller):
        raise ApiError(
            422, "invalid", "that customer does not have this number", field="customer_id"
        )
    await request.config_dict[DESK].remember_choice(
        key,
        customer_id,
        agent_id=current_agent(request).id,
        at=now(request),
        call_id=call_id,
        remote=remote_of(request),
    )
    card = await card_of(request, customer_id)
    return web.json_response({"number": key, "customer": card})


async def add_note(request: web.Request) -> web.Response:
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
        "at": iso(now(request)),
    }

    async def direct() -> web.Response:
        await _existing_customer(request, customer_id)
        record, created = await apply_note(
            request.config_dict[DESK], {**note, "request_id": request_id}
        )
        return web.json_response(record.as_json(), status=201 if created else 200)

    # Database away: held in the journal (a note without request id gets one there).
    held_id = request_id or uuid.uuid4().hex
    return await write_or_hold(request.config_dict[JOURNAL], "note", held_id, note, direct)


async def apply_note(desk: DeskStore, note: dict[str, Any]) -> tuple[NoteRecord, bool]:
    """One customer note, from the API or replayed from the journal."""
    record, created = await desk.add_note(
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
    customer_id = path_id(request, "customer_id", "customer")
    count_customer_read(request)
    await _existing_customer(request, customer_id)
    items = with_recording_urls(await request.config_dict[DESK].timeline(customer_id))
    # A customer's contact history is part of their record: reading it is a view.
    await record_view(request, customer_id, part="timeline")
    return web.json_response({"items": items})


async def me(request: web.Request) -> web.Response:
    """The profile, the status with its reason and since when (for the wrap-up countdown),
    the desk's choices, and the queues the agent may log in to (and whether they are)."""
    agent = current_agent(request)
    found = await request.config_dict[DESK].status_since(agent.id)
    status, reason, since = found if found is not None else (None, "", None)
    desk = request.config_dict[SETTINGS].desk
    return web.json_response(
        {
            **agent.as_json(),
            "status": status,
            "reason": reason or None,
            "since": iso(since) if since else None,
            "pause_reasons": list(desk.pause_reasons),
            "wrapup_seconds": desk.wrapup_seconds,
            "queues": await request.config_dict[QUEUE_LOGINS].queues(agent),
        }
    )


async def update_me(request: web.Request) -> web.Response:
    """The agent's own preferences; today the desk language."""
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
    await request.config_dict[DESK].set_agent(agent.id, language=language)
    status = await request.config_dict[DESK].agent_status(agent.id)
    return web.json_response({**agent.as_json(), "language": language, "status": status})


async def set_status(request: web.Request) -> web.Response:
    body = await read_json(request)
    status = body.get("status")
    if status not in SETTABLE_STATUSES:
        choices = ", ".join(s.value for s in SETTABLE_STATUSES)
        raise ApiError(422, "invalid", f"'status' must be one of {choices}", field="status")
    reason = _pause_reason(request, body.get("reason"))
    agent = current_agent(request)
    # Saved first; Asterisk is told next (or after its next login when not connected).
    await request.config_dict[STATES].choose(agent, str(status), reason or "")
    chosen = {"status": str(status)} | ({"reason": reason} if reason else {})
    await request.config_dict[AUDIT].record(
        "agent_status",
        at=now(request),
        actor_id=agent.id,
        target_type="agent",
        target_id=agent.id,
        detail=chosen,
        remote=remote_of(request),
    )
    return web.json_response(chosen)


def _pause_reason(request: web.Request, reason: Any) -> str | None:
    """The optional ``reason``: one of ``[desk] pause_reasons`` (what Asterisk is told)."""
    if reason is None:
        return None
    allowed = request.config_dict[SETTINGS].desk.pause_reasons
    if reason not in allowed:
        raise ApiError(
            400,
            "invalid",
            f"'reason' must be one of the pause reasons: {', '.join(allowed)}",
            field="reason",
        )
    return str(reason)
