"""Reads for the figures: the period's inbound calls, the calls right after it (possible
repeat contacts), its complaints, the agents' names, their status log and call legs. The
arithmetic is in :mod:`cti_bridge.core.figures` and :mod:`cti_bridge.core.agent_time`."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.core.agent_time import LegSpan, StatusMark
from cti_bridge.core.figures import CallFact, ComplaintFact
from cti_bridge.store.models import (
    Agent,
    AgentStatusLog,
    Interaction,
    InteractionLeg,
    Ticket,
    table,
)

interactions = table(Interaction)
legs = table(InteractionLeg)
tickets = table(Ticket)
agents = table(Agent)
status_log = table(AgentStatusLog)

# How long before a period a call may have begun and still have a leg in it: legs are
# found through their call's indexed ``offered_at``.
LONGEST_CALL = timedelta(days=1)

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

    async def status_marks(self, start: datetime, end: datetime) -> list[StatusMark]:
        """The status log in [start, end) and each agent's last row before ``start`` (where
        they stood when the period began), in log order."""
        latest = (
            select(status_log.c.agent_id, func.max(status_log.c.started_at).label("at"))
            .where(status_log.c.started_at < start)
            .group_by(status_log.c.agent_id)
            .subquery()
        )
        before = select(status_log).join(
            latest,
            (status_log.c.agent_id == latest.c.agent_id) & (status_log.c.started_at == latest.c.at),
        )
        within = select(status_log).where(
            status_log.c.started_at >= start, status_log.c.started_at < end
        )
        async with self._engine.connect() as conn:
            rows = [*await conn.execute(before), *await conn.execute(within)]
        rows.sort(key=lambda r: (r.started_at, r.id))
        return [
            StatusMark(agent_id=r.agent_id, status=r.status, reason=r.reason, at=r.started_at)
            for r in rows
        ]

    async def leg_spans(self, start: datetime, end: datetime) -> list[LegSpan]:
        """Agents' call legs that may overlap [start, end): offered before ``end`` and not
        ended before ``start``, of calls begun at most :data:`LONGEST_CALL` before it."""
        query = (
            select(legs.c.agent_id, legs.c.offered_at, legs.c.answered_at, legs.c.ended_at)
            .join(interactions, interactions.c.call_id == legs.c.call_id)
            .where(
                interactions.c.offered_at >= start - LONGEST_CALL,
                interactions.c.offered_at < end,
                legs.c.agent_id.is_not(None),
                legs.c.offered_at < end,
                or_(legs.c.ended_at.is_(None), legs.c.ended_at > start),
            )
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            LegSpan(
                agent_id=r.agent_id,
                offered_at=r.offered_at,
                answered_at=r.answered_at,
                ended_at=r.ended_at,
            )
            for r in rows
        ]
