"""Hostile input over real HTTP and a real websocket: each gets a clear 4xx JSON error (or an
error message on the socket), never a 500, and nothing is logged at ERROR level."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from tests.clients import Running, receive, receive_type
from tests.store.helpers import add_customer

BIG = "99999999999999999999"  # above 64 bits
DEEP_HTTP = 200_000
DEEP_WS = 8_000

pytestmark = pytest.mark.usefixtures("no_errors_logged")


@pytest.fixture
def no_errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    with caplog.at_level(logging.ERROR):
        yield
    # The web layer's own errors and any traceback (another daemon may hold the FastAGI port).
    errors = [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR and (r.name.startswith("cti_bridge.web") or r.exc_info)
    ]
    assert not errors, [r.getMessage() for r in errors]


async def error_of(response: aiohttp.ClientResponse, *statuses: int) -> dict[str, Any]:
    assert response.status in statuses, (response.status, await response.text())
    error = (await response.json())["error"]
    assert error["code"] and error["message"]
    return error  # type: ignore[no-any-return]


async def a_ticket(running: Running) -> tuple[int, int]:
    cid = await add_customer(running.daemon.engine, "Jane", "+15551234567")  # type: ignore[arg-type]
    async with await running.login("ann") as ann:
        created = await ann.post(
            "/api/tickets", json={"customer_id": cid, "kind": "service", "subject": "Bill"}
        )
        assert created.status == 201
        return cid, (await created.json())["id"]


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("GET", f"/api/customers/{BIG}", None),
        ("PATCH", f"/api/customers/{BIG}", {"name": "x"}),
        ("POST", f"/api/customers/{BIG}/notes", {"text": "x"}),
        ("GET", f"/api/customers/{BIG}/timeline", None),
        ("GET", f"/api/tickets/{BIG}", None),
        ("PATCH", f"/api/tickets/{BIG}", {"subject": "x"}),
        ("POST", f"/api/tickets/{BIG}/complaint-steps", {"step": "acknowledge"}),
    ],
)
async def test_ids_above_64_bits_in_the_path_are_not_found(
    running: Running, method: str, path: str, payload: Any
) -> None:
    async with await running.login("sue") as sue:
        await error_of(await sue.request(method, path, json=payload), 404)


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("POST", "/api/tickets", {"customer_id": int(BIG), "kind": "service", "subject": "x"}),
        (
            "POST",
            "/api/tickets",
            {"customer_id": "CID", "kind": "service", "subject": "x", "assignee_id": int(BIG)},
        ),
        ("PATCH", "/api/tickets/TID", {"assignee_id": int(BIG)}),
        ("POST", "/api/calls/c-1/disposition", {"code": "resolved", "customer_id": int(BIG)}),
        ("POST", "/api/caller-choices", {"number": "+15551234567", "customer_id": int(BIG)}),
        ("POST", "/api/calls", {"customer_id": int(BIG)}),
        ("POST", "/api/tickets", {"customer_id": -1, "kind": "service", "subject": "x"}),
    ],
)
async def test_ids_out_of_range_in_bodies_are_refused(
    running: Running, method: str, path: str, payload: dict[str, Any]
) -> None:
    cid, tid = await a_ticket(running)
    payload = {k: cid if v == "CID" else v for k, v in payload.items()}
    async with await running.login("sue") as sue:
        path = path.replace("TID", str(tid))
        error = await error_of(await sue.request(method, path, json=payload), 422)
        assert error["field"] in ("customer_id", "assignee_id")


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/tickets", {"assignee": "²"}),
        ("/api/tickets", {"assignee": "١٢"}),  # Arabic-Indic digits: int() takes them
        ("/api/tickets", {"assignee": BIG}),
        ("/api/tickets", {"customer_id": "²"}),
        ("/api/tickets", {"customer_id": BIG}),
        ("/api/tickets", {"customer_id": "abc"}),
    ],
)
async def test_query_integers_must_be_plain_ascii_ids(
    running: Running, path: str, query: dict[str, str]
) -> None:
    async with await running.login("ann") as ann:
        error = await error_of(await ann.get(path, params=query), 422)
        assert error["field"] == next(iter(query))
        assert (await ann.get(path, params={"assignee": "me", "customer_id": "7"})).status == 200


@pytest.mark.parametrize("opener", ["[", '{"a":'])
async def test_deeply_nested_json_is_a_bad_request(running: Running, opener: str) -> None:
    raw = (opener * DEEP_HTTP).encode()
    headers = {"Content-Type": "application/json"}
    async with running.client() as anon:
        error = await error_of(await anon.post("/api/session", data=raw, headers=headers), 400)
        assert error["code"] == "invalid_json"
        # Deep but valid and under the size cap: refused too, before any view walks it.
        valid = ("[" * 5000 + "]" * 5000).encode()
        await error_of(await anon.post("/api/session", data=valid, headers=headers), 400)
        assert (await anon.get("/healthz")).status == 200


async def test_a_deeply_nested_websocket_message_gets_an_error_and_the_socket_stays(
    running: Running,
) -> None:
    async with running.ws("ann") as conn:
        await conn.send("[" * DEEP_WS)
        error = await receive(conn)
        assert error["type"] == "error" and error["code"] == "invalid_json"
        await conn.send(json.dumps({"type": "text", "text": "\ud800"}))
        assert (await receive(conn))["code"] == "invalid_json"
        await conn.send(json.dumps({"type": "ping"}))
        assert (await receive_type(conn, "pong"))["type"] == "pong"


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"),
    [
        ("POST", "/api/session", {"username": "\ud800", "password": "x"}, "username"),
        ("POST", "/api/customers", {"name": "Jane \udfff"}, "name"),
        ("PATCH", "/api/customers/CID", {"notes": "a\ud800b"}, "notes"),
        ("POST", "/api/customers/CID/notes", {"text": "\udc80"}, "text"),
        (
            "POST",
            "/api/tickets",
            {"customer_id": "CID", "kind": "service", "subject": "\ud800"},
            "subject",
        ),
        ("PATCH", "/api/tickets/TID", {"description": "\ud800"}, "description"),
        ("POST", "/api/calls/c-1/disposition", {"code": "resolved", "notes": "\ud800"}, "notes"),
        ("POST", "/api/customers", {"\ud800": "key"}, None),
    ],
)
async def test_lone_surrogates_are_refused_at_input(
    running: Running,
    method: str,
    path: str,
    payload: dict[str, Any],
    field: str | None,
) -> None:
    cid, tid = await a_ticket(running)
    payload = {k: cid if v == "CID" else v for k, v in payload.items()}
    path = path.replace("CID", str(cid)).replace("TID", str(tid))
    async with await running.login("sue") as sue:
        error = await error_of(await sue.request(method, path, json=payload), 422)
        assert "surrogate" in error["message"]
        if field is not None:
            assert error["field"] == field


@pytest.mark.parametrize(
    "query",
    [
        "?from=9999-12-01&to=9999-12-31",
        "?to=9999-12-31",
        "?from=0001-01-01&to=0001-01-02",
    ],
)
async def test_report_dates_out_of_range_are_refused(running: Running, query: str) -> None:
    async with await running.login("sue") as sue:
        for path in ("/api/reports/figures", "/api/reports/figures.csv"):
            error = await error_of(await sue.get(path + query), 422)
            assert error["field"] in ("from", "to")
        page = await sue.get("/reports" + query)
        assert page.status == 200 and "between" in await page.text()


@pytest.mark.parametrize(
    "due_at",
    ["9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-14:00", "0001-01-01T00:00:00+14:00"],
)
async def test_due_times_that_overflow_in_utc_are_refused(running: Running, due_at: str) -> None:
    _, tid = await a_ticket(running)
    async with await running.login("sue") as sue:
        error = await error_of(await sue.patch(f"/api/tickets/{tid}", json={"due_at": due_at}), 422)
        assert error["field"] == "due_at"
