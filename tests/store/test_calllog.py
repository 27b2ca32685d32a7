"""The call log: one row per call, idempotent dispositions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.store.calllog import CallLog, CallStart
from cti_bridge.store.models import Disposition, Interaction
from tests.store.helpers import NOW, add_customer

SEC = timedelta(seconds=1)


def start(call_id: str = "pbx1:1.1", customer_id: int | None = None) -> CallStart:
    return CallStart(
        call_id, "inbound", "+15551234567", "Jane", "+18005550100", "support", customer_id, NOW
    )


async def rows(engine: AsyncEngine) -> list[Interaction]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(Interaction.__table__))).all())  # type: ignore[arg-type]


async def test_answered_call_is_one_row_with_times(engine: AsyncEngine) -> None:
    log = CallLog(engine)
    await log.start(start())
    await log.start(start())  # a replay or resync: still one row
    await log.answered("pbx1:1.1", None, NOW + 8 * SEC, 8.0)
    await log.answered("pbx1:1.1", None, NOW + 9 * SEC, 9.0)  # a second answer keeps the first
    await log.ended("pbx1:1.1", NOW + 68 * SEC, 60.0, "answered")
    [row] = await rows(engine)
    assert (row.outcome, row.wait_seconds, row.talk_seconds) == ("answered", 8.0, 60.0)
    assert row.answered_at == NOW + 8 * SEC
    assert row.ended_at == NOW + 68 * SEC
    assert row.queue == "support"


async def test_abandoned_without_any_ring(engine: AsyncEngine) -> None:
    await CallLog(engine).abandoned(start("pbx1:2.2"), NOW + 30 * SEC)
    [row] = await rows(engine)
    assert (row.call_id, row.outcome, row.wait_seconds) == ("pbx1:2.2", "abandoned", 30.0)


async def test_disposition_is_written_once_per_request_id(engine: AsyncEngine) -> None:
    cid = await add_customer(engine, "Jane", "+15551234567")
    log = CallLog(engine)
    await log.start(start())
    first, created = await log.add_disposition(
        request_id="req-1",
        call_id="pbx1:1.1",
        agent_id=None,
        customer_id=cid,
        code="resolved",
        notes="all good",
        at=NOW,
    )
    again, created_again = await log.add_disposition(
        request_id="req-1",
        call_id="pbx1:1.1",
        agent_id=None,
        customer_id=cid,
        code="resolved",
        notes="all good",
        at=NOW + SEC,
    )
    assert created and not created_again
    assert again == first
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(Disposition)) == 1
    [row] = await rows(engine)
    assert (row.disposition_code, row.notes, row.customer_id) == ("resolved", "all good", cid)


async def test_disposition_for_a_missing_customer_is_refused(engine: AsyncEngine) -> None:
    log = CallLog(engine)
    await log.start(start())
    with pytest.raises(IntegrityError):
        await log.add_disposition(
            request_id="r",
            call_id="pbx1:1.1",
            agent_id=None,
            customer_id=999,
            code="info",
            notes="",
            at=NOW,
        )
    assert await log.disposition("r") is None
