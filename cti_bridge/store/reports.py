"""Reads for the figures: the period's inbound calls, the calls right after it (possible
repeat contacts), its complaints and the agents' names. The arithmetic is in
:mod:`cti_bridge.core.figures`."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.core.figures import CallFact, ComplaintFact
from cti_bridge.store.models import Agent, Interaction, Ticket, table

interactions = table(Interaction)
tickets = table(Ticket)
agents = table(Agent)

CALL_COLUMNS = (
    interactions.c.call_id,
    interactions.c.offered_at,
    interactions.c.queue,
    interactions.c.agent_id,
    interactions.c.outcome,
    interactions.c.wait_seconds,
    interactions.c.satisfaction,
    interactions.c.disposition_code,
    interactions.c.customer_id,
)


class ReportStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def calls(self, start: datetime, end: datetime) -> list[CallFact]:
        """Inbound calls offered in [start, end) (the ``offered_at`` index)."""
        query = select(*CALL_COLUMNS).where(
            interactions.c.offered_at >= start,
            interactions.c.offered_at < end,
            interactions.c.direction == "inbound",
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            CallFact(
                call_id=r.call_id,
                at=r.offered_at,
                queue=r.queue or "",
                agent_id=r.agent_id,
                outcome=r.outcome,
                wait=r.wait_seconds,
                satisfaction=r.satisfaction,
                code=r.disposition_code,
                customer_id=r.customer_id,
            )
            for r in rows
        ]

    async def complaints(self, start: datetime, end: datetime) -> list[ComplaintFact]:
        query = select(
            tickets.c.id,
            tickets.c.created_at,
            tickets.c.category,
            tickets.c.call_id,
            tickets.c.created_by_id,
        ).where(
            tickets.c.kind == "complaint",
            tickets.c.created_at >= start,
            tickets.c.created_at < end,
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            ComplaintFact(
                ticket_id=r.id,
                at=r.created_at,
                category=r.category,
                call_id=r.call_id,
                created_by=r.created_by_id,
            )
            for r in rows
        ]

    async def agent_names(self) -> dict[int, str]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(agents.c.id, agents.c.display_name))
            return {r.id: r.display_name for r in rows}

    async def period(
        self, start: datetime, end: datetime, repeat: timedelta
    ) -> tuple[list[CallFact], list[CallFact], list[ComplaintFact]]:
        """(calls in the period, calls in the repeat window after it, complaints)."""
        return (
            await self.calls(start, end),
            await self.calls(end, end + repeat),
            await self.complaints(start, end),
        )
