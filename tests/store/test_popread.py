"""The pop's one-statement reads (raw asyncpg on PostgreSQL, a plain sqlite3 connection on
SQLite) build exactly the record the Core path builds, with a customer that has everything:
phones, open and closed tickets with assignees, complaints, and more history than a pop
shows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.core.phones import normalize_caller
from cti_bridge.passwords import hash_password
from cti_bridge.store.accounts import Accounts
from cti_bridge.store.calllog import CallLog, CallStart
from cti_bridge.store.directory import CustomerDirectory
from cti_bridge.store.popread import PostgresPopReader
from cti_bridge.store.popread_sqlite import SqlitePopReader
from cti_bridge.store.tickets import NewTicket, TicketStore
from tests.store.helpers import NOW, add_customer

Reader = PostgresPopReader | SqlitePopReader


@pytest.fixture
async def reader(engine: AsyncEngine, db_url: str) -> AsyncIterator[Reader]:
    fast: Reader
    if engine.dialect.name == "sqlite":
        fast = SqlitePopReader(engine, db_url)
    else:
        fast = PostgresPopReader(engine, db_url)
    yield fast
    await fast.close()


async def test_raw_read_equals_the_core_read(engine: AsyncEngine, reader: Reader) -> None:
    agent, _ = await Accounts(engine).upsert_agent(
        "ann", password_hash=hash_password("correct-horse"), role="agent", interfaces=["PJSIP/1001"]
    )
    jane = await add_customer(
        engine, "Jane 张", "+1 555 123 4567", "+1 555 765 4321", grade="A", vip=True,
        birthday=date(1980, 11, 22), notes="prefers mornings",
    )  # fmt: skip
    store = TicketStore(engine)
    for i, kind in enumerate(("complaint", "service", "inquiry", "complaint")):
        await store.create(
            NewTicket(jane, kind, f"subject {i}", assignee_id=agent.id if i % 2 else None),
            actor_id=agent.id,
            now=NOW - timedelta(days=i * 40),
        )
    log = CallLog(engine)
    for i in range(13):
        await log.start(
            CallStart(f"pbx1:{i}", "inbound", "+15551234567", "", "", "support", jane,
                      NOW - timedelta(hours=13 - i))
        )  # fmt: skip
    await log.answered("pbx1:12", agent.id, NOW, 3.0)
    await log.set_recording("pbx1:10", "10.wav")
    core = CustomerDirectory(engine)
    for raw, exclude in (
        ("(555) 123-4567", "pbx1:11"),
        ("5557654321", None),
        ("+15551234567", "x"),
    ):
        number = normalize_caller(raw, "US")
        expected = await core.find_by_caller(number, NOW, exclude_call=exclude)
        got = await reader.find_by_caller(number, NOW, exclude_call=exclude)
        assert expected.customer is not None
        assert got == expected
        recorded = [i for i in expected.customer.recent_interactions if i.recording]
        assert [i.call_id for i in recorded] == ["pbx1:10"]
    # A call logged after the reader's first read is in its next one.
    await log.start(CallStart("pbx1:new", "inbound", "+15551234567", "", "", "", jane, NOW))
    latest = await reader.find_by_caller(normalize_caller("+15551234567", "US"), NOW)
    assert latest.customer is not None
    assert latest.customer.recent_interactions[0].call_id == "pbx1:new"


async def test_unknown_withheld_and_several_candidates(engine: AsyncEngine, reader: Reader) -> None:
    a = await add_customer(engine, "A", "+44 20 7946 0001")
    b = await add_customer(engine, "B", "+1 207 946 0001")  # same last 9 digits
    core = CustomerDirectory(engine)
    for raw in ("+15550000000", "anonymous", "207 946 0001", "0001"):
        number = normalize_caller(raw, "US")
        assert await reader.find_by_caller(number, NOW) == await core.find_by_caller(number, NOW)
    shared = normalize_caller("079460001", "US")  # no country: the last 9 digits
    both = await reader.find_by_caller(shared, NOW)
    assert both == await core.find_by_caller(shared, NOW)
    assert {c.id for c in both.candidates} == {a, b}
