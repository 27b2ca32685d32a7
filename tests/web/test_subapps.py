"""The IVR and supervisor routes live in sub-applications: the URLs resolve there, the root
application's middlewares (errors, sessions) and response headers still apply, roles are
still enforced, and the handlers find every part through the root's keys."""

from __future__ import annotations

import re

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from cti_bridge.web import api_supervisor, supervisor_pages
from cti_bridge.web.app import create_web_app
from cti_bridge.web.openapi import openapi_document
from tests.clients import Running

SUB_ROUTES = [
    ("GET", "/ivr/v1/lookup"),
    ("GET", "/ivr/v1/ticket_status"),
    ("POST", "/ivr/v1/identify"),
    ("POST", "/ivr/v1/callback"),
    ("POST", "/ivr/v1/survey"),
    ("POST", "/ivr/v1/choice"),
    ("GET", "/board"),
    ("GET", "/reports"),
    ("GET", "/api/supervisor/board"),
    ("GET", "/api/supervisor/complaints"),
    ("GET", "/api/reports/figures"),
    ("GET", "/api/reports/figures.csv"),
    ("GET", "/api/reports/agent-time.csv"),
]
SUPERVISOR_API = [
    "/api/supervisor/board",
    "/api/supervisor/complaints",
    "/api/reports/figures",
    "/api/reports/figures.csv",
    "/api/reports/agent-time.csv",
]


async def _resolve(app: web.Application, method: str, path: str) -> web.UrlMappingMatchInfo:
    match = await app.router.resolve(make_mocked_request(method, path, app=app))
    assert isinstance(match, web.UrlMappingMatchInfo)
    return match


@pytest.mark.parametrize(("method", "path"), SUB_ROUTES)
async def test_routes_resolve_in_a_subapp(running: Running, method: str, path: str) -> None:
    app = create_web_app(running.daemon.web_parts)
    match = await _resolve(app, method, path)
    assert match.http_exception is None
    assert match.apps and all(sub is not app for sub in match.apps)


async def test_other_routes_stay_on_the_root(running: Running) -> None:
    app = create_web_app(running.daemon.web_parts)
    for method, path in [("GET", "/api/customers"), ("POST", "/api/tickets/7/complaint-steps")]:
        match = await _resolve(app, method, path)
        assert match.http_exception is None and not match.apps
    steps = await _resolve(app, "POST", "/api/tickets/7/complaint-steps")
    assert steps.handler is api_supervisor.advance_complaint
    assert (await _resolve(app, "GET", "/board")).handler is supervisor_pages.board


async def test_supervisor_api_needs_a_session_and_the_role(running: Running) -> None:
    async with running.client() as anon:
        for path in SUPERVISOR_API:
            response = await anon.get(path)
            assert response.status == 401, path
            assert (await response.json())["error"]["code"] == "unauthenticated"
    async with await running.login("ann") as agent:
        for path in SUPERVISOR_API:
            response = await agent.get(path)
            assert response.status == 403, path
            assert (await response.json())["error"]["code"] == "forbidden"
        page = await agent.get("/reports")
        assert page.status == 200 and "The reports are for supervisors." in await page.text()
    async with await running.login("sue") as supervisor:
        for path in SUPERVISOR_API:
            response = await supervisor.get(path)
            assert response.status == 200, path
            assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_subapp_pages_and_errors_keep_the_root_behaviour(running: Running) -> None:
    async with running.client() as anon:
        board = await anon.get("/board")
        assert board.status == 200 and board.content_type == "text/html"
        assert board.headers["X-Frame-Options"] == "DENY"
        # A page's prefix is no directory; a page's 404 is plain text, as on the root.
        assert (await anon.get("/board/")).status == 404
        for path in ("/ivr/v1", "/ivr/v1/nothing"):
            missing = await anon.get(path)
            assert missing.status == 404, path
            assert (await missing.json())["error"]["code"] == "not_found", path
        wrong = await anon.get("/ivr/v1/identify")
        assert wrong.status == 405
        untokened = await anon.get("/ivr/v1/lookup", params={"caller": "5551234567"})
        assert untokened.status == 401
        assert (await untokened.json())["error"]["code"] == "unauthenticated"


async def test_every_documented_operation_resolves(running: Running) -> None:
    app = create_web_app(running.daemon.web_parts)
    verbs = {"get", "post", "put", "patch", "delete"}
    checked = 0
    for template, operations in openapi_document()["paths"].items():
        path = re.sub(r"\{[^}]+\}", "1", template)
        for method in verbs & set(operations):
            match = await _resolve(app, method.upper(), path)
            assert match.http_exception is None, (method, template)
            checked += 1
    assert checked > len(SUB_ROUTES)
