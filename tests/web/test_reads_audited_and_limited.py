"""Reading tickets is audited like reading customers, and customer reads are rate limited
per agent (counted before the database is asked), on the daemon's controllable clock."""

from __future__ import annotations

from typing import Any

import aiohttp
from sqlalchemy import select

from cti_bridge.settings import WebSettings
from cti_bridge.store.models import AuditEntry
from tests.clients import Running
from tests.store.helpers import add_customer
from tests.supervision.helpers import FakeClock, running


async def body(response: aiohttp.ClientResponse, status: int) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def audit(run: Running, action: str) -> list[AuditEntry]:
    async with run.daemon.engine.connect() as conn:  # type: ignore[union-attr]
        rows = await conn.execute(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return list(rows.all())  # type: ignore[arg-type]


async def test_ticket_reads_and_lists_are_audited(db_url: str) -> None:
    async with running(db_url, FakeClock()) as run, await run.login("ann") as ann:
        jane = await add_customer(run.daemon.engine, "Jane", "+15551234567")  # type: ignore[arg-type]
        payload = {"customer_id": jane, "kind": "service", "subject": "Router"}
        ticket = await body(await ann.post("/api/tickets", json=payload), 201)
        await body(await ann.get(f"/api/tickets/{ticket['id']}"), 200)
        await body(await ann.get("/api/tickets/9999"), 404)
        query = {"status": "open,in_progress", "assignee": "me", "customer_id": str(jane)}
        found = await body(await ann.get("/api/tickets", params=query), 200)
        assert [t["id"] for t in found["tickets"]] == [ticket["id"]]
        await body(await ann.get("/api/tickets", params={"overdue": "true"}), 200)
    ann_id = run.agents["ann"].id
    [view] = await audit(run, "ticket_view")
    assert (view.actor_id, view.target_type, view.target_id) == (
        ann_id,
        "ticket",
        str(ticket["id"]),
    )
    assert view.remote == "127.0.0.1"
    first, second = await audit(run, "ticket_search")
    assert (first.actor_id, first.target_type) == (ann_id, "ticket")
    assert first.detail == {
        "status": ["open", "in_progress"],
        "overdue": False,
        "assignee_id": ann_id,
        "customer_id": jane,
        "ids": [ticket["id"]],
    }
    assert second.detail["overdue"] is True and second.detail["ids"] == []


async def test_customer_reads_are_limited_per_agent_and_minute(db_url: str) -> None:
    clock = FakeClock()
    web = WebSettings(port=0, customer_reads_per_minute=5, supervisor_customer_reads_per_minute=7)
    async with running(db_url, clock, web=web) as run:
        jane = await add_customer(run.daemon.engine, "Jane", "+15551234567")  # type: ignore[arg-type]
        reads = [
            f"/api/customers/{jane}",
            "/api/customers?phone=5551234567",
            f"/api/customers/{jane}/timeline",
            "/api/customers/9999",  # a miss counts too: it is counted before it is looked up
            f"/api/customers/{jane}",
        ]
        async with await run.login("ann") as ann, await run.login("sue") as sue:
            for path in reads:
                assert (await ann.get(path)).status in (200, 404)
            views = len(await audit(run, "customer_view"))
            clock.advance(20)
            refused = await ann.get(f"/api/customers/{jane}")
            assert refused.status == 429
            assert (await refused.json())["error"]["code"] == "too_many_requests"
            assert refused.headers["Retry-After"] == "40"
            assert (await ann.get("/api/customers?phone=5551234567")).status == 429
            assert (await ann.get(f"/api/customers/{jane}/timeline")).status == 429
            assert len(await audit(run, "customer_view")) == views  # never read
            # Other agents have their own allowance; supervisors a larger one.
            async with await run.login("bob") as bob:
                await body(await bob.get(f"/api/customers/{jane}"), 200)
            for _ in range(7):
                await body(await sue.get(f"/api/customers/{jane}"), 200)
            assert (await sue.get(f"/api/customers/{jane}")).status == 429
            # A minute after the first reads, they no longer count.
            clock.advance(40)
            await body(await ann.get(f"/api/customers/{jane}"), 200)
