"""The supervisor board's reads: agent statuses, abandoned calls today, late tickets and the
complaints in progress. Each is one indexed query returning a bounded list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.core.pop import iso
from cti_bridge.core.states import OPEN_TICKET_STATUSES, ComplaintStep
from cti_bridge.store.models import Agent, Customer, Interaction, Ticket, table

agents_t = table(Agent)
tickets_t = table(Ticket)
customers_t = table(Customer)
interactions_t = table(Interaction)

LIST_LIMIT = 200
COMPLAINT_STEPS = tuple(ComplaintStep)


def _deadline(row: Any) -> datetime | None:
    """The instant the ticket's active target fell or falls due."""
    if row.sla_target == "response" and row.response_due_at is not None:
        return row.response_due_at  # type: ignore[no-any-return]
    return row.due_at  # type: ignore[no-any-return]


def _ticket_row(row: Any, now: datetime) -> dict[str, Any]:
    deadline = _deadline(row)
    return {
        "id": row.id,
        "kind": row.kind,
        "subject": row.subject,
        "priority": row.priority,
        "status": row.status,
        "customer": {"id": row.customer_id, "name": row.customer_name, "vip": row.vip},
        "assignee_id": row.assignee_id,
        "assignee": row.assignee_name,
        "target": row.sla_target,
        "level": row.sla_level,
        "due_at": iso(deadline),
        # Seconds past (positive) or before (negative) the deadline; None while paused.
        "late_seconds": None if deadline is None else round((now - deadline).total_seconds()),
        "complaint_step": row.complaint_step,
        "category": row.category,
    }


def _ticket_query() -> Any:
    assignee = agents_t.alias("assignee")
    return (
        select(
            tickets_t,
            customers_t.c.name.label("customer_name"),
            customers_t.c.vip,
            assignee.c.display_name.label("assignee_name"),
        )
        .join(customers_t, customers_t.c.id == tickets_t.c.customer_id)
        .outerjoin(assignee, assignee.c.id == tickets_t.c.assignee_id)
    )


class BoardStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def agent_statuses(self) -> dict[int, str]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(agents_t.c.id, agents_t.c.status).where(agents_t.c.active.is_(True))
            )
            return {r.id: r.status for r in rows}

    async def agent_pauses(self) -> dict[int, tuple[str, datetime | None]]:
        """Per active agent: the pause reason and since when the chosen status holds."""
        query = select(agents_t.c.id, agents_t.c.status_reason, agents_t.c.status_since).where(
            agents_t.c.active.is_(True)
        )
        async with self._engine.connect() as conn:
            return {r.id: (r.status_reason, r.status_since) for r in await conn.execute(query)}

    async def abandoned_since(self, since: datetime) -> dict[str, int]:
        """Abandoned calls per queue since ``since`` (the start of today)."""
        query = (
            select(interactions_t.c.queue, func.count())
            .where(interactions_t.c.offered_at >= since, interactions_t.c.outcome == "abandoned")
            .group_by(interactions_t.c.queue)
        )
        async with self._engine.connect() as conn:
            return {queue or "": count for queue, count in (await conn.execute(query)).all()}

    async def late_tickets(self, state: str, now: datetime) -> list[dict[str, Any]]:
        """Open tickets the monitor announced as ``state`` (overdue, due_soon), latest first."""
        query = (
            _ticket_query()
            .where(tickets_t.c.sla_state == state, tickets_t.c.status.in_(OPEN_TICKET_STATUSES))
            .limit(LIST_LIMIT)
        )
        async with self._engine.connect() as conn:
            rows = [_ticket_row(r, now) for r in await conn.execute(query)]
        # Most late first; paused tickets (no deadline running) after the rest.
        return sorted(rows, key=lambda t: (t["late_seconds"] is None, -(t["late_seconds"] or 0)))

    async def complaints(self, now: datetime) -> dict[str, list[dict[str, Any]]]:
        """Complaints not yet closed, per step, oldest first."""
        query = (
            _ticket_query()
            .where(
                tickets_t.c.kind == "complaint",
                tickets_t.c.complaint_step != "closed",
                tickets_t.c.status.in_(OPEN_TICKET_STATUSES),
            )
            .order_by(tickets_t.c.created_at, tickets_t.c.id)
            .limit(LIST_LIMIT * 2)
        )
        steps: dict[str, list[dict[str, Any]]] = {s: [] for s in COMPLAINT_STEPS[:-1]}
        async with self._engine.connect() as conn:
            for row in await conn.execute(query):
                steps.setdefault(row.complaint_step or "received", []).append(_ticket_row(row, now))
        return steps
