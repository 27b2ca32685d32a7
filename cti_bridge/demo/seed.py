"""Fill a database with the demo's staff, customers and history (``cti-bridge demo``).

Idempotent: staff accounts that exist are left as they are (their passwords too), and the
customers with their history are written only when no demo customer (``DEMO-`` ref) is
there yet; everything happens in one transaction, so a crash never leaves half a demo.
Customers go through the CSV import's validation and writer, so the demo stores exactly
what an import of the same people would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cti_bridge.demo.history import (
    DIDS,
    CallPlan,
    EventPlan,
    History,
    TicketPlan,
    make_history,
)
from cti_bridge.demo.people import REF_PREFIX, DemoCustomer, make_callers, make_customers
from cti_bridge.store.importer import parse_record, upsert_records
from cti_bridge.store.models import (
    Agent,
    AgentInterface,
    Customer,
    Disposition,
    Interaction,
    Ticket,
    TicketEvent,
)

DEMO_PASSWORD = "demo1234"  # noqa: S105 - printed for the user to log in with; demo only

# username, display name, role, interfaces, language
STAFF = (
    ("agent1", "Emily Carter", "agent", ("PJSIP/1001",), "en"),
    ("agent2", "Li Na 李娜", "agent", ("PJSIP/1002",), "zh"),
    ("agent3", "Marcus Reed", "agent", ("PJSIP/1003",), "en"),
    ("supervisor", "Sarah Mitchell", "supervisor", (), "en"),
    ("admin", "Alex Morgan", "admin", (), "en"),
)


@dataclass
class DemoLogin:
    username: str
    password: str
    role: str
    interfaces: list[str]
    display_name: str


@dataclass
class DemoSummary:
    logins: list[DemoLogin]
    customers: int
    # (number as a trunk presents it, caller name) for the simulator to call from
    callers: list[tuple[str, str]]


async def seed_demo(
    engine: AsyncEngine,
    *,
    today: date,
    now: datetime,
    default_region: str = "US",
    hash_password: Callable[[str], str],
    seed: int = 7,
    match_digits: int = 9,
) -> DemoSummary:
    """Seed the demo (if not done already) and say how to use it: logins, the number of
    demo customers, and caller ids the simulator can ring in with."""
    customers = make_customers(seed, today)
    async with engine.begin() as conn:
        agent_ids = await _ensure_staff(conn, hash_password)
        if not await _seeded(conn):
            ids = await _write_customers(conn, customers, today, default_region, match_digits)
            await _write_history(conn, make_history(customers, now, seed), ids, agent_ids)
        count = await conn.scalar(
            select(func.count()).where(Customer.external_ref.like(f"{REF_PREFIX}%"))
        )
        interfaces = await _interfaces(conn, agent_ids)
    logins = [
        DemoLogin(username, DEMO_PASSWORD, role, interfaces.get(username, []), display)
        for username, display, role, _, _ in STAFF
    ]
    return DemoSummary(logins, int(count or 0), make_callers(customers, default_region, seed))


async def _ensure_staff(
    conn: AsyncConnection, hash_password: Callable[[str], str]
) -> dict[str, int]:
    """Create the demo accounts that are missing; returns every demo account's id. An
    interface already held by another account stays with it."""
    usernames = [staff[0] for staff in STAFF]
    query = select(Agent.username, Agent.id).where(Agent.username.in_(usernames))
    ids: dict[str, int] = {name: id_ for name, id_ in await conn.execute(query)}
    taken = set((await conn.scalars(select(AgentInterface.interface))).all())
    for username, display, role, interfaces, language in STAFF:
        if username in ids:
            continue
        values = {
            "username": username,
            "display_name": display,
            "role": role,
            "language": language,
            "password_hash": hash_password(DEMO_PASSWORD),
        }
        new_id = (await conn.execute(insert(Agent).values(values).returning(Agent.id))).scalar_one()
        ids[username] = new_id
        free = [{"agent_id": new_id, "interface": i} for i in interfaces if i not in taken]
        if free:
            await conn.execute(insert(AgentInterface), free)
    return ids


async def _interfaces(conn: AsyncConnection, agent_ids: dict[str, int]) -> dict[str, list[str]]:
    names = {id_: name for name, id_ in agent_ids.items()}
    query = (
        select(AgentInterface.agent_id, AgentInterface.interface)
        .where(AgentInterface.agent_id.in_(names))
        .order_by(AgentInterface.interface)
    )
    found: dict[str, list[str]] = {}
    for agent_id, interface in await conn.execute(query):
        found.setdefault(names[agent_id], []).append(interface)
    return found


async def _seeded(conn: AsyncConnection) -> bool:
    query = select(exists().where(Customer.external_ref.like(f"{REF_PREFIX}%")))
    return bool(await conn.scalar(query))


async def _write_customers(
    conn: AsyncConnection,
    customers: Iterable[DemoCustomer],
    today: date,
    default_region: str,
    match_digits: int,
) -> dict[str, int]:
    """Store the customers as the CSV import would; returns their ids by ref."""
    records = [
        parse_record(
            c.csv_values(default_region),
            today=today,
            default_region=default_region,
            match_digits=match_digits,
        )
        for c in customers
    ]
    await upsert_records(conn, records)
    query = select(Customer.external_ref, Customer.id).where(
        Customer.external_ref.like(f"{REF_PREFIX}%")
    )
    return {ref: id_ for ref, id_ in await conn.execute(query) if ref is not None}


async def _write_history(
    conn: AsyncConnection, history: History, customers: dict[str, int], agents: dict[str, int]
) -> None:
    def agent_id(username: str | None) -> int | None:
        return None if username is None else agents[username]

    calls = [_interaction(c, customers[c.customer_ref], agent_id(c.agent)) for c in history.calls]
    await conn.execute(insert(Interaction), calls)
    dispositions = [
        {
            "request_id": f"demo:{c.call_id}",
            "call_id": c.call_id,
            "agent_id": agent_id(c.agent),
            "customer_id": customers[c.customer_ref],
            "code": c.code,
            "notes": c.notes,
            "created_at": c.ended_at + timedelta(seconds=20),
        }
        for c in history.calls
        if c.code is not None and c.agent is not None
    ]
    await conn.execute(insert(Disposition), dispositions)
    rows = [_ticket(t, customers[t.customer_ref], agent_id) for t in history.tickets]
    stmt = insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True)
    ticket_ids = (await conn.execute(stmt, rows)).scalars().all()
    events = [
        {
            "ticket_id": ticket_id,
            "at": event.at,
            "actor_id": agent_id(event.actor),
            "kind": event.kind,
            "data": _event_data(event, agents),
        }
        for ticket_id, ticket in zip(ticket_ids, history.tickets, strict=True)
        for event in ticket.events
    ]
    await conn.execute(insert(TicketEvent), events)


def _event_data(event: EventPlan, agents: dict[str, int]) -> dict[str, Any]:
    if event.kind != "assignee_id_changed":
        return event.data
    # The ticket store records assignees by id; the plan knows them by username.
    return {key: agents.get(value, value) for key, value in event.data.items()}


def _interaction(call: CallPlan, customer_id: int, agent_id: int | None) -> dict[str, Any]:
    inbound = call.direction == "inbound"
    return {
        "call_id": call.call_id,
        "direction": call.direction,
        "caller_number": call.number,
        "caller_name": call.caller_name,
        "dialed": DIDS[call.queue] if inbound and call.queue else call.number,
        "queue": call.queue,
        "customer_id": customer_id,
        "agent_id": agent_id,
        "offered_at": call.offered_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "wait_seconds": call.wait,
        "talk_seconds": call.talk,
        "outcome": "abandoned" if call.talk is None else "answered",
        "disposition_code": call.code,
        "notes": call.notes,
    }


def _ticket(
    ticket: TicketPlan, customer_id: int, agent_id: Callable[[str | None], int | None]
) -> dict[str, Any]:
    category, responsible, cause, action = ticket.findings
    return {
        "customer_id": customer_id,
        "call_id": ticket.call.call_id if ticket.call else None,
        "kind": ticket.kind,
        "status": ticket.status,
        "priority": ticket.priority,
        "subject": ticket.subject,
        "assignee_id": agent_id(ticket.assignee),
        "created_by_id": agent_id(ticket.created_by),
        "created_at": ticket.created_at,
        "updated_at": max(event.at for event in ticket.events),
        "due_at": ticket.due_at,
        "resolved_at": ticket.resolved_at,
        "category": category,
        "responsible_party": responsible,
        "root_cause": cause,
        "corrective_action": action,
    }
