"""Who may change a ticket (the assignee, supervisors and admins; anyone may take an
unassigned one) and how a complaint closes (only through its steps), over real HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from tests.clients import Running
from tests.store.helpers import add_customer
from tests.supervision.helpers import FakeClock, running


async def body(response: aiohttp.ClientResponse, status: int) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def new_ticket(client: aiohttp.ClientSession, customer: int, **fields: Any) -> Any:
    payload = {"customer_id": customer, "kind": "service", "subject": "Router", **fields}
    return await body(await client.post("/api/tickets", json=payload), 201)


async def jane(run: Running) -> int:
    return await add_customer(run.daemon.engine, "Jane", "+15551234567")  # type: ignore[arg-type]


async def test_only_the_assignee_or_a_supervisor_changes_a_ticket(db_url: str) -> None:
    async with running(db_url, FakeClock()) as run:
        customer = await jane(run)
        ids = run.agents
        async with await run.login("ann") as ann, await run.login("sue") as sue:
            bobs = await new_ticket(sue, customer, assignee_id=ids["bob"].id)
            refused = await body(
                await ann.patch(f"/api/tickets/{bobs['id']}", json={"subject": "Mine now"}), 403
            )
            assert refused["error"]["code"] == "forbidden"
            assert "assigned to another agent" in refused["error"]["message"]
            await body(
                await ann.patch(f"/api/tickets/{bobs['id']}", json={"status": "closed"}), 403
            )
            # The supervisor's complaint is not the agent's to close either.
            sues = await new_ticket(sue, customer, kind="complaint", assignee_id=ids["sue"].id)
            await body(
                await ann.patch(f"/api/tickets/{sues['id']}", json={"status": "closed"}), 403
            )
            unchanged = await body(await sue.get(f"/api/tickets/{bobs['id']}"), 200)
            assert (unchanged["subject"], unchanged["status"]) == ("Router", "open")
            assert [h["kind"] for h in unchanged["history"]] == ["created"]
            # The assignee, a supervisor and an admin may.
            async with await run.login("bob") as bob, await run.login("ada") as ada:
                url = f"/api/tickets/{bobs['id']}"
                await body(await bob.patch(url, json={"subject": "By bob"}), 200)
                await body(await sue.patch(url, json={"subject": "By sue"}), 200)
                done = await body(await ada.patch(url, json={"status": "resolved"}), 200)
                assert (done["subject"], done["status"]) == ("By sue", "resolved")
                assert done["assignee_id"] == ids["bob"].id


async def test_a_complaint_closes_only_through_its_steps(db_url: str) -> None:
    async with running(db_url, FakeClock()) as run:
        customer = await jane(run)
        async with await run.login("ann") as ann, await run.login("sue") as sue:
            complaint = await new_ticket(ann, customer, kind="complaint", subject="Cold soup")
            url = f"/api/tickets/{complaint['id']}"
            for who in (ann, sue):
                for status in ("closed", "resolved"):
                    refused = await body(await who.patch(url, json={"status": status}), 409)
                    message = refused["error"]["message"]
                    assert "complaint-steps" in message and "action_verified" in message
                    assert refused["error"]["field"] == "status"
            # Working it is still a plain change.
            working = await body(await ann.patch(url, json={"status": "in_progress"}), 200)
            assert working["status"] == "in_progress" and working["complaint_step"] == "received"
            # A service request still closes by PATCH.
            service = await new_ticket(ann, customer)
            closed = await body(
                await ann.patch(f"/api/tickets/{service['id']}", json={"status": "closed"}), 200
            )
            assert closed["status"] == "closed"


async def test_an_unassigned_ticket_is_taken_by_the_first_agent_who_works_it(
    db_url: str,
) -> None:
    async with running(db_url, FakeClock()) as run:
        customer = await jane(run)
        ids = run.agents
        async with (
            await run.login("ann") as ann,
            await run.login("bob") as bob,
            await run.login("sue") as sue,
        ):
            pool = await new_ticket(sue, customer)
            url = f"/api/tickets/{pool['id']}"
            unassigned = await body(await sue.patch(url, json={"assignee_id": None}), 200)
            assert unassigned["assignee_id"] is None
            # Both race for it: one takes it, the other is refused.
            answers = await asyncio.gather(
                ann.patch(url, json={"status": "in_progress"}),
                bob.patch(url, json={"status": "waiting_customer"}),
            )
            statuses = sorted(a.status for a in answers)
            assert statuses == [200, 403], statuses
            winner = ids["ann"].id if answers[0].status == 200 else ids["bob"].id
            taken = await body(await sue.get(url), 200)
            assert taken["assignee_id"] == winner
            kinds = [h["kind"] for h in taken["history"]]
            assert kinds.count("assignee_id_changed") == 2  # unassigned, then taken
            assert taken["history"][-1]["actor_id"] == winner


async def test_an_unassigned_complaint_is_taken_by_the_agent_who_moves_it(db_url: str) -> None:
    async with running(db_url, FakeClock()) as run:
        customer = await jane(run)
        ids = run.agents
        async with await run.login("bob") as bob, await run.login("sue") as sue:
            complaint = await new_ticket(sue, customer, kind="complaint")
            url = f"/api/tickets/{complaint['id']}"
            await body(await sue.patch(url, json={"assignee_id": None}), 200)
            steps = f"{url}/complaint-steps"
            # A step refused for what it lacks takes nothing.
            await body(await bob.post(steps, json={"step": "contained"}), 422)
            assert (await body(await sue.get(url), 200))["assignee_id"] is None
            moved = await body(
                await bob.post(steps, json={"step": "contained", "note": "Called back"}), 200
            )
            assert moved["assignee_id"] == ids["bob"].id
            assert moved["complaint_step"] == "contained"
            async with await run.login("ann") as ann:
                refused = await ann.post(steps, json={"step": "cause_found"})
                assert refused.status == 403
