"""The agent status log on SQLite and PostgreSQL: a row per status change, in the same
transaction as the agent's status, ``offline`` when the desk closes and the status again
when it opens; and the agent time the reports compute from the stored rows and legs.

Times are minutes after 10:00 on 22 November 2026; the period is 10:00-11:00, read at 11:30.

ann  09:50 available (before the period)          bob  10:00 away "training"
     10:05 call rang, answered 10:06, ended 10:16       10:30 desk closed (offline)
     10:16 wrap_up; 10:20 away "lunch"                  10:45 desk opened: away "training"
     10:50 available                                   -> training 30 + 15 = 45 min
  -> ready 5 + 10 = 15 min, ringing 1, talking 10,        (bob's status from before the
     wrap-up 4, lunch 30; occupancy 14 / 29 = 48.28 %     period is logged at 10:00)
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.core.agent_time import agent_time
from cti_bridge.store.accounts import Accounts, AgentRef
from cti_bridge.store.calllog import CallLog, CallStart, LegRecord
from cti_bridge.store.desk import DeskStore
from cti_bridge.store.models import AgentStatusLog, table
from cti_bridge.store.reports import ReportStore
from tests.store.helpers import NOW

MIN = timedelta(minutes=1)
log_rows = table(AgentStatusLog)


def at(minutes: int) -> datetime:
    return NOW + minutes * MIN


async def agent(engine: AsyncEngine, username: str, interface: str) -> AgentRef:
    ref, _ = await Accounts(engine).upsert_agent(
        username, password_hash="x", role="agent", interfaces=[interface]
    )
    return ref


async def logged(engine: AsyncEngine, agent_id: int) -> list[tuple[str, str, datetime]]:
    query = (
        select(log_rows.c.status, log_rows.c.reason, log_rows.c.started_at)
        .where(log_rows.c.agent_id == agent_id)
        .order_by(log_rows.c.started_at, log_rows.c.id)
    )
    async with engine.connect() as conn:
        return [(str(r.status), r.reason, r.started_at) for r in await conn.execute(query)]


async def seed(engine: AsyncEngine) -> tuple[AgentRef, AgentRef]:
    desk, calls = DeskStore(engine), CallLog(engine)
    ann = await agent(engine, "ann", "PJSIP/1001")
    bob = await agent(engine, "bob", "PJSIP/1002")
    await desk.set_status(ann.id, "available", "", at(-10))
    await desk.set_status(bob.id, "away", "training", at(0))
    call = "pbx1:1.1"
    await calls.start(CallStart(call, "inbound", "+15551234567", "", "", "support", None, at(5)))
    await calls.ended(
        call,
        at(16),
        600.0,
        "answered",
        [LegRecord(call, 1, ann.id, "PJSIP/1001", "offered", at(5), at(6), at(16), "ended")],
    )
    await desk.set_status(ann.id, "wrap_up", "", at(16))
    await desk.set_status(ann.id, "away", "lunch", at(20))
    await desk.log_presence(bob.id, False, at(30))
    await desk.log_presence(bob.id, True, at(45))
    await desk.set_status(ann.id, "available", "", at(50))
    return ann, bob


async def test_status_changes_and_presence_are_logged(engine: AsyncEngine) -> None:
    ann, bob = await seed(engine)
    assert await logged(engine, ann.id) == [
        ("available", "", at(-10)),
        ("wrap_up", "", at(16)),
        ("away", "lunch", at(20)),
        ("available", "", at(50)),
    ]
    assert await logged(engine, bob.id) == [
        ("away", "training", at(0)),
        ("offline", "", at(30)),
        ("away", "training", at(45)),
    ]
    assert await DeskStore(engine).status_and_reason(ann.id) == ("available", "")
    cyd = await agent(engine, "cyd", "PJSIP/1003")
    await DeskStore(engine).log_presence(cyd.id, True, at(1))  # never chose a status
    await DeskStore(engine).set_status(10_000, "available", "", at(1))  # no such agent
    assert await logged(engine, cyd.id) == []
    async with engine.connect() as conn:
        assert (
            await conn.execute(select(log_rows).where(log_rows.c.agent_id == 10_000))
        ).all() == []


async def test_agent_time_from_the_stored_rows(engine: AsyncEngine) -> None:
    ann, bob = await seed(engine)
    reports = ReportStore(engine)
    start, end = at(0), at(60)
    marks = await reports.status_marks(start, end)
    # ann's 09:50 row says where she stood at 10:00; nothing of before that is read.
    assert [(m.agent_id, m.status, m.at) for m in marks][:2] == [
        (ann.id, "available", at(-10)),
        (bob.id, "away", at(0)),
    ]
    spans = await reports.leg_spans(start, end)
    assert [(s.agent_id, s.offered_at, s.answered_at, s.ended_at) for s in spans] == [
        (ann.id, at(5), at(6), at(16))
    ]
    assert await reports.leg_spans(at(20), at(60)) == []
    rows = agent_time(
        marks, spans, start=start, end=end, now=at(90), agent_names=await reports.agent_names()
    )
    assert rows == [
        {"agent_id": ann.id, "label": "ann", "ready": 900.0, "ringing": 60.0, "talking": 600.0,
         "wrap_up": 240.0, "paused": 1800.0, "paused_by_reason": {"lunch": 1800.0},
         "occupancy": 48.28},
        {"agent_id": bob.id, "label": "bob", "ready": 0.0, "ringing": 0.0, "talking": 0.0,
         "wrap_up": 0.0, "paused": 2700.0, "paused_by_reason": {"training": 2700.0},
         "occupancy": None},
    ]  # fmt: skip
