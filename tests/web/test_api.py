"""The REST API over real HTTP against a running daemon and a real database."""

from __future__ import annotations

import io
from typing import Any

import aiohttp
from sqlalchemy import select

from cti_bridge.store.calllog import CallStart
from cti_bridge.store.models import AuditEntry, Disposition, Interaction
from tests.clients import PASSWORD, Running
from tests.store.helpers import NOW, add_customer


async def body(response: aiohttp.ClientResponse) -> Any:
    return await response.json()


async def test_login_logout_and_session_required(running: Running) -> None:
    async with running.client() as anon:
        response = await anon.get("/api/customers?phone=1")
        assert response.status == 401
        assert (await body(response))["error"]["code"] == "unauthenticated"
        bad = await anon.post("/api/session", json={"username": "ann", "password": "nope"})
        assert bad.status == 401
        unknown = await anon.post("/api/session", json={"username": "zed", "password": "x"})
        assert unknown.status == 401
        assert (await body(bad))["error"] == (await body(unknown))["error"]
    session = await running.login("ann")
    async with session:
        me = await body(await session.get("/api/session"))
        assert me["agent"]["username"] == "ann" and me["agent"]["role"] == "agent"
        assert (await session.delete("/api/session")).status == 200
        assert (await session.get("/api/session")).status == 401
    async with running.daemon.engine.connect() as conn:  # type: ignore[union-attr]
        actions = (await conn.execute(select(AuditEntry.action))).scalars().all()
    assert actions.count("login_failed") == 2 and "login" in actions and "logout" in actions


async def test_bad_bodies_get_clear_errors(running: Running) -> None:
    async with running.client() as anon:
        not_json = await anon.post(
            "/api/session", data=b"{oops", headers={"Content-Type": "application/json"}
        )
        assert not_json.status == 400
        assert (await body(not_json))["error"]["code"] == "invalid_json"
        form = await anon.post("/api/session", data={"username": "ann"})
        assert form.status == 415
        listed = await anon.post("/api/session", json=["ann", PASSWORD])
        assert listed.status == 400
        huge = await anon.post(
            "/api/session",
            data=io.BytesIO(b"x" * 2_000_000),
            headers={"Content-Type": "application/json"},
        )
        assert huge.status == 413
        assert (await body(huge))["error"]["code"] == "body_too_large"
    # The daemon is still serving.
    async with running.client() as anon:
        assert (await anon.get("/healthz")).status == 200


async def test_login_throttle(running: Running) -> None:
    async with running.client() as anon:
        for _ in range(10):
            await anon.post("/api/session", json={"username": "bob", "password": "wrong"})
        blocked = await anon.post("/api/session", json={"username": "bob", "password": PASSWORD})
        assert blocked.status == 429


async def test_customer_search_read_edit_create(running: Running) -> None:
    cid = await add_customer(running.daemon.engine, "Jane Doe", "+15551234567")  # type: ignore[arg-type]
    async with await running.login("ann") as ann:
        found = await body(await ann.get("/api/customers", params={"phone": "(555) 123-4567"}))
        assert [m["id"] for m in found["matches"]] == [cid]
        assert (await body(await ann.get("/api/customers", params={"phone": "garbage"}))) == {
            "matches": []
        }
        card = await body(await ann.get(f"/api/customers/{cid}"))
        assert card["name"] == "Jane Doe" and card["phones"] == ["+15551234567"]
        assert {"open_tickets", "recent_interactions", "flags"} <= set(card)
        assert (await ann.get("/api/customers/99999")).status == 404
        edited = await ann.patch(f"/api/customers/{cid}", json={"grade": "A", "vip": True})
        assert (await body(edited))["grade"] == "A"
        invalid = await ann.patch(f"/api/customers/{cid}", json={"grade": "Z"})
        assert invalid.status == 422
        assert (await body(invalid))["error"]["field"] == "grade"
        bad_phone = await ann.post("/api/customers", json={"name": "X", "phones": ["nope"]})
        assert bad_phone.status == 422
        created = await ann.post(
            "/api/customers", json={"name": "王伟", "phones": ["+86 138 1234 5678"]}
        )
        assert created.status == 201
        assert (await body(created))["phones"] == ["+8613812345678"]
    async with running.daemon.engine.connect() as conn:  # type: ignore[union-attr]
        actions = (await conn.execute(select(AuditEntry.action))).scalars().all()
    assert {"customer_view", "customer_edit", "customer_create", "customer_search"} <= set(actions)


async def test_disposition_is_idempotent_and_checked(running: Running) -> None:
    daemon = running.daemon
    cid = await add_customer(daemon.engine, "Jane", "+15551234567")  # type: ignore[arg-type]
    await daemon.calllog.start(
        CallStart("pbx1:1.1", "inbound", "+15551234567", "", "", None, cid, NOW)
    )
    await daemon.calllog.answered("pbx1:1.1", running.agents["ann"].id, NOW, 2.0)
    async with await running.login("ann") as ann:
        url = "/api/calls/pbx1:1.1/disposition"
        payload = {"code": "resolved", "notes": "fixed", "request_id": "req-42"}
        first = await ann.post(url, json=payload)
        assert first.status == 201
        again = await ann.post(url, json=payload)
        assert again.status == 200
        assert (await body(first)) == (await body(again))
        unknown_call = await ann.post("/api/calls/pbx1:nope/disposition", json={"code": "info"})
        assert unknown_call.status == 404
        no_note = await ann.post(url, json={"code": "follow_up"})
        assert no_note.status == 422 and (await body(no_note))["error"]["field"] == "notes"
        bad_code = await ann.post(url, json={"code": "made_up"})
        assert bad_code.status == 422
    async with daemon.engine.connect() as conn:  # type: ignore[union-attr]
        count = len((await conn.execute(select(Disposition.id))).all())
        row = (await conn.execute(select(Interaction.disposition_code, Interaction.notes))).one()
    assert count == 1
    assert tuple(row) == ("resolved", "fixed")


async def test_tickets_and_supervisor_fields(running: Running) -> None:
    cid = await add_customer(running.daemon.engine, "Jane", "+15551234567")  # type: ignore[arg-type]
    async with await running.login("ann") as ann, await running.login("sue") as sue:
        created = await ann.post(
            "/api/tickets", json={"customer_id": cid, "kind": "complaint", "subject": "Bill"}
        )
        assert created.status == 201
        ticket = await body(created)
        assert ticket["priority"] == "normal" and ticket["due_at"]
        assert ticket["assignee_id"] == running.agents["ann"].id
        tid = ticket["id"]
        forbidden = await ann.patch(f"/api/tickets/{tid}", json={"due_at": "2020-01-01T00:00:00Z"})
        assert forbidden.status == 403
        moved = await sue.patch(f"/api/tickets/{tid}", json={"due_at": "2020-01-01T00:00:00Z"})
        assert moved.status == 200 and (await body(moved))["overdue"] is True
        overdue = await body(await ann.get("/api/tickets", params={"overdue": "true"}))
        assert [t["id"] for t in overdue["tickets"]] == [tid]
        mine = await body(await ann.get("/api/tickets", params={"assignee": "me"}))
        assert [t["id"] for t in mine["tickets"]] == [tid]
        bad_kind = await ann.post(
            "/api/tickets", json={"customer_id": cid, "kind": "praise", "subject": "x"}
        )
        assert bad_kind.status == 422
        no_customer = await ann.post(
            "/api/tickets", json={"customer_id": 4040, "kind": "service", "subject": "x"}
        )
        assert no_customer.status == 422
        history = await body(await sue.get(f"/api/tickets/{tid}"))
        assert [h["kind"] for h in history["history"]] == ["created", "due_at_changed"]


async def test_operations_endpoints(running: Running) -> None:
    async with running.client() as anon:
        assert (await body(await anon.get("/healthz"))) == {"status": "ok"}
        ready = await anon.get("/readyz")
        assert ready.status == 200
        assert (await body(ready))["checks"]["database"]["ok"] is True
        metrics = await (await anon.get("/metrics")).text()
        assert "cti_screen_pops_total" in metrics
        spec = await body(await anon.get("/api/openapi.json"))
        assert (
            spec["openapi"].startswith("3.") and "/api/calls/{call_id}/disposition" in spec["paths"]
        )
        page = await anon.get("/")
        assert page.status == 200 and "/static/desk/main.js" in await page.text()
