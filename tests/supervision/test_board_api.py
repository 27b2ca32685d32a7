"""``/api/supervisor/board`` (DESIGN §6.2), late tickets with reassignment, the complaint
workflow and assignment rules, on a real daemon and database."""

from __future__ import annotations

from typing import Any

import aiohttp

from cti_bridge.settings import AssignmentRule
from tests.store.helpers import add_customer
from tests.supervision.helpers import FakeClock, running, settle

HOUR = 3600.0


async def body(response: aiohttp.ClientResponse, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def new_ticket(client: aiohttp.ClientSession, customer: int, **fields: Any) -> Any:
    payload = {"customer_id": customer, "kind": "service", "subject": "Router", **fields}
    return await body(await client.post("/api/tickets", json=payload), 201)


def state_of(board: dict[str, Any], name: str) -> str:
    return str(next(a["state"] for a in board["agents"] if a["name"] == name))


async def test_board_is_for_supervisors_and_shows_agent_states(db_url: str) -> None:
    async with running(db_url, FakeClock()) as run:
        async with await run.login("ann") as ann:
            refused = await ann.get("/api/supervisor/board")
            assert refused.status == 403
            assert (await refused.json())["error"]["code"] == "forbidden"
        async with await run.login("sue") as sue:
            board = await body(await sue.get("/api/supervisor/board"))
            assert set(board) == {"calls", "agents", "queues", "tickets"}
            assert set(board["tickets"]) == {"overdue", "due_soon"}
            assert state_of(board, "ann") == "offline"  # no desk open
            async with run.ws("ann"), await run.login("ann") as ann:
                board = await body(await sue.get("/api/supervisor/board"))
                assert state_of(board, "ann") == "available"
                await body(await ann.put("/api/agents/me/status", json={"status": "away"}))
                board = await body(await sue.get("/api/supervisor/board"))
                assert state_of(board, "ann") == "away"


async def test_late_tickets_sorted_by_lateness_with_reassignment(db_url: str) -> None:
    clock = FakeClock()
    async with running(db_url, clock) as run, await run.login("sue") as sue:
        jane = await add_customer(run.daemon.engine, "Jane", "+15551234567")  # type: ignore[arg-type]
        # Service, normal: first response due after 8 h (due soon at 6 h 24 min).
        first = await new_ticket(sue, jane, subject="first", assignee_id=run.agents["ann"].id)
        clock.advance(1 * HOUR)
        second = await new_ticket(sue, jane, subject="second", assignee_id=run.agents["ann"].id)
        clock.advance(1 * HOUR)
        third = await new_ticket(sue, jane, subject="third", assignee_id=run.agents["ann"].id)
        clock.advance(7 * HOUR)  # first 9 h old, second 8 h, third 7 h
        await settle(run)
        board = await body(await sue.get("/api/supervisor/board"))
        overdue = board["tickets"]["overdue"]
        assert [t["id"] for t in overdue] == [first["id"], second["id"]]
        assert [t["late_seconds"] for t in overdue] == [3600, 0]
        assert overdue[0]["customer"]["name"] == "Jane" and overdue[0]["assignee"] == "ann"
        assert [t["id"] for t in board["tickets"]["due_soon"]] == [third["id"]]
        moved = await body(
            await sue.patch(
                f"/api/tickets/{first['id']}", json={"assignee_id": run.agents["bob"].id}
            )
        )
        assert moved["assignee_id"] == run.agents["bob"].id
        board = await body(await sue.get("/api/supervisor/board"))
        assert board["tickets"]["overdue"][0]["assignee"] == "bob"
        async with await run.login("ann") as ann:
            refused = await ann.patch(
                f"/api/tickets/{second['id']}", json={"assignee_id": run.agents["ann"].id}
            )
            assert refused.status == 403


async def step(
    client: aiohttp.ClientSession, ticket: int, status: int, **fields: Any
) -> dict[str, Any]:
    response = await client.post(f"/api/tickets/{ticket}/complaint-steps", json=fields)
    result: dict[str, Any] = await body(response, status)
    return result


async def test_complaint_moves_through_its_steps(db_url: str) -> None:
    clock = FakeClock()
    async with running(db_url, clock) as run, await run.login("ann") as ann:
        jane = await add_customer(run.daemon.engine, "Jane", "+15551234567")  # type: ignore[arg-type]
        complaint = await new_ticket(ann, jane, kind="complaint", subject="Rude driver")
        assert complaint["complaint_step"] == "received"
        cid = complaint["id"]
        skipped = await step(ann, cid, 409, step="cause_found")
        assert "next step is contained" in skipped["error"]["message"]
        assert (await step(ann, cid, 422, step="contained"))["error"]["field"] == "note"
        clock.advance(600)
        contained = await step(ann, cid, 200, step="contained", note="Apologised, refund agreed")
        assert contained["status"] == "in_progress"
        assert contained["responded_at"] == "2026-11-23T09:10:00.000Z"
        assert contained["sla"]["target"] == "resolution"
        bad = await step(
            ann,
            cid,
            422,
            step="cause_found",
            responsible_party="Courier",
            category="weather",
            root_cause="x",
        )
        assert bad["error"]["field"] == "category"
        async with await run.login("bob") as bob:
            assert (await bob.post(f"/api/tickets/{cid}/complaint-steps", json={})).status == 403
        async with await run.login("sue") as sue:
            clock.advance(600)
            await step(
                sue,
                cid,
                200,
                step="cause_found",
                responsible_party="Courier partner",
                category="staff_conduct",
                root_cause="Driver under time pressure",
            )
            lists = await body(await sue.get("/api/supervisor/complaints"))
            assert [t["id"] for t in lists["steps"]["cause_found"]] == [cid]
            assert "staff_conduct" in lists["categories"]
            await step(sue, cid, 422, step="action_verified")
            await step(
                sue, cid, 200, step="action_verified", corrective_action="Route times revised"
            )
            closed = await step(sue, cid, 200, step="closed")
            assert closed["status"] == "closed" and closed["sla"]["paused"] is False
            assert closed["responsible_party"] == "Courier partner"
            assert closed["category"] == "staff_conduct"
            steps = [h for h in closed["history"] if h["kind"] == "complaint_step"]
            assert [(h["data"]["step"], h["actor_id"], h["at"]) for h in steps] == [
                ("contained", run.agents["ann"].id, "2026-11-23T09:10:00.000Z"),
                ("cause_found", run.agents["sue"].id, "2026-11-23T09:20:00.000Z"),
                ("action_verified", run.agents["sue"].id, "2026-11-23T09:20:00.000Z"),
                ("closed", run.agents["sue"].id, "2026-11-23T09:20:00.000Z"),
            ]
            assert steps[0]["data"]["note"] == "Apologised, refund agreed"
            await step(sue, cid, 409, step="closed")
            lists = await body(await sue.get("/api/supervisor/complaints"))
            assert all(not items for items in lists["steps"].values())


async def test_assignment_rules_take_turns_inside_a_group(db_url: str) -> None:
    rules = (
        AssignmentRule("berlin", ("ann", "bob"), kinds=("complaint",), prefixes=("+4930",)),
        AssignmentRule("north", ("bob",), regions=("North",), channels=("web",)),
    )
    async with running(db_url, FakeClock(), assignment=rules) as run:
        engine = run.daemon.engine
        berlin = await add_customer(engine, "Hans", "+49 30 1234567")  # type: ignore[arg-type]
        north = await add_customer(engine, "Nora", "+15557654321", region="north")  # type: ignore[arg-type]
        async with await run.login("sue") as sue:
            turns = [
                (await new_ticket(sue, berlin, kind="complaint"))["assignee_id"] for _ in range(3)
            ]
            ids = run.agents
            assert turns == [ids["ann"].id, ids["bob"].id, ids["ann"].id]
            # A service request from Berlin matches no rule: the creator keeps it.
            assert (await new_ticket(sue, berlin))["assignee_id"] == ids["sue"].id
            web = await new_ticket(sue, north, channel="web")
            assert web["assignee_id"] == ids["bob"].id and web["channel"] == "web"
            assert (await new_ticket(sue, north, channel="phone"))["assignee_id"] == ids["sue"].id


async def test_board_page_and_reports_page_are_served(db_url: str) -> None:
    async with running(db_url, FakeClock()) as run, run.client() as anon:
        page = await anon.get("/board")
        assert page.status == 200 and "board.js" in await page.text()
        reports = await anon.get("/reports")
        assert reports.status == 200 and 'data-logged-in="no"' in await reports.text()


def test_every_supervisor_route_is_in_the_openapi_document() -> None:
    from cti_bridge.web.app import routes
    from cti_bridge.web.openapi import openapi_document
    from cti_bridge.web.supervisor_pages import supervisor_apps

    paths = openapi_document()["paths"]
    api_routes = [
        prefix + resource.canonical
        for prefix, app in supervisor_apps().items()
        if prefix.startswith("/api/")
        for resource in app.router.resources()
    ]
    api_routes += [r.path for r in routes() if "complaint-steps" in r.path]  # type: ignore[attr-defined]
    documented = [p.replace("{ticket_id}", r"{ticket_id:\d+}") for p in paths]
    assert len(api_routes) == 6 and all(path in documented for path in api_routes)
