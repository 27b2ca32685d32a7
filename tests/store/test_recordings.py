"""A call's recording in the call log: written with the row or after it, read with who
handled the call, listed in the customer's timeline. On SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.store.accounts import Accounts
from cti_bridge.store.calllog import CallLog, CallStart, LegRecord
from cti_bridge.store.desk import DeskStore
from tests.store.helpers import NOW, add_customer

SEC = timedelta(seconds=1)


def start(call_id: str, customer_id: int | None = None) -> CallStart:
    return CallStart(
        call_id, "inbound", "+15551234567", "Jane", "+18005550100", "support", customer_id, NOW
    )


async def agent(engine: AsyncEngine, username: str) -> int:
    found, _ = await Accounts(engine).upsert_agent(
        username, password_hash="x", role="agent", interfaces=[f"PJSIP/{username}"]
    )
    return found.id


async def test_the_recording_is_written_with_the_row_or_after_it(engine: AsyncEngine) -> None:
    log = CallLog(engine)
    await log.start(replace(start("pbx1:1.1"), recording="1.1.wav"))
    await log.start(start("pbx1:2.2"))
    assert await log.recording_of("pbx1:1.1", 1) == ("1.1.wav", False)
    assert await log.recording_of("pbx1:2.2", 1) == (None, False)
    await log.set_recording("pbx1:2.2", "2.2.wav")
    assert await log.recording_of("pbx1:2.2", 1) == ("2.2.wav", False)
    assert await log.recording_of("pbx1:3.3", 1) is None  # no such call


async def test_who_handled_the_call_the_answering_agent_or_a_leg(engine: AsyncEngine) -> None:
    log = CallLog(engine)
    ann, bob, sue = [await agent(engine, name) for name in ("ann", "bob", "sue")]
    await log.start(replace(start("pbx1:1.1"), recording="1.1.wav"))
    await log.answered("pbx1:1.1", ann, NOW + 5 * SEC, 5.0)
    # While the call lasts its legs are not written: the row's agent is who took it.
    assert await log.recording_of("pbx1:1.1", ann) == ("1.1.wav", True)
    assert await log.recording_of("pbx1:1.1", bob) == ("1.1.wav", False)
    missed = LegRecord("pbx1:1.1", 1, bob, "PJSIP/bob", "offered", NOW, None, NOW, "missed")
    taken = LegRecord("pbx1:1.1", 2, ann, "PJSIP/ann", "offered", NOW, NOW, NOW, "ended")
    await log.ended("pbx1:1.1", NOW + 60 * SEC, 55.0, "answered", [missed, taken])
    assert await log.recording_of("pbx1:1.1", bob) == ("1.1.wav", True)  # it rang for Bob
    assert await log.recording_of("pbx1:1.1", sue) == ("1.1.wav", False)


async def test_the_timeline_lists_the_recording_of_each_call(engine: AsyncEngine) -> None:
    jane = await add_customer(engine, "Jane Doe", "+15551234567")
    log = CallLog(engine)
    await log.start(replace(start("pbx1:1.1", jane), recording="1.1.wav"))
    await log.start(replace(start("pbx1:2.2", jane), offered_at=NOW + SEC))
    items = await DeskStore(engine).timeline(jane)
    assert [(i["call_id"], i["recording"]) for i in items] == [
        ("pbx1:2.2", None),
        ("pbx1:1.1", "1.1.wav"),
    ]
