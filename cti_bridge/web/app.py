"""The aiohttp application: one route table, the middlewares, templates and static files."""

from __future__ import annotations

from importlib.resources import files

import aiohttp_jinja2
import jinja2
from aiohttp import web

from cti_bridge.core.ratelimit import SlidingWindow
from cti_bridge.web import (
    api_calls,
    api_control,
    api_customers,
    api_desk,
    api_ivr,
    api_missed,
    api_queues,
    api_recordings,
    api_supervisor,
    api_tickets,
    auth,
    headers,
    ops,
    pages,
    supervisor_pages,
    ws,
)
from cti_bridge.web.errors import error_middleware
from cti_bridge.web.keys import WebParts, store_parts

UI = files("agent_ui")


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/", pages.desk, name="desk"),
        web.get("/healthz", ops.healthz),
        web.get("/readyz", ops.readyz),
        web.get("/metrics", ops.metrics),
        web.get("/api/openapi.json", ops.openapi),
        web.post("/api/session", auth.login),
        web.get("/api/session", auth.whoami),
        web.delete("/api/session", auth.logout),
        web.get("/api/customers", api_customers.search),
        web.post("/api/customers", api_customers.create),
        web.get(r"/api/customers/{customer_id:\d+}", api_customers.read),
        web.patch(r"/api/customers/{customer_id:\d+}", api_customers.update),
        web.post(r"/api/customers/{customer_id:\d+}/notes", api_desk.add_note),
        web.get(r"/api/customers/{customer_id:\d+}/timeline", api_desk.timeline),
        web.post("/api/caller-choices", api_desk.choose_caller),
        web.get("/api/agents/me", api_desk.me),
        web.patch("/api/agents/me", api_desk.update_me),
        web.put("/api/agents/me/status", api_desk.set_status),
        web.put("/api/agents/me/queues", api_queues.set_queue),
        web.post("/api/calls", api_calls.dial),
        web.post("/api/calls/{call_id}/disposition", api_calls.disposition),
        web.get("/api/calls/{call_id}/recording", api_recordings.play),
        web.get("/api/missed-calls", api_missed.listing),
        web.post(r"/api/missed-calls/{missed_id:\d+}/callback", api_missed.call_back),
        web.post("/api/calls/{call_id}/hangup", api_control.hangup),
        web.post("/api/calls/{call_id}/transfer", api_control.transfer),
        web.get("/api/transfer-targets", api_control.transfer_targets),
        web.get("/api/tickets", api_tickets.search),
        web.post("/api/tickets", api_tickets.create),
        web.get(r"/api/tickets/{ticket_id:\d+}", api_tickets.read),
        web.patch(r"/api/tickets/{ticket_id:\d+}", api_tickets.update),
        web.post(r"/api/tickets/{ticket_id:\d+}/complaint-steps", api_supervisor.advance_complaint),
        web.get("/ws", ws.websocket),
    ]


def create_web_app(parts: WebParts) -> web.Application:
    app = web.Application(
        middlewares=[error_middleware, auth.session_middleware],
        client_max_size=parts.settings.web.max_body_bytes,
    )
    store_parts(app, parts)
    app[auth.THROTTLE] = auth.throttle_for(parts.settings.web)
    app.on_response_prepare.append(headers.security_headers)
    app.add_routes(routes())
    app.add_subapp(api_ivr.PREFIX, api_ivr.ivr_app())
    for prefix, subapp in supervisor_pages.supervisor_apps().items():
        app.add_subapp(prefix, subapp)
    app[api_customers.CUSTOMER_READS] = SlidingWindow(window=60.0)
    app.router.add_static("/static", str(UI / "static"), name="static")
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(UI / "templates")),
        autoescape=jinja2.select_autoescape(default=True),
    )
    return app
