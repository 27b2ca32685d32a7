"""Supervisor API: the board (DESIGN §6.2), complaints by step and their workflow, and the
figures (with the agents' time) as JSON or CSV. Board, complaint list and figures need the
supervisor role."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from cti_bridge.core import agent_time
from cti_bridge.core.csv_cells import csv_text
from cti_bridge.core.figures import compute, csv_rows
from cti_bridge.core.ticket_access import Editor
from cti_bridge.store.complaints import REQUIRED, Step, StepError
from cti_bridge.web.auth import current_agent, require_supervisor
from cti_bridge.web.errors import (
    ApiError,
    optional_str,
    parse_day,
    path_id,
    read_json,
    refusal,
    require_str,
)
from cti_bridge.web.keys import SETTINGS, SUPERVISION, TICKETS, now

DEFAULT_DAYS = 28
MAX_DAYS = 366


async def board(request: web.Request) -> web.Response:
    require_supervisor(request)
    sup, at = request.config_dict[SUPERVISION], now(request)
    floor = await sup.board.floor()
    overdue, due_soon = await asyncio.gather(
        sup.board.store.late_tickets("overdue", at), sup.board.store.late_tickets("due_soon", at)
    )
    return web.json_response(
        {
            "calls": floor["calls"],
            "agents": floor["agents"],
            "queues": floor["queues"],
            "tickets": {"overdue": overdue, "due_soon": due_soon},
        }
    )


async def complaints(request: web.Request) -> web.Response:
    require_supervisor(request)
    sup = request.config_dict[SUPERVISION]
    steps = await sup.board.store.complaints(now(request))
    return web.json_response({"steps": steps, "categories": list(sup.complaints.categories)})


async def advance_complaint(request: web.Request) -> web.Response:
    """``POST /api/tickets/{id}/complaint-steps`` ``{"step", ...fields}``: the next step."""
    tickets = request.config_dict[TICKETS]
    agent = current_agent(request)
    sup = request.config_dict[SUPERVISION]
    ticket_id = path_id(request, "ticket_id", "ticket")
    body = await read_json(request)
    if not agent.is_supervisor:  # refused before the body is looked at; checked again below
        ticket = await tickets.get(ticket_id, now(request))
        if ticket is not None and ticket["assignee_id"] not in (None, agent.id):
            raise ApiError(403, "forbidden", "only the assignee or a supervisor moves a complaint")
    name = require_str(body, "step", max_len=32)
    if name not in REQUIRED:
        raise ApiError(422, "invalid", f"'step' must be one of {', '.join(REQUIRED)}", field="step")
    fields = {
        key: optional_str(body, key, max_len=limit)
        for key, limit in REQUIRED[name].items()
        if key != "note"
    }
    step = Step(name, fields, note=optional_str(body, "note"))
    # The assignee or a supervisor; an agent moving an unassigned complaint takes it.
    editor = Editor(id=agent.id, supervisor=agent.is_supervisor)
    try:
        ticket = await sup.complaints.advance(
            ticket_id, step, actor_id=agent.id, now=now(request), editor=editor
        )
    except StepError as exc:
        raise refusal(exc.status, str(exc), exc.field) from exc
    ticket["history"] = await tickets.history(ticket_id)
    return web.json_response(ticket)


def period(query: Any, timezone: str, today: date) -> tuple[date, date]:
    """``from``/``to`` (inclusive local dates); by default the last 28 days."""
    last = parse_day(query["to"], "to") if query.get("to") else today
    first = (
        parse_day(query["from"], "from")
        if query.get("from")
        else last - timedelta(days=DEFAULT_DAYS - 1)
    )
    if first > last or (last - first).days >= MAX_DAYS:
        raise ApiError(400, "bad_request", f"a period is 1 to {MAX_DAYS} days, from <= to")
    return first, last


def _bounds(request: web.Request) -> tuple[date, date, datetime, datetime]:
    """The period the query names: its first and last local day, and [start, end) in UTC."""
    zone = request.config_dict[SETTINGS].centre.timezone
    first, last = period(request.query, zone, now(request).astimezone(ZoneInfo(zone)).date())
    return first, last, _midnight(first, zone), _midnight(last + timedelta(days=1), zone)


async def _agent_time(
    request: web.Request, start: datetime, end: datetime, names: dict[int, str]
) -> list[dict[str, Any]]:
    reports = request.config_dict[SUPERVISION].reports
    return agent_time.agent_time(
        await reports.status_marks(start, end),
        await reports.leg_spans(start, end),
        start=start,
        end=end,
        now=now(request),
        agent_names=names,
    )


async def figures_for(request: web.Request) -> dict[str, Any]:
    """The figures over the period the query names, with the agents' time."""
    sup, settings = request.config_dict[SUPERVISION], request.config_dict[SETTINGS]
    zone = settings.centre.timezone
    first, last, start, end = _bounds(request)
    repeat = timedelta(days=settings.reports.repeat_days)
    calls, followups, complaint_facts = await sup.reports.period(start, end, repeat)
    names = await sup.reports.agent_names()
    result = compute(
        calls,
        complaint_facts,
        agent_names=names,
        timezone=zone,
        resolved_codes=settings.reports.resolved_codes,
        repeat=repeat,
        followups=followups,
    )
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "timezone": zone,
        **result,
        "agent_time": await _agent_time(request, start, end, names),
    }


def _midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


async def figures(request: web.Request) -> web.Response:
    require_supervisor(request)
    return web.json_response(await figures_for(request))


async def figures_csv(request: web.Request) -> web.Response:
    require_supervisor(request)
    result = await figures_for(request)
    name = f"figures-{result['from']}-{result['to']}.csv"
    return web.Response(
        text=csv_text(csv_rows(result)),
        content_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def agent_time_csv(request: web.Request) -> web.Response:
    """The agents' time over the period as CSV: seconds per bucket, occupancy in %."""
    require_supervisor(request)
    first, last, start, end = _bounds(request)
    names = await request.config_dict[SUPERVISION].reports.agent_names()
    rows = await _agent_time(request, start, end, names)
    return web.Response(
        text=csv_text(agent_time.csv_rows(rows)),
        content_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="agent-time-{first}-{last}.csv"'},
    )
