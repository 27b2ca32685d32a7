"""write_once and the three stores built on it, on real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.store.accounts import Accounts
from cti_bridge.store.calllog import CallLog, CallStart
from cti_bridge.store.desk import DeskStore
from cti_bridge.store.idempotent import write_once
from cti_bridge.store.models import CustomerNote, Disposition, Ticket, table
from cti_bridge.store.tickets import NewTicket, TicketStore
from tests.store.helpers import NOW, add_customer

notes = table(CustomerNote)


class Notes:
    """A bare find/write pair on the notes table, counting the calls write_once makes."""

    def __init__(self, engine: AsyncEngine, customer_id: int) -> None:
        self.engine = engine
        self.customer_id = customer_id
        self.finds = 0
        self.writes = 0
        self.stale_finds = 0  # this many finds miss, as a read taken before a racer committed

    async def find(self, request_id: str) -> int | None:
        self.finds += 1
        if self.stale_finds:
            self.stale_finds -= 1
            return None
        async with self.engine.connect() as conn:
            found = await conn.scalar(select(notes.c.id).where(notes.c.request_id == request_id))
        return None if found is None else int(found)

    async def write(self, request_id: str | None, customer_id: int | None = None) -> int:
        self.writes += 1
        values = {
            "request_id": request_id,
            "customer_id": customer_id or self.customer_id,
            "text": "hello",
            "created_at": NOW,
        }
        async with self.engine.begin() as conn:
            result = await conn.execute(insert(notes).values(**values))
        return int(result.inserted_primary_key[0])  # type: ignore[index]


async def count(engine: AsyncEngine, model: type) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_first_request_writes_and_a_repeat_reads(engine: AsyncEngine) -> None:
    pad = Notes(engine, await add_customer(engine, "Jane", "+15551234567"))
    first = await write_once("r-1", find=pad.find, write=lambda: pad.write("r-1"))
    again = await write_once("r-1", find=pad.find, write=lambda: pad.write("r-1"))
    assert first[1] and again == (first[0], False)
    assert pad.writes == 1 and await count(engine, CustomerNote) == 1


async def test_a_racer_that_lost_the_insert_reports_the_winner(engine: AsyncEngine) -> None:
    pad = Notes(engine, await add_customer(engine, "Jane", "+15551234567"))
    winner, _ = await write_once("r-1", find=pad.find, write=lambda: pad.write("r-1"))
    pad.stale_finds = 1  # the loser checked before the winner committed
    loser = await write_once("r-1", find=pad.find, write=lambda: pad.write("r-1"))
    assert loser == (winner, False)
    assert pad.writes == 2 and await count(engine, CustomerNote) == 1


async def test_an_integrity_error_without_a_row_is_raised(engine: AsyncEngine) -> None:
    pad = Notes(engine, await add_customer(engine, "Jane", "+15551234567"))
    with pytest.raises(IntegrityError):
        await write_once("r-1", find=pad.find, write=lambda: pad.write("r-1", customer_id=404))
    assert await count(engine, CustomerNote) == 0


@pytest.mark.parametrize("request_id", [None, ""])
async def test_without_a_request_id_every_call_writes(
    engine: AsyncEngine, request_id: str | None
) -> None:
    pad = Notes(engine, await add_customer(engine, "Jane", "+15551234567"))
    first = await write_once(request_id, find=pad.find, write=lambda: pad.write(None))
    second = await write_once(request_id, find=pad.find, write=lambda: pad.write(None))
    assert first[1] and second[1] and first[0] != second[0]
    assert pad.finds == 0 and await count(engine, CustomerNote) == 2


async def test_concurrent_dispositions_write_one_row(engine: AsyncEngine) -> None:
    cid = await add_customer(engine, "Jane", "+15551234567")
    log = CallLog(engine)
    await log.start(CallStart("pbx1:1.1", "inbound", "+15551234567", "", "100", None, cid, NOW))
    results = await asyncio.gather(
        *(
            log.add_disposition(
                request_id="req-1",
                call_id="pbx1:1.1",
                agent_id=None,
                customer_id=cid,
                code="resolved",
                notes="ok",
                at=NOW,
            )
            for _ in range(3)
        )
    )
    assert sorted(created for _, created in results) == [False, False, True]
    assert len({record for record, _ in results}) == 1
    assert await count(engine, Disposition) == 1


async def test_concurrent_notes_write_one_row(engine: AsyncEngine) -> None:
    cid = await add_customer(engine, "Jane", "+15551234567")
    ann, _ = await Accounts(engine).upsert_agent(
        "ann", password_hash="x", role="agent", interfaces=["PJSIP/1001"]
    )
    desk = DeskStore(engine)
    results = await asyncio.gather(
        *(
            desk.add_note(cid, "hi", agent_id=ann.id, call_id=None, request_id="n-1", at=NOW)
            for _ in range(3)
        )
    )
    assert sorted(created for _, created in results) == [False, False, True]
    assert len({record for record, _ in results}) == 1
    assert await count(engine, CustomerNote) == 1


async def test_concurrent_tickets_write_one_row(engine: AsyncEngine) -> None:
    cid = await add_customer(engine, "Jane", "+15551234567")
    store = TicketStore(engine)
    later = NOW + timedelta(seconds=1)
    new = NewTicket(cid, "service", "Router", request_id="t-1")
    results = await asyncio.gather(
        *(store.create(new, actor_id=None, now=t) for t in (NOW, later, later))
    )
    assert sorted(created for _, created in results) == [False, False, True]
    assert len({ticket["id"] for ticket, _ in results}) == 1
    assert await count(engine, Ticket) == 1
