"""What every response tells the browser (no sniffing, no framing, a strict CSP on pages),
the optional bearer token on ``/metrics``, and click-to-dial taking only dialable numbers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cti_bridge.app import Daemon
from cti_bridge.settings import DatabaseSettings, Secret, Settings, WebSettings
from tests.clients import Running, add_team

EVERYWHERE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def directives(csp: str) -> dict[str, str]:
    return {d.split()[0]: " ".join(d.split()[1:]) for d in csp.split(";") if d.strip()}


@pytest.mark.parametrize("path", ["/", "/board", "/reports"])
async def test_pages_send_a_strict_content_security_policy(running: Running, path: str) -> None:
    async with running.client() as anon:
        page = await anon.get(path)
        assert page.status == 200 and page.content_type == "text/html"
        for name, value in EVERYWHERE.items():
            assert page.headers[name] == value
        csp = directives(page.headers["Content-Security-Policy"])
        assert csp["default-src"] == "'self'"
        assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
        assert csp["frame-ancestors"] == "'none'" and csp["base-uri"] == "'none'"
        assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
        host = running.url.removeprefix("http://")
        assert f"ws://{host}" in csp["connect-src"].split()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/session"),  # 401 JSON
        ("POST", "/api/session"),  # 415 JSON
        ("GET", "/healthz"),
        ("GET", "/metrics"),
        ("GET", "/static/desk/main.js"),
        ("GET", "/static/desk.css"),
        ("GET", "/no-such-page"),  # aiohttp's own 404
        ("GET", "/api/customers/99999999999999999999"),
    ],
)
async def test_every_response_forbids_sniffing_and_framing(
    running: Running, method: str, path: str
) -> None:
    async with running.client() as anon:
        response = await anon.request(method, path)
        for name, value in EVERYWHERE.items():
            assert response.headers.get(name) == value, (name, response.status)
        # Anything that is not a page may not run or load anything at all.
        if response.content_type != "text/html":
            csp = directives(response.headers["Content-Security-Policy"])
            assert csp["default-src"] == "'none'" and csp["frame-ancestors"] == "'none'"


async def test_the_websocket_handshake_carries_the_headers_too(running: Running) -> None:
    async with running.ws("ann") as conn:
        assert conn.response is not None
        assert conn.response.headers["X-Content-Type-Options"] == "nosniff"


async def test_metrics_are_open_when_no_token_is_set(running: Running) -> None:
    async with running.client() as anon:
        response = await anon.get("/metrics")
        assert response.status == 200 and "cti_screen_pops_total" in await response.text()


@pytest.fixture
async def guarded(db_url: str) -> AsyncIterator[Running]:
    web = WebSettings(port=0, metrics_token=Secret("scrape-me"))
    daemon = Daemon(Settings(web=web, database=DatabaseSettings(url=db_url)))
    await daemon.start()
    try:
        yield Running(daemon, f"http://127.0.0.1:{daemon.web_port}", await add_team(daemon))
    finally:
        await daemon.stop()


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", "scrape-me", "Basic scrape-me", "Bearer "]
)
async def test_metrics_need_the_bearer_token_when_one_is_set(
    guarded: Running, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    async with guarded.client() as anon:
        refused = await anon.get("/metrics", headers=headers)
        assert refused.status == 401
        assert (await refused.json())["error"]["code"] == "unauthenticated"
        assert "cti_" not in await refused.text()
        allowed = await anon.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert allowed.status == 200 and "cti_screen_pops_total" in await allowed.text()
        # An agent's session is no substitute for the token.
    async with await guarded.login("sue") as sue:
        assert (await sue.get("/metrics")).status == 401


@pytest.mark.parametrize(
    "number",
    [
        "123&PJSIP/9000@trunk",
        "555 1234,PJSIP/1001",
        "1001@from-internal",
        "++15551234567",
        "15551234567+",
        "555\n1234",
        "abc",
        "+",
        "-- ()",
    ],
)
async def test_click_to_dial_refuses_what_is_not_a_phone_number(
    running: Running, number: str
) -> None:
    async with await running.login("ann") as ann:
        response = await ann.post("/api/calls", json={"number": number})
        assert response.status == 422, await response.text()
        error = (await response.json())["error"]
        assert error["field"] == "number"


@pytest.mark.parametrize("number", ["+1 (555) 123-4567", "555.123.4567", "*72", "1001#"])
async def test_click_to_dial_takes_dialable_numbers(running: Running, number: str) -> None:
    async with await running.login("ann") as ann:
        # Valid, so it gets as far as the PBX, which this daemon has none of.
        response = await ann.post("/api/calls", json={"number": number})
        assert response.status == 503, await response.text()
