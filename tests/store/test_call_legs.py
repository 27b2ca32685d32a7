"""Agent legs of a call and the notes a transfer target inherits (warm hand-off)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.store.accounts import Accounts
from cti_bridge.store.calllog import CallLog, CallStart, LegRecord
from cti_bridge.store.models import Interaction
from tests.store.helpers import NOW

SEC = timedelta(seconds=1)
CALL = "pbx1:1.1"


def start() -> CallStart:
    return CallStart(CALL, "inbound", "+15551234567", "Jane", "+18005550100", "support", None, NOW)


def leg(
    n: int, iface: str, kind: str, outcome: str, *times: int, reason: str | None = None
) -> LegRecord:
    offered, answered, ended = (NOW + t * SEC if t >= 0 else None for t in times)
    assert offered is not None
    return LegRecord(CALL, n, None, iface, kind, offered, answered, ended, outcome, reason)


async def test_a_transferred_call_is_one_row_with_two_legs(engine: AsyncEngine) -> None:
    log = CallLog(engine)
    await log.start(start())
    legs = [
        leg(1, "PJSIP/1001", "offered", "transferred_away", 0, 2, 30),
        leg(2, "PJSIP/1002", "transfer", "ended", 31, 33, 90),
    ]
    await log.ended(CALL, NOW + 90 * SEC, 88.0, "answered", legs)
    await log.ended(CALL, NOW + 90 * SEC, 88.0, "answered", legs)  # a replay: no new legs
    assert await log.legs(CALL) == legs
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(Interaction)) == 1


async def test_an_abandoned_call_keeps_its_missed_legs(engine: AsyncEngine) -> None:
    log = CallLog(engine)
    missed = [
        leg(n, f"PJSIP/100{n}", "offered", "missed", 0, -1, 9, reason="caller_hangup")
        for n in (1, 2, 3)
    ]
    await log.abandoned(start(), NOW + 9 * SEC, missed)  # nobody answered: no row yet
    assert await log.legs(CALL) == missed


async def test_legs_need_their_call(engine: AsyncEngine) -> None:
    log = CallLog(engine)
    with pytest.raises(IntegrityError):
        await log.ended(
            "pbx1:9.9", NOW, 1.0, "answered", [leg(1, "PJSIP/1001", "offered", "ended", 0, 1, 2)]
        )


async def test_notes_so_far_name_their_agents_oldest_first(engine: AsyncEngine) -> None:
    ann, _ = await Accounts(engine).upsert_agent(
        "ann", password_hash="x", role="agent", interfaces=["PJSIP/1001"], display_name="Ann Lee"
    )
    log = CallLog(engine)
    await log.start(start())
    for n, (code, text) in enumerate([("follow_up", "router broken"), ("info", "")]):
        await log.add_disposition(
            request_id=f"r{n}",
            call_id=CALL,
            agent_id=ann.id if n == 0 else None,
            customer_id=None,
            code=code,
            notes=text,
            at=NOW + n * SEC,
        )
    notes = await log.notes_so_far(CALL)
    assert [(n.agent, n.at, n.code, n.text) for n in notes] == [
        ("Ann Lee", NOW, "follow_up", "router broken"),
        ("", NOW + SEC, "info", ""),
    ]
    assert await log.notes_so_far("pbx1:other") == []
