"""Missed and abandoned calls: the list, the one claim per call, and called-back."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.store.accounts import Accounts
from cti_bridge.store.calllog import CallLog, CallStart
from cti_bridge.store.missed import MissedCalls
from tests.store.helpers import NOW, add_customer

SEC = timedelta(seconds=1)
JANE = "+15551234567"


def start(call_id: str, number: str = JANE, at: int = 0, customer: int | None = None) -> CallStart:
    return CallStart(
        call_id, "inbound", number, "Jane", "+18005550100", "support", customer, NOW + at * SEC
    )


async def two_agents(engine: AsyncEngine) -> tuple[int, int]:
    accounts = Accounts(engine)
    ann, _ = await accounts.upsert_agent("ann", password_hash="x", role="agent", interfaces=())
    bob, _ = await accounts.upsert_agent("bob", password_hash="x", role="agent", interfaces=())
    return ann.id, bob.id


async def test_lists_missed_and_abandoned_newest_first_with_the_customer(
    engine: AsyncEngine,
) -> None:
    jane = await add_customer(engine, "Jane Doe", JANE)
    log = CallLog(engine)
    await log.start(start("pbx:1.1", customer=jane))
    await log.ended("pbx:1.1", NOW + 20 * SEC, None, "missed")
    await log.abandoned(start("pbx:2.2", "+15550000002", at=60), NOW + 90 * SEC)
    await log.start(start("pbx:3.3", "+15550000003", at=120))
    await log.answered("pbx:3.3", None, NOW + 125 * SEC, 5.0)
    await log.ended("pbx:3.3", NOW + 200 * SEC, 75.0, "answered")
    missed = MissedCalls(engine)
    listed = [m.as_json() for m in await missed.recent(since=None, before=None, limit=10)]
    assert [(m["call_id"], m["outcome"]) for m in listed] == [
        ("pbx:2.2", "abandoned"),
        ("pbx:1.1", "missed"),
    ]
    assert listed[0]["waited_seconds"] == 30.0
    assert listed[1]["customer"] == {"id": jane, "name": "Jane Doe"}
    assert not any(m["called_back"] or m["claimed_by"] for m in listed)
    page = await missed.recent(since=None, before=listed[0]["id"], limit=1)
    assert [m.call_id for m in page] == ["pbx:1.1"]
    recent = await missed.recent(since=NOW + 30 * SEC, before=None, limit=10)
    assert [m.call_id for m in recent] == ["pbx:2.2"]


async def test_first_claim_wins_and_the_same_agent_may_claim_again(engine: AsyncEngine) -> None:
    ann, bob = await two_agents(engine)
    log = CallLog(engine)
    await log.abandoned(start("pbx:1.1"), NOW + 30 * SEC)
    missed = MissedCalls(engine)
    [call] = await missed.recent(since=None, before=None, limit=10)
    results = await asyncio.gather(
        missed.claim(call, ann, NOW + 60 * SEC), missed.claim(call, bob, NOW + 60 * SEC)
    )
    assert results[0].claimed_by == results[1].claimed_by in (ann, bob)
    winner = results[0].claimed_by
    assert winner is not None
    again = await missed.claim(call, winner, NOW + 70 * SEC)
    assert (again.claimed_by, again.claimed_at) == (winner, NOW + 60 * SEC)
    await missed.called(call.call_id, NOW + 61 * SEC)
    done = await missed.get(call.id)
    assert done is not None and done.as_json()["called_back_at"] == "2026-11-22T10:01:01.000Z"


async def test_a_released_claim_can_be_taken_by_another(engine: AsyncEngine) -> None:
    ann, bob = await two_agents(engine)
    await CallLog(engine).abandoned(start("pbx:1.1"), NOW + 30 * SEC)
    missed = MissedCalls(engine)
    [call] = await missed.recent(since=None, before=None, limit=10)
    await missed.claim(call, ann, NOW)
    await missed.release(call.call_id, ann)
    assert (await missed.claim(call, bob, NOW)).claimed_by == bob


async def test_a_later_answered_call_with_the_number_marks_it_called_back(
    engine: AsyncEngine,
) -> None:
    log = CallLog(engine)
    await log.abandoned(start("pbx:1.1"), NOW + 30 * SEC)
    outbound = CallStart("pbx:2.2", "outbound", "1001", "Ann", JANE, None, None, NOW + 300 * SEC)
    await log.start(outbound)
    await log.answered("pbx:2.2", None, NOW + 310 * SEC, 10.0)
    [call] = await MissedCalls(engine).recent(since=None, before=None, limit=10)
    shown = call.as_json()
    assert (shown["called_back"], shown["called_back_at"]) == (True, "2026-11-22T10:05:00.000Z")
    assert shown["claimed_by"] is None
