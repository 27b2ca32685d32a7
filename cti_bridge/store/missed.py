"""Missed and abandoned calls: the list agents call back from, and the claim on each.

A call is in the list when its interaction ended ``missed`` or ``abandoned`` with a caller
number. It counts as called back when an agent placed the call-back from the list
(``missed_callbacks.called_at``) or when a later answered call with that number exists
(the customer rang again, or someone dialled them): that is read, never stored, so it
holds however the later call came about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.core.pop import iso
from cti_bridge.core.states import CallOutcome
from cti_bridge.store.models import Agent, Customer, Interaction, MissedCallback, table

interactions = table(Interaction)
callbacks = table(MissedCallback)
agents = table(Agent)
customers = table(Customer)
MISSED_OUTCOMES = (CallOutcome.MISSED.value, CallOutcome.ABANDONED.value)


@dataclass(frozen=True, slots=True, kw_only=True)
class MissedCall:
    id: int
    call_id: str
    outcome: str
    number: str
    name: str
    customer_id: int | None
    customer_name: str | None
    queue: str | None
    at: datetime
    waited: float | None
    claimed_by: int | None
    claimed_by_name: str | None
    claimed_at: datetime | None
    called_at: datetime | None
    answered_later_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        called = self.called_at or self.answered_later_at
        return {
            "id": self.id,
            "call_id": self.call_id,
            "outcome": self.outcome,
            "caller": {"number": self.number, "name": self.name},
            "customer": (
                None
                if self.customer_id is None
                else {"id": self.customer_id, "name": self.customer_name}
            ),
            "queue": self.queue,
            "at": iso(self.at),
            "waited_seconds": self.waited,
            "claimed_by": (
                None
                if self.claimed_by is None
                else {"id": self.claimed_by, "name": self.claimed_by_name}
            ),
            "claimed_at": iso(self.claimed_at) if self.claimed_at else None,
            "called_back": called is not None,
            "called_back_at": iso(called) if called else None,
        }


def _later_answer() -> Any:
    """The first answered call with the missed caller's number after the missed one."""
    later = interactions.alias("later")
    return (
        select(func.min(later.c.offered_at))
        .where(
            later.c.outcome == CallOutcome.ANSWERED.value,
            later.c.offered_at > interactions.c.offered_at,
            or_(
                later.c.caller_number == interactions.c.caller_number,
                later.c.dialed == interactions.c.caller_number,
            ),
        )
        .scalar_subquery()
    )


def _listing() -> Select[Any]:
    i, c = interactions.c, callbacks.c
    return (
        select(
            i.id,
            i.call_id,
            i.outcome,
            i.caller_number,
            i.caller_name,
            i.customer_id,
            customers.c.name.label("customer_name"),
            i.queue,
            i.offered_at,
            i.wait_seconds,
            c.agent_id,
            agents.c.display_name,
            c.claimed_at,
            c.called_at,
            _later_answer().label("answered_later_at"),
        )
        .select_from(
            interactions.outerjoin(customers, customers.c.id == i.customer_id)
            .outerjoin(callbacks, c.call_id == i.call_id)
            .outerjoin(agents, agents.c.id == c.agent_id)
        )
        .where(i.outcome.in_(MISSED_OUTCOMES), i.caller_number != "")
    )


def _row(row: Any) -> MissedCall:
    return MissedCall(
        id=row.id,
        call_id=row.call_id,
        outcome=str(row.outcome),
        number=row.caller_number,
        name=row.caller_name,
        customer_id=row.customer_id,
        customer_name=row.customer_name,
        queue=row.queue,
        at=row.offered_at,
        waited=row.wait_seconds,
        claimed_by=row.agent_id,
        claimed_by_name=row.display_name,
        claimed_at=row.claimed_at,
        called_at=row.called_at,
        answered_later_at=row.answered_later_at,
    )


class MissedCalls:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        dialect = engine.dialect.name
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert

    async def recent(
        self, *, since: datetime | None, before: int | None, limit: int
    ) -> list[MissedCall]:
        """Newest first: those after ``since`` (all when None), ids below ``before``."""
        query = _listing().order_by(interactions.c.id.desc()).limit(limit)
        if since is not None:
            query = query.where(interactions.c.offered_at >= since)
        if before is not None:
            query = query.where(interactions.c.id < before)
        async with self._engine.connect() as conn:
            return [_row(r) for r in (await conn.execute(query)).all()]

    async def get(self, missed_id: int) -> MissedCall | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(_listing().where(interactions.c.id == missed_id))).first()
        return None if row is None else _row(row)

    async def claim(self, call: MissedCall, agent_id: int, at: datetime) -> MissedCall:
        """Take ``call`` for ``agent_id`` unless someone has it: the row as it stands after
        (its ``claimed_by`` says who won; the same agent claiming again keeps their claim)."""
        values = {"call_id": call.call_id, "agent_id": agent_id, "claimed_at": at}
        statement = self._insert(callbacks).values(values).on_conflict_do_nothing()
        async with self._engine.begin() as conn:
            await conn.execute(statement)
        claimed = await self.get(call.id)
        assert claimed is not None  # the interaction row is never deleted under a claim
        return claimed

    async def release(self, call_id: str, agent_id: int) -> None:
        """Give a claim back (its call-back could not be placed)."""
        c = callbacks.c
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(callbacks).where(
                    and_(c.call_id == call_id, c.agent_id == agent_id, c.called_at.is_(None))
                )
            )

    async def called(self, call_id: str, at: datetime) -> None:
        """The claimed call-back was placed."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(callbacks).where(callbacks.c.call_id == call_id).values(called_at=at)
            )
