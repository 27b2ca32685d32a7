"""Caller lookups against real databases: exact E.164, match key, candidates, history."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.core.phones import normalize_caller
from cti_bridge.store.calllog import CallLog, CallStart
from cti_bridge.store.directory import CustomerDirectory
from cti_bridge.store.tickets import NewTicket, TicketStore
from tests.store.helpers import NOW, add_customer


def caller(raw: str, region: str = "US") -> object:
    return normalize_caller(raw, region)


async def test_exact_number_finds_the_customer_with_history(engine: AsyncEngine) -> None:
    jane = await add_customer(
        engine, "Jane Doe", "+1 555 123 4567", grade="A", vip=True, birthday=date(1980, 11, 22)
    )
    await add_customer(engine, "Other", "+1 555 999 0000")
    log = CallLog(engine)
    for i in range(12):
        call_id = f"pbx1:{i}"
        await log.start(
            CallStart(
                call_id,
                "inbound",
                "+15551234567",
                "",
                "",
                "support",
                jane,
                NOW - timedelta(days=12 - i),
            )
        )
    await log.add_disposition(
        request_id="r1",
        call_id="pbx1:11",
        agent_id=None,
        customer_id=None,
        code="resolved",
        notes="fixed",
        at=NOW,
    )
    match = await CustomerDirectory(engine).find_by_caller(
        normalize_caller("(555) 123-4567", "US"), NOW, exclude_call="pbx1:10"
    )
    record = match.customer
    assert record is not None and record.id == jane
    assert record.phones == ("+15551234567",)
    history = record.recent_interactions
    assert len(history) == 10
    assert history[0].call_id == "pbx1:11"  # newest first
    assert (history[0].code, history[0].notes) == ("resolved", "fixed")
    assert "pbx1:10" not in [h.call_id for h in history]  # the call being popped


async def test_suffix_match_when_the_prefix_is_missing(engine: AsyncEngine) -> None:
    cid = await add_customer(engine, "Piet", "+31 15 001 0001")
    found = await CustomerDirectory(engine).find_by_caller(
        normalize_caller("0150010001", "US"), NOW
    )  # national Dutch form read as US: no E.164
    assert found.customer is not None and found.customer.id == cid


async def test_shared_number_gives_candidates(engine: AsyncEngine) -> None:
    a = await add_customer(engine, "Li Na", "+8613812345678")
    b = await add_customer(engine, "王伟", "+8613812345678")
    match = await CustomerDirectory(engine).find_by_caller(
        normalize_caller("+86 138 1234 5678", "US"), NOW
    )
    assert match.customer is None
    assert sorted(c.id for c in match.candidates) == sorted([a, b])
    assert {c.name for c in match.candidates} == {"Li Na", "王伟"}


async def test_unknown_and_withheld_callers(engine: AsyncEngine) -> None:
    await add_customer(engine, "Jane", "+15551234567")
    directory = CustomerDirectory(engine)
    for raw in ("+15550000000", "anonymous", "", "1001"):
        match = await directory.find_by_caller(normalize_caller(raw, "US"), NOW)
        assert match.customer is None and match.candidates == ()


async def test_open_tickets_and_complaint_window(engine: AsyncEngine) -> None:
    cid = await add_customer(engine, "Angry", "+15551112222")
    store = TicketStore(engine)
    await store.create(
        NewTicket(cid, "complaint", "late"), actor_id=None, now=NOW - timedelta(days=100)
    )
    await store.create(
        NewTicket(cid, "complaint", "rude"), actor_id=None, now=NOW - timedelta(days=10)
    )
    closed, _ = await store.create(NewTicket(cid, "service", "fix"), actor_id=None, now=NOW)
    await store.update(closed["id"], {"status": "closed"}, actor_id=None, now=NOW)
    record = await CustomerDirectory(engine).get(cid, NOW)
    assert record is not None
    assert record.complaints_in_window == 1
    assert [t.subject for t in record.open_tickets] == ["late", "rude"]
