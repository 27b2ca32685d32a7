"""``/api/tickets``: service requests and complaints opened from the desk."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Any

from aiohttp import web

from cti_bridge.core.pop import iso
from cti_bridge.core.states import Priority, TicketKind, TicketStatus
from cti_bridge.core.ticket_access import ChangeRefused, Editor
from cti_bridge.store.tickets import (
    AGENT_FIELDS,
    SUPERVISOR_FIELDS,
    NewTicket,
    TicketStore,
    UnknownCustomer,
)
from cti_bridge.web.auth import audited, current_agent
from cti_bridge.web.durable import write_or_hold
from cti_bridge.web.errors import (
    ApiError,
    optional_int,
    optional_str,
    parse_time,
    path_id,
    query_id,
    read_json,
    refusal,
    require_str,
)
from cti_bridge.web.keys import AGENTS, JOURNAL, SETTINGS, TICKETS, now

KINDS = tuple(k.value for k in TicketKind)
PRIORITIES = tuple(p.value for p in Priority)
STATUSES = tuple(s.value for s in TicketStatus)
CHANNELS = ("phone", "web", "email", "ivr", "chat", "letter")
LONG_TEXT = ("description", "root_cause", "corrective_action")


def _choice(body: dict[str, Any], key: str, choices: tuple[str, ...], default: str) -> str:
    value = body.get(key, default)
    if value not in choices:
        raise ApiError(422, "invalid", f"'{key}' must be one of {', '.join(choices)}", field=key)
    return str(value)


async def create(request: web.Request) -> web.Response:
    agent = current_agent(request)
    body = await read_json(request)
    customer_id = optional_int(body, "customer_id")
    if customer_id is None:
        raise ApiError(422, "invalid", "'customer_id' is required", field="customer_id")
    new = NewTicket(
        customer_id=customer_id,
        kind=_choice(body, "kind", KINDS, ""),
        subject=require_str(body, "subject"),
        priority=_choice(body, "priority", PRIORITIES, "normal"),
        description=optional_str(body, "description"),
        call_id=optional_str(body, "call_id", max_len=96) or None,
        # No assignee given: the assignment rules pick one, else the creating agent.
        assignee_id=optional_int(body, "assignee_id"),
        category=_category(request, optional_str(body, "category", max_len=64)),
        request_id=optional_str(body, "request_id", max_len=64) or None,
        channel=_choice(body, "channel", CHANNELS, "phone"),
    )
    if new.assignee_id not in (None, agent.id) and not agent.is_supervisor:
        raise ApiError(403, "forbidden", "only supervisors assign tickets to others")
    if new.assignee_id is not None and request.config_dict[AGENTS].by_id(new.assignee_id) is None:
        await request.config_dict[AGENTS].refresh()
        if request.config_dict[AGENTS].by_id(new.assignee_id) is None:
            raise ApiError(422, "invalid", "no such agent", field="assignee_id")
    at = now(request)

    async def direct() -> web.Response:
        ticket, created = await create_ticket(request.config_dict[TICKETS], new, agent.id, at)
        return web.json_response(ticket, status=201 if created else 200)

    # A held ticket needs a request id, so that its replay opens it once.
    request_id = new.request_id or uuid.uuid4().hex
    held = {"ticket": {**dataclasses.asdict(new), "request_id": request_id},
            "actor_id": agent.id, "at": iso(at)}  # fmt: skip
    return await write_or_hold(request.config_dict[JOURNAL], "ticket", request_id, held, direct)


async def create_ticket(
    tickets: TicketStore, new: NewTicket, actor_id: int | None, at: datetime
) -> tuple[dict[str, Any], bool]:
    """Open a ticket, from the API or replayed from the journal."""
    try:
        return await tickets.create(new, actor_id=actor_id, now=at)
    except UnknownCustomer as exc:
        raise ApiError(422, "invalid", str(exc), field="customer_id") from exc


def _category(request: web.Request, category: str) -> str:
    """Empty (not categorised yet) or one of ``[complaints] categories``: nothing else
    reaches the reports and their CSV."""
    allowed = request.config_dict[SETTINGS].complaints.categories
    if category and category not in allowed:
        message = f"'category' must be one of {', '.join(allowed)} (or empty)"
        raise ApiError(422, "invalid", message, field="category")
    return category


def _changes(request: web.Request, body: dict[str, Any], supervisor: bool) -> dict[str, Any]:
    allowed = AGENT_FIELDS + (SUPERVISOR_FIELDS if supervisor else ())
    forbidden = [k for k in body if k in SUPERVISOR_FIELDS and not supervisor]
    if forbidden:
        raise ApiError(403, "forbidden", f"only supervisors change {', '.join(forbidden)}")
    unknown = [k for k in body if k not in allowed]
    if unknown:
        raise ApiError(422, "invalid", f"'{unknown[0]}' cannot be changed", field=unknown[0])
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if key == "status":
            changes[key] = _choice(body, key, STATUSES, "")
        elif key == "priority":
            changes[key] = _choice(body, key, PRIORITIES, "")
        elif key == "due_at":
            changes[key] = parse_time(value, key)
        elif key == "assignee_id":
            changes[key] = optional_int(body, key)
        elif key == "subject":
            changes[key] = require_str(body, key)
        elif key == "category":
            changes[key] = _category(request, optional_str(body, key, max_len=64))
        else:
            limit = 10_000 if key in LONG_TEXT else 200
            changes[key] = optional_str(body, key, max_len=limit)
    return changes


async def update(request: web.Request) -> web.Response:
    """``PATCH /api/tickets/{id}``: the rules of :mod:`cti_bridge.core.ticket_access`.

    Supervisors and admins change any ticket (and alone its ``due_at`` and
    ``assignee_id``); an agent changes the tickets assigned to them (403 for another's).
    An unassigned ticket is the pool's: any agent may work it, and their first change
    takes it (they become its assignee). A complaint is resolved and closed only through
    ``POST /api/tickets/{id}/complaint-steps`` (409 for such a status here)."""
    agent = current_agent(request)
    ticket_id = path_id(request, "ticket_id", "ticket")
    changes = _changes(request, await read_json(request), agent.is_supervisor)
    assignee = changes.get("assignee_id")
    if assignee is not None and request.config_dict[AGENTS].by_id(assignee) is None:
        raise ApiError(422, "invalid", "no such agent", field="assignee_id")
    editor = Editor(id=agent.id, supervisor=agent.is_supervisor)
    try:
        ticket = await request.config_dict[TICKETS].update(
            ticket_id, changes, actor_id=agent.id, now=now(request), editor=editor
        )
    except ChangeRefused as exc:
        raise refusal(exc.status, str(exc), exc.field) from exc
    if ticket is None:
        raise ApiError(404, "not_found", f"no ticket with id {ticket_id}")
    return web.json_response(ticket)


async def read(request: web.Request) -> web.Response:
    ticket_id = path_id(request, "ticket_id", "ticket")
    ticket = await request.config_dict[TICKETS].get(ticket_id, now(request))
    if ticket is None:
        raise ApiError(404, "not_found", f"no ticket with id {ticket_id}")
    ticket["history"] = await request.config_dict[TICKETS].history(ticket_id)
    # A ticket carries customer data (its subject, description, history): audited.
    await audited(request, "ticket_view", "ticket", ticket_id)
    return web.json_response(ticket)


async def search(request: web.Request) -> web.Response:
    """``GET /api/tickets``: audited as ``ticket_search``, with the filters and the ids
    listed."""
    query = request.query
    statuses = [s for s in query.get("status", "").split(",") if s]
    bad = [s for s in statuses if s not in STATUSES]
    if bad:
        raise ApiError(400, "bad_request", f"unknown status {bad[0]!r}")
    me = query.get("assignee") == "me"
    filters: dict[str, Any] = {
        "status": statuses,
        "overdue": query.get("overdue", "").lower() in ("1", "true", "yes"),
        "assignee_id": current_agent(request).id if me else query_id(query, "assignee"),
        "customer_id": query_id(query, "customer_id"),
    }
    tickets = await request.config_dict[TICKETS].search(
        now=now(request),
        statuses=filters["status"],
        overdue=filters["overdue"],
        assignee_id=filters["assignee_id"],
        customer_id=filters["customer_id"],
    )
    await audited(
        request, "ticket_search", "ticket", detail={**filters, "ids": [t["id"] for t in tickets]}
    )
    return web.json_response({"tickets": tickets})
