"""How each kind of journaled write (disposition, ticket, customer edit, note) reaches the
database when it is back: the same calls the API makes, which skip a ``request_id`` they
have already written (so a replay repeated after a crash writes nothing twice)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cti_bridge.services.lookups import CallerLookup
from cti_bridge.settings import PhoneSettings
from cti_bridge.store.calllog import CallLog
from cti_bridge.store.customers import CustomerWriter
from cti_bridge.store.desk import DeskStore
from cti_bridge.store.journal import Journal
from cti_bridge.store.tickets import NewTicket, TicketStore
from cti_bridge.web.api_customers import apply_update
from cti_bridge.web.api_desk import apply_note
from cti_bridge.web.api_tickets import create_ticket
from cti_bridge.web.keys import Clock


def register_replays(
    journal: Journal,
    *,
    calllog: CallLog,
    tickets: TicketStore,
    customers: CustomerWriter,
    desk: DeskStore,
    lookup: CallerLookup,
    phone: PhoneSettings,
    clock: Clock,
) -> None:
    async def disposition(entry: dict[str, Any]) -> None:
        await calllog.add_disposition(
            request_id=entry["request_id"],
            call_id=entry["call_id"],
            agent_id=entry["agent_id"],
            customer_id=entry["customer_id"],
            code=entry["code"],
            notes=entry["notes"],
            at=datetime.fromisoformat(entry["at"]),
        )

    async def ticket(entry: dict[str, Any]) -> None:
        new = NewTicket(**entry["ticket"])
        await create_ticket(tickets, new, entry["actor_id"], datetime.fromisoformat(entry["at"]))

    async def customer_edit(entry: dict[str, Any]) -> None:
        await apply_update(customers, phone, lookup.today(clock()), entry)

    async def note(entry: dict[str, Any]) -> None:
        await apply_note(desk, entry)

    journal.register("disposition", disposition)
    journal.register("ticket", ticket)
    journal.register("customer_edit", customer_edit)
    journal.register("note", note)
