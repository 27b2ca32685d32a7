"""The desk's API additions over real HTTP: caller choices, notes, timeline, agent status
and language, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
from sqlalchemy import select

from cti_bridge.core.phones import normalize_caller
from cti_bridge.store.calllog import CallStart, LegRecord
from cti_bridge.store.models import Agent, AuditEntry, Interaction
from tests.clients import Running
from tests.store.helpers import NOW, add_customer


async def body(response: aiohttp.ClientResponse) -> Any:
    return await response.json()


async def test_caller_choice_narrows_the_next_lookup(running: Running) -> None:
    daemon = running.daemon
    engine = daemon.engine
    first = await add_customer(engine, "Li Wei", "+15550100100")  # type: ignore[arg-type]
    second = await add_customer(engine, "Li Wei Jr", "+15550100100")  # type: ignore[arg-type]
    other = await add_customer(engine, "Someone Else", "+15550999999")  # type: ignore[arg-type]
    caller = normalize_caller("5550100100", "US", 9)
    before = await daemon.web_parts.directory.find_by_caller(caller, NOW)
    assert before.customer is None and [c.id for c in before.candidates] == [first, second]
    await daemon.calllog.start(
        CallStart("pbx1:9.1", "inbound", "+15550100100", "", "", None, None, NOW)
    )
    async with await running.login("ann") as ann:
        stranger = await ann.post(
            "/api/caller-choices", json={"number": "+15550100100", "customer_id": other}
        )
        assert stranger.status == 422 and (await body(stranger))["error"]["field"] == "customer_id"
        bad = await ann.post("/api/caller-choices", json={"number": "anonymous", "customer_id": 1})
        assert bad.status == 422
        chosen = await ann.post(
            "/api/caller-choices",
            json={"number": "5550100100", "customer_id": second, "call_id": "pbx1:9.1"},
        )
        assert chosen.status == 200
        answer = await body(chosen)
    assert answer["number"] == "+15550100100" and answer["customer"]["id"] == second
    after = await daemon.web_parts.directory.find_by_caller(caller, NOW)
    assert after.customer is not None and after.customer.id == second
    async with engine.connect() as conn:  # type: ignore[union-attr]
        attached = await conn.scalar(select(Interaction.customer_id))
        audited = await conn.scalar(
            select(AuditEntry.target_id).where(AuditEntry.action == "caller_choice")
        )
    assert attached == second and audited == str(second)
    # The chosen customer gives the number up: the choice no longer applies.
    third = await add_customer(engine, "Li Wei Sr", "+15550100100")  # type: ignore[arg-type]
    async with await running.login("ann") as ann:
        moved = await ann.patch(f"/api/customers/{second}", json={"phones": ["+15550100199"]})
        assert moved.status == 200
    later = await daemon.web_parts.directory.find_by_caller(caller, NOW)
    assert later.customer is None and [c.id for c in later.candidates] == [first, third]


async def test_notes_and_timeline_across_calls_tickets_and_notes(running: Running) -> None:
    daemon = running.daemon
    cid = await add_customer(daemon.engine, "Jane", "+15551234567")  # type: ignore[arg-type]
    start = CallStart("pbx1:1.1", "inbound", "+15551234567", "", "", "support", cid, NOW)
    # It rang bob, who missed it: he may still log what the caller wanted.
    gone = NOW + timedelta(seconds=20)
    bob_id = running.agents["bob"].id
    missed = LegRecord("pbx1:1.1", 1, bob_id, "PJSIP/1002", "offered", NOW, None, gone, "missed")
    await daemon.calllog.abandoned(start, gone, [missed])
    async with await running.login("bob") as bob:
        saved = await bob.post(
            "/api/calls/pbx1:1.1/disposition", json={"code": "info", "notes": "gave hours"}
        )
        assert saved.status == 201
        ticket = await bob.post(
            "/api/tickets", json={"customer_id": cid, "kind": "service", "subject": "Repair"}
        )
        assert ticket.status == 201
    async with await running.login("ann") as ann:
        url = f"/api/customers/{cid}/notes"
        payload = {"text": "prefers 以中文 email", "request_id": "note-1", "call_id": "pbx1:1.1"}
        first = await ann.post(url, json=payload)
        again = await ann.post(url, json=payload)
        assert (first.status, again.status) == (201, 200)
        assert (await body(first))["id"] == (await body(again))["id"]
        assert (await ann.post(url, json={"text": "  "})).status == 422
        assert (await ann.post("/api/customers/99999/notes", json={"text": "x"})).status == 404
        items = (await body(await ann.get(f"/api/customers/{cid}/timeline")))["items"]
    kinds = {item["kind"]: item for item in items}
    assert set(kinds) == {"call", "ticket", "note"}
    assert kinds["call"]["agent"] is None  # nobody answered this call
    assert (kinds["call"]["code"], kinds["call"]["text"]) == ("info", "gave hours")
    assert (kinds["ticket"]["agent"], kinds["ticket"]["text"]) == ("bob", "Repair")
    assert (kinds["note"]["agent"], kinds["note"]["text"]) == ("ann", "prefers 以中文 email")
    times = [item["at"] for item in items]
    assert times == sorted(times, reverse=True)


async def test_agent_status_and_language(running: Running) -> None:
    async with await running.login("ann") as ann:
        me = await body(await ann.get("/api/agents/me"))
        assert (me["username"], me["language"]) == ("ann", "en")
        set_away = await ann.put("/api/agents/me/status", json={"status": "away"})
        assert set_away.status == 200 and (await body(set_away)) == {"status": "away"}
        offline = await ann.put("/api/agents/me/status", json={"status": "offline"})
        assert offline.status == 422
        unlisted = await ann.put("/api/agents/me/status", json={"status": "away", "reason": "nap"})
        refusal = (await body(unlisted))["error"]
        assert unlisted.status == 400 and refusal["field"] == "reason"
        assert "lunch" in refusal["message"]
        lunch = await ann.put("/api/agents/me/status", json={"status": "away", "reason": "lunch"})
        assert (await body(lunch)) == {"status": "away", "reason": "lunch"}
        chinese = await ann.patch("/api/agents/me", json={"language": "zh-CN"})
        assert chinese.status == 200
        assert (await ann.patch("/api/agents/me", json={"language": "fr"})).status == 422
        assert (await ann.patch("/api/agents/me", json={"role": "admin"})).status == 422
        session = await body(await ann.get("/api/session"))
        me = await body(await ann.get("/api/agents/me"))
    assert session["agent"]["language"] == "zh-CN"
    assert (me["status"], me["language"]) == ("away", "zh-CN")
    async with running.daemon.engine.connect() as conn:  # type: ignore[union-attr]
        row = await conn.execute(select(Agent.status, Agent.role).where(Agent.username == "ann"))
    assert tuple(row.one()) == ("away", "agent")


async def test_desk_routes_need_a_session(running: Running) -> None:
    async with running.client() as anon:
        for method, path in (
            ("GET", "/api/agents/me"),
            ("PUT", "/api/agents/me/status"),
            ("POST", "/api/caller-choices"),
            ("GET", "/api/customers/1/timeline"),
        ):
            response = await anon.request(method, path, json={})
            assert response.status == 401, path
        spec = await body(await anon.get("/api/openapi.json"))
    for path in (
        "/api/caller-choices",
        "/api/agents/me/status",
        "/api/customers/{customer_id}/notes",
    ):
        assert path in spec["paths"]
