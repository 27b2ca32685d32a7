"""Tickets with due times and history; customer edits with their audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.core.customers import normalize_phones
from cti_bridge.store.customers import CustomerWriter, DuplicateCustomer
from cti_bridge.store.directory import CustomerDirectory
from cti_bridge.store.models import AuditEntry
from cti_bridge.store.tickets import NewTicket, TicketStore, UnknownCustomer
from tests.store.helpers import NOW, add_customer

HOUR = timedelta(hours=1)


async def test_ticket_due_time_and_idempotent_create(engine: AsyncEngine) -> None:
    vip = await add_customer(engine, "VIP", "+15551230001", vip=True)
    store = TicketStore(engine)
    ticket, created = await store.create(
        NewTicket(vip, "complaint", "Wrong bill", request_id="t-1"), actor_id=None, now=NOW
    )
    again, created_again = await store.create(
        NewTicket(vip, "complaint", "Wrong bill", request_id="t-1"), actor_id=None, now=NOW
    )
    assert created and not created_again and again["id"] == ticket["id"]
    assert ticket["due_at"] == "2026-11-22T22:00:00.000Z"  # 24 h halved for a VIP
    assert ticket["status"] == "open" and not ticket["overdue"]


async def test_ticket_for_unknown_customer(engine: AsyncEngine) -> None:
    with pytest.raises(UnknownCustomer):
        await TicketStore(engine).create(NewTicket(404, "service", "x"), actor_id=None, now=NOW)


async def test_ticket_updates_leave_history_and_search(engine: AsyncEngine) -> None:
    cid = await add_customer(engine, "C", "+15551230002")
    store = TicketStore(engine)
    ticket, _ = await store.create(NewTicket(cid, "service", "Router"), actor_id=None, now=NOW)
    late, _ = await store.create(NewTicket(cid, "inquiry", "Late"), actor_id=None, now=NOW)
    await store.update(late["id"], {"due_at": NOW - HOUR}, actor_id=None, now=NOW)
    done = await store.update(
        ticket["id"], {"status": "resolved", "root_cause": "cable"}, actor_id=None, now=NOW + HOUR
    )
    assert done is not None and done["resolved_at"] == "2026-11-22T11:00:00.000Z"
    kinds = [e["kind"] for e in await store.history(ticket["id"])]
    assert kinds == ["created", "status_changed", "root_cause_changed"]
    overdue = await store.search(now=NOW, overdue=True)
    assert [t["id"] for t in overdue] == [late["id"]]
    assert overdue[0]["overdue"] is True
    assert [t["id"] for t in await store.search(now=NOW, statuses=["resolved"])] == [ticket["id"]]
    assert await store.update(999, {"status": "open"}, actor_id=None, now=NOW) is None


async def test_customer_edit_is_audited_with_before_and_after(engine: AsyncEngine) -> None:
    cid = await add_customer(engine, "Jane", "+15551230003", external_ref="C-1")
    writer = CustomerWriter(engine)
    numbers = normalize_phones(["+15551230004"], "US", 9)
    assert await writer.update(
        cid, {"name": "Jane Smith", "grade": "A"}, numbers, actor_id=None, at=NOW
    )
    record = await CustomerDirectory(engine).get(cid, NOW)
    assert record is not None
    assert (record.name, record.grade, record.phones) == ("Jane Smith", "A", ("+15551230004",))
    async with engine.connect() as conn:
        entries = (
            await conn.execute(select(AuditEntry.action, AuditEntry.detail).order_by(AuditEntry.id))
        ).all()
    assert [e.action for e in entries] == ["customer_create", "customer_edit"]
    assert entries[1].detail["before"] == {"name": "Jane", "grade": "C"}
    assert entries[1].detail["after"] == {"name": "Jane Smith", "grade": "A"}
    assert not await writer.update(999, {"name": "x"}, None, actor_id=None, at=NOW)


async def test_duplicate_external_ref_is_refused(engine: AsyncEngine) -> None:
    await add_customer(engine, "A", "+15551230005", external_ref="C-9")
    with pytest.raises(DuplicateCustomer):
        await add_customer(engine, "B", "+15551230006", external_ref="C-9")
