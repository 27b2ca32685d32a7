"""The supervisor pages: the live board (a page that loads its data from the API and the
websocket) and the reports (rendered here: tables and inline SVG charts, nothing from a
CDN, so the page works on a closed network)."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from cti_bridge.core.figures import DIMENSIONS
from cti_bridge.web import api_supervisor
from cti_bridge.web.api_supervisor import figures_for
from cti_bridge.web.auth import session_agent
from cti_bridge.web.errors import ApiError

# Charts on the reports page: (dimension, field, title, unit).
CHARTS = (
    ("agent", "complaint_rate", "Complaints per 100 handled calls, by agent", ""),
    ("agent", "satisfaction", "Satisfaction (1-5), by agent", ""),
    ("queue", "abandon_rate", "Abandon rate, by queue", "%"),
    ("queue", "p90_wait", "90th-percentile wait, by queue", "s"),
    ("category", "complaints", "Complaints by root-cause category", ""),
    ("week", "complaint_rate", "Complaints per 100 handled calls, by week", ""),
)
BAR_HEIGHT = 20
LABEL_WIDTH = 170
PLOT_WIDTH = 380


@aiohttp_jinja2.template("board.html")
async def board(request: web.Request) -> dict[str, Any]:
    return {}


def chart(rows: list[dict[str, Any]], field: str, title: str, unit: str) -> dict[str, Any]:
    """Geometry of one horizontal bar chart (the template draws it as SVG)."""
    values = [(r["label"], r[field]) for r in rows if r[field] is not None]
    top = max((v for _, v in values), default=0) or 1
    bars = [
        {
            "label": label,
            "y": i * BAR_HEIGHT,
            "width": round(PLOT_WIDTH * value / top, 1),
            "text": f"{value}{unit}",
        }
        for i, (label, value) in enumerate(values)
    ]
    return {
        "title": title,
        "bars": bars,
        "height": max(len(bars), 1) * BAR_HEIGHT,
        "label_width": LABEL_WIDTH,
        "plot_width": PLOT_WIDTH,
    }


def duration(seconds: float) -> str:
    """Seconds as ``H:MM:SS`` (whole seconds), as time sheets show it."""
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


async def reports(request: web.Request) -> web.Response:
    agent = await session_agent(request)
    context: dict[str, Any] = {"logged_in": agent is not None, "query": dict(request.query)}
    if agent is not None and not agent.is_supervisor:
        context["error"] = "The reports are for supervisors."
    elif agent is not None:
        try:
            figures = await figures_for(request)
        except ApiError as exc:
            context["error"] = exc.message
        else:
            context.update(
                figures=figures,
                pause_reasons=sorted(
                    {r for row in figures["agent_time"] for r in row["paused_by_reason"]}
                ),
                duration=duration,
                dimensions=DIMENSIONS,
                charts=[
                    chart(figures["rows"][dim], field, title, unit)
                    for dim, field, title, unit in CHARTS
                ],
                csv_query=request.query_string,
            )
    return aiohttp_jinja2.render_template("reports.html", request, context)


def _app(routes: list[web.RouteDef]) -> web.Application:
    app = web.Application()
    app.add_routes(routes)
    return app


def supervisor_apps() -> dict[str, web.Application]:
    """The supervisor's pages and API as sub-applications, by URL prefix. A page is the
    empty path under its own prefix, so ``/board`` and ``/reports`` answer as before (and
    ``/board/`` stays a 404). Roles are checked in the handlers, sessions by the root
    application's middleware, as for every other route."""
    return {
        "/board": _app([web.get("", board, name="board")]),
        "/reports": _app([web.get("", reports, name="reports")]),
        "/api/supervisor": _app(
            [
                web.get("/board", api_supervisor.board),
                web.get("/complaints", api_supervisor.complaints),
            ]
        ),
        "/api/reports": _app(
            [
                web.get("/figures", api_supervisor.figures),
                web.get("/figures.csv", api_supervisor.figures_csv),
                web.get("/agent-time.csv", api_supervisor.agent_time_csv),
            ]
        ),
    }
