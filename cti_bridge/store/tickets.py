"""Tickets (inquiries, service requests, complaints) and their history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cti_bridge.core import sla
from cti_bridge.core.pop import iso
from cti_bridge.store.db import session_factory
from cti_bridge.store.models import (
    OPEN_TICKET_STATUSES,
    Customer,
    Ticket,
    TicketEvent,
    TicketStatus,
)

LIST_LIMIT = 500
# Fields anyone working the ticket may change; the rest are for supervisors.
AGENT_FIELDS = (
    "status",
    "priority",
    "subject",
    "description",
    "category",
    "responsible_party",
    "root_cause",
    "corrective_action",
)
SUPERVISOR_FIELDS = ("due_at", "assignee_id")


class UnknownCustomer(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class NewTicket:
    customer_id: int
    kind: str
    subject: str
    priority: str = "normal"
    description: str = ""
    call_id: str | None = None
    assignee_id: int | None = None
    category: str = ""
    request_id: str | None = None


def ticket_json(ticket: Ticket, now: datetime) -> dict[str, Any]:
    open_ = ticket.status in OPEN_TICKET_STATUSES
    return {
        "id": ticket.id,
        "customer_id": ticket.customer_id,
        "call_id": ticket.call_id,
        "kind": ticket.kind,
        "status": ticket.status,
        "priority": ticket.priority,
        "subject": ticket.subject,
        "description": ticket.description,
        "assignee_id": ticket.assignee_id,
        "created_by_id": ticket.created_by_id,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "due_at": iso(ticket.due_at),
        "resolved_at": iso(ticket.resolved_at),
        "overdue": bool(open_ and ticket.due_at is not None and ticket.due_at < now),
        "category": ticket.category,
        "responsible_party": ticket.responsible_party,
        "root_cause": ticket.root_cause,
        "corrective_action": ticket.corrective_action,
    }


class TicketStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = session_factory(engine)

    async def create(
        self, new: NewTicket, *, actor_id: int | None, now: datetime
    ) -> tuple[dict[str, Any], bool]:
        """Open a ticket with its due time; a repeated ``request_id`` returns the first."""
        if new.request_id:
            existing = await self._by_request(new.request_id, now)
            if existing is not None:
                return existing, False
        try:
            async with self._sessions.begin() as db:
                customer = await db.get(Customer, new.customer_id)
                if customer is None:
                    raise UnknownCustomer(f"no customer with id {new.customer_id}")
                ticket = Ticket(
                    **_columns(new),
                    status=TicketStatus.OPEN,
                    created_by_id=actor_id,
                    created_at=now,
                    updated_at=now,
                    due_at=sla.due_at(
                        new.kind, new.priority, now, vip=customer.vip, grade=customer.grade
                    ),
                )
                db.add(ticket)
                await db.flush()
                _event(db, ticket.id, actor_id, at=now, kind="created", data={"kind": new.kind})
                return ticket_json(ticket, now), True
        except IntegrityError:
            if new.request_id:
                raced = await self._by_request(new.request_id, now)
                if raced is not None:
                    return raced, False
            raise

    async def update(
        self, ticket_id: int, changes: dict[str, Any], *, actor_id: int | None, now: datetime
    ) -> dict[str, Any] | None:
        async with self._sessions.begin() as db:
            ticket = await db.get(Ticket, ticket_id)
            if ticket is None:
                return None
            for field, value in changes.items():
                old = getattr(ticket, field)
                if old == value:
                    continue
                setattr(ticket, field, value)
                _event(
                    db,
                    ticket_id,
                    actor_id,
                    at=now,
                    kind=f"{field}_changed",
                    data=_change(old, value),
                )
            if changes.get("status") in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
                ticket.resolved_at = ticket.resolved_at or now
            elif "status" in changes:
                ticket.resolved_at = None
            ticket.updated_at = now
            return ticket_json(ticket, now)

    async def get(self, ticket_id: int, now: datetime) -> dict[str, Any] | None:
        async with self._sessions() as db:
            ticket = await db.get(Ticket, ticket_id)
            return None if ticket is None else ticket_json(ticket, now)

    async def history(self, ticket_id: int) -> list[dict[str, Any]]:
        async with self._sessions() as db:
            rows = await db.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket_id)
                .order_by(TicketEvent.id)
            )
            return [
                {"at": iso(e.at), "actor_id": e.actor_id, "kind": e.kind, "data": e.data}
                for e in rows
            ]

    async def search(
        self,
        *,
        now: datetime,
        statuses: Sequence[str] = (),
        overdue: bool = False,
        assignee_id: int | None = None,
        customer_id: int | None = None,
    ) -> list[dict[str, Any]]:
        query = select(Ticket)
        if statuses:
            query = query.where(Ticket.status.in_(statuses))
        if overdue:
            query = query.where(Ticket.status.in_(OPEN_TICKET_STATUSES), Ticket.due_at < now)
        if assignee_id is not None:
            query = query.where(Ticket.assignee_id == assignee_id)
        if customer_id is not None:
            query = query.where(Ticket.customer_id == customer_id)
        query = query.order_by(Ticket.due_at.is_(None), Ticket.due_at, Ticket.id).limit(LIST_LIMIT)
        async with self._sessions() as db:
            return [ticket_json(t, now) for t in await db.scalars(query)]

    async def _by_request(self, request_id: str, now: datetime) -> dict[str, Any] | None:
        async with self._sessions() as db:
            ticket = await db.scalar(select(Ticket).where(Ticket.request_id == request_id))
            return None if ticket is None else ticket_json(ticket, now)


def _columns(new: NewTicket) -> dict[str, Any]:
    return {
        "customer_id": new.customer_id,
        "kind": new.kind,
        "subject": new.subject,
        "priority": new.priority,
        "description": new.description,
        "call_id": new.call_id,
        "assignee_id": new.assignee_id,
        "category": new.category,
        "request_id": new.request_id,
    }


def _change(old: Any, new: Any) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime) else value

    return {"from": plain(old), "to": plain(new)}


def _event(
    db: AsyncSession, ticket_id: int, actor_id: int | None, *, at: datetime, kind: str, data: Any
) -> None:
    db.add(TicketEvent(ticket_id=ticket_id, actor_id=actor_id, at=at, kind=kind, data=data))
