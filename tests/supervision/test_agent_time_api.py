"""Agent time through the web API on a daemon with a controllable clock (SQLite and
PostgreSQL): the statuses ann chooses in her desk, her desk closing, and a call leg in the
call log become ``agent_time`` in the figures and the agent-time CSV.

09:00 ann opens her desk and chooses available
09:04:30 a call rings, answered 09:05, ended 09:08 (call log)
09:10 away "lunch"; 09:30 available; 09:35 her desk closes; 09:45 it opens again (she is
logged available again); read at 09:50
  -> ready 270 + 120 + 300 + 300 = 990, ringing 30, talking 180, lunch 1200, the 10 minutes
     with the desk closed not counted; occupancy 180 / (180 + 990) = 15.38 %
bob (named "=1+2" by an admin) is paused from the phone with the reason "=cmd" at 09:00:
  -> paused 3000.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from typing import Any

import aiohttp
from sqlalchemy import select, update

from cti_bridge.app import Daemon
from cti_bridge.store.calllog import CallStart, LegRecord
from cti_bridge.store.models import Agent, AgentStatusLog, table
from tests.clients import Running
from tests.patience import PATIENCE, until
from tests.supervision.helpers import T0, FakeClock, running

DAY = "?from=2026-11-23&to=2026-11-23"


async def body(response: aiohttp.ClientResponse, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, UTC)


async def logged(daemon: Daemon, agent_id: int) -> list[str]:
    log = table(AgentStatusLog)
    query = select(log.c.status).where(log.c.agent_id == agent_id).order_by(log.c.id)
    async with daemon.engine.connect() as conn:
        return [str(status) for status in (await conn.execute(query)).scalars()]


async def until_logged(daemon: Daemon, agent_id: int, statuses: list[str]) -> None:
    """Wait until the agent's log holds ``statuses`` (the desk's writes are in the
    background)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while await logged(daemon, agent_id) != statuses:
        assert loop.time() < deadline, await logged(daemon, agent_id)
        await asyncio.sleep(0.05)


async def answered_call(run: Running, agent_id: int) -> None:
    calls, call = run.daemon.calllog, "pbx1:1.1"
    await calls.start(CallStart(call, "inbound", "+15551234567", "", "", "support", None, at(270)))
    leg = LegRecord(call, 1, agent_id, "PJSIP/1001", "offered", at(270), at(300), at(480), "ended")
    await calls.ended(call, at(480), 180.0, "answered", [leg])


async def ann_works(run: Running, clock: FakeClock) -> None:
    ann_id = run.agents["ann"].id
    async with await run.login("ann") as ann:
        async with run.ws("ann"):
            status = "/api/agents/me/status"
            assert (await ann.put(status, json={"status": "available"})).status == 200
            clock.advance(600)
            assert (await ann.put(status, json={"status": "away", "reason": "lunch"})).status == 200
            clock.advance(1200)
            assert (await ann.put(status, json={"status": "available"})).status == 200
            clock.advance(300)
        hub = run.daemon.web_parts.hub
        await until(lambda: not hub.connected(ann_id))
        chosen = ["available", "away", "available"]
        await until_logged(run.daemon, ann_id, [*chosen, "offline"])
        await answered_call(run, ann_id)
        clock.advance(600)
        async with run.ws("ann"):
            await until_logged(run.daemon, ann_id, [*chosen, "offline", "available"])
            clock.advance(300)


async def test_agent_time_in_the_figures_and_its_csv(db_url: str) -> None:
    clock = FakeClock()
    async with running(db_url, clock) as run:
        bob = run.agents["bob"].id
        async with run.daemon.engine.begin() as conn:
            await conn.execute(
                update(table(Agent)).where(Agent.id == bob).values(display_name="=1+2")
            )
        await run.daemon.desk.set_status(bob, "away", "=cmd", at(0))
        await ann_works(run, clock)
        async with await run.login("sue") as sue, await run.login("ann") as ann:
            figures = await body(await sue.get("/api/reports/figures" + DAY))
            response = await sue.get("/api/reports/agent-time.csv" + DAY)
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/csv")
            assert "agent-time-2026-11-23-2026-11-23.csv" in response.headers["Content-Disposition"]
            text = await response.text()
            await body(await ann.get("/api/reports/agent-time.csv" + DAY), 403)
            await body(
                await sue.get("/api/reports/agent-time.csv?from=2026-11-24&to=2026-11-23"), 400
            )
    rows = {r["label"]: r for r in figures["agent_time"]}
    assert rows["ann"] == {
        "agent_id": run.agents["ann"].id, "label": "ann", "ready": 990.0, "ringing": 30.0,
        "talking": 180.0, "wrap_up": 0.0, "paused": 1200.0, "paused_by_reason": {"lunch": 1200.0},
        "occupancy": 15.38,
    }  # fmt: skip
    assert rows["=1+2"]["paused_by_reason"] == {"=cmd": 3000.0}
    assert set(rows) == {"ann", "=1+2"}
    table_rows = list(csv.reader(io.StringIO(text)))
    assert table_rows[0] == [
        "agent_id", "agent", "ready", "ringing", "talking", "wrap_up", "paused", "occupancy",
        "paused:=cmd", "paused:lunch",
    ]  # fmt: skip
    by_agent = {r[1]: r for r in table_rows[1:]}
    ann_cells = ["990.0", "30.0", "180.0", "0.0", "1200.0", "15.38", "0.0", "1200.0"]
    assert by_agent["ann"][2:] == ann_cells
    assert "'=1+2" in by_agent  # a name that starts like a formula is written as text
    assert by_agent["'=1+2"][6:8] == ["3000.0", ""]


async def test_the_period_is_cut_at_local_midnight(db_url: str) -> None:
    """A status begun the day before counts from the period's first midnight."""
    clock = FakeClock(T0 + 3600)
    async with running(db_url, clock) as run, await run.login("sue") as sue:
        ann = run.agents["ann"].id
        await run.daemon.desk.set_status(ann, "available", "", at(-86_400))
        figures = await body(await sue.get("/api/reports/figures" + DAY))
        yesterday = await body(await sue.get("/api/reports/figures?from=2026-11-22&to=2026-11-22"))
    # 23 Nov from 00:00 to "now", 10:00 (10 h); 22 Nov from 09:00 to midnight (15 h).
    assert [(r["label"], r["ready"]) for r in figures["agent_time"]] == [("ann", 36_000.0)]
    assert [(r["label"], r["ready"]) for r in yesterday["agent_time"]] == [("ann", 54_000.0)]
