"""Only an agent who was offered or took a call (or a supervisor) logs its disposition:
while the call is live (the call service's facts) and after it ended (its legs in the
database)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
from sqlalchemy import select

from cti_bridge.store.calllog import CallStart, LegRecord
from cti_bridge.store.models import Disposition, Interaction
from tests.clients import Running
from tests.store.helpers import NOW, add_customer
from tests.web.test_websocket import offer


async def body(response: aiohttp.ClientResponse, status: int) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def interaction(running: Running, call_id: str) -> tuple[int | None, str | None]:
    async with running.daemon.engine.connect() as conn:  # type: ignore[union-attr]
        row = (
            await conn.execute(
                select(Interaction.customer_id, Interaction.disposition_code).where(
                    Interaction.call_id == call_id
                )
            )
        ).one()
    return row[0], row[1]


async def dispositions_by(running: Running) -> list[int | None]:
    async with running.daemon.engine.connect() as conn:  # type: ignore[union-attr]
        return list((await conn.execute(select(Disposition.agent_id))).scalars())


async def test_a_finished_call_takes_dispositions_from_its_agents_only(running: Running) -> None:
    daemon, ids = running.daemon, running.agents
    jane = await add_customer(daemon.engine, "Jane", "+15551234567")  # type: ignore[arg-type]
    other = await add_customer(daemon.engine, "Other", "+15559876543")  # type: ignore[arg-type]
    call = "pbx1:5.1"
    await daemon.calllog.start(CallStart(call, "inbound", "+15551234567", "", "", None, jane, NOW))
    end = NOW + timedelta(minutes=3)
    leg = LegRecord(call, 1, ids["ann"].id, "PJSIP/1001", "offered", NOW, NOW, end, "ended")
    await daemon.calllog.ended(call, end, 180.0, "answered", [leg])
    url = f"/api/calls/{call}/disposition"
    async with await running.login("bob") as bob:
        refused = await body(await bob.post(url, json={"code": "info", "customer_id": other}), 403)
        assert refused["error"]["code"] == "forbidden"
        assert "offered to or who took it" in refused["error"]["message"]
        await body(await bob.post("/api/calls/pbx1:nope/disposition", json={"code": "info"}), 404)
    assert await interaction(running, call) == (jane, None)  # the customer stays
    assert await dispositions_by(running) == []
    async with await running.login("ann") as ann, await running.login("sue") as sue:
        await body(await ann.post(url, json={"code": "resolved"}), 201)
        await body(await sue.post(url, json={"code": "info", "customer_id": jane}), 201)
    assert sorted(await dispositions_by(running)) == sorted([ids["ann"].id, ids["sue"].id])


async def test_a_live_call_takes_dispositions_from_the_agents_it_rang(running: Running) -> None:
    daemon, ids = running.daemon, running.agents
    jane = await add_customer(daemon.engine, "Jane", "+15551234567")  # type: ignore[arg-type]
    other = await add_customer(daemon.engine, "Other", "+15559876543")  # type: ignore[arg-type]
    call = "pbx1:5.2"
    daemon.calls.handle(offer(call, "PJSIP/1001"))  # ringing at ann's phone, not bob's
    await daemon.calls.flush(call)
    assert daemon.calls.knows(call)
    url = f"/api/calls/{call}/disposition"
    async with await running.login("bob") as bob:
        await body(await bob.post(url, json={"code": "info", "customer_id": other}), 403)
    assert await interaction(running, call) == (jane, None)
    async with await running.login("ann") as ann:
        done = await body(await ann.post(url, json={"code": "resolved"}), 201)
        assert done["agent_id"] == ids["ann"].id
    assert await dispositions_by(running) == [ids["ann"].id]
