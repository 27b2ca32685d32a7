"""Customer lookups: the read side of the screen pop, the customer API and the IVR.

This is the hot path of a pop, so it uses SQLAlchemy Core on one connection, not the ORM
(PERFORMANCE.md: the ORM costs 4-7x a raw query here). Numbers are matched on their own
indexed columns (``e164`` exact first, then the ``match_key`` suffix), never on an
expression with a bound constant, which would defeat the index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cti_bridge.core.phones import CallerNumber
from cti_bridge.core.pop import (
    CHURN_WINDOW_DAYS,
    RECENT_INTERACTIONS,
    CallerMatch,
    CustomerRecord,
    CustomerSummary,
    InteractionView,
    TicketView,
)
from cti_bridge.core.states import OPEN_TICKET_STATUSES, TicketKind
from cti_bridge.store.desk import choice_key
from cti_bridge.store.models import (
    Agent,
    CallerChoice,
    Customer,
    CustomerPhone,
    Interaction,
    Ticket,
    table,
)

MAX_CANDIDATES = 10
MAX_OPEN_TICKETS = 20

customers = table(Customer)
phones = table(CustomerPhone)
interactions = table(Interaction)
tickets = table(Ticket)
agents = table(Agent)
caller_choices = table(CallerChoice)


class CustomerDirectory:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def find_by_caller(
        self, caller: CallerNumber, now: datetime, exclude_call: str | None = None
    ) -> CallerMatch:
        """The customer behind a caller id: exact E.164 first, then the match key."""
        if caller.withheld or (caller.e164 is None and caller.match_key is None):
            return CallerMatch(customer=None)
        async with self._engine.connect() as conn:
            ids = await _matching_ids(conn, caller)
            if len(ids) > 1:
                ids = await _remembered_choice(conn, caller, ids)
            if len(ids) == 1:
                record = await _load_record(conn, ids[0], now, exclude_call)
                return CallerMatch(customer=record)
            return CallerMatch(customer=None, candidates=tuple(await _summaries(conn, ids)))

    async def find_ids(self, caller: CallerNumber) -> list[int]:
        if caller.withheld:
            return []
        async with self._engine.connect() as conn:
            return await _matching_ids(conn, caller)

    async def get(self, customer_id: int, now: datetime) -> CustomerRecord | None:
        async with self._engine.connect() as conn:
            return await _load_record(conn, customer_id, now, None)

    async def summaries(self, ids: Sequence[int]) -> list[CustomerSummary]:
        async with self._engine.connect() as conn:
            return await _summaries(conn, ids)


async def _matching_ids(conn: AsyncConnection, caller: CallerNumber) -> list[int]:
    query: Select[tuple[int]]
    if caller.e164 is not None:
        query = select(phones.c.customer_id).where(phones.c.e164 == caller.e164)
        found = _distinct(await conn.scalars(query.limit(MAX_CANDIDATES)))
        if found:
            return found
    if caller.match_key is None:
        return []
    query = select(phones.c.customer_id).where(phones.c.match_key == caller.match_key)
    return _distinct(await conn.scalars(query.limit(MAX_CANDIDATES)))


async def _remembered_choice(
    conn: AsyncConnection, caller: CallerNumber, ids: list[int]
) -> list[int]:
    """Narrow several matches to the customer an agent picked for this number before; a
    choice of someone who no longer has the number is ignored."""
    key = choice_key(caller)
    if key is None:
        return ids
    chosen = await conn.scalar(
        select(caller_choices.c.customer_id).where(caller_choices.c.number == key)
    )
    return [chosen] if chosen in ids else ids


def _distinct(values: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(values))


async def _load_record(
    conn: AsyncConnection, customer_id: int, now: datetime, exclude_call: str | None
) -> CustomerRecord | None:
    row = (await conn.execute(select(customers).where(customers.c.id == customer_id))).first()
    if row is None:
        return None
    numbers = (
        await conn.execute(
            select(phones.c.e164).where(phones.c.customer_id == customer_id).order_by(phones.c.id)
        )
    ).scalars()
    return CustomerRecord(
        id=row.id,
        name=row.name,
        company=row.company,
        grade=row.grade,
        segment=row.segment,
        vip=row.vip,
        birthday=row.birthday,
        notes=row.notes,
        region=row.region,
        language=row.language,
        email=row.email,
        external_ref=row.external_ref,
        phones=tuple(numbers),
        open_tickets=tuple(await _open_tickets(conn, customer_id)),
        recent_interactions=tuple(await _recent_interactions(conn, customer_id, exclude_call)),
        complaints_in_window=await _complaints_since(
            conn, customer_id, now - timedelta(days=CHURN_WINDOW_DAYS)
        ),
    )


async def _open_tickets(conn: AsyncConnection, customer_id: int) -> list[TicketView]:
    query = (
        select(tickets, agents.c.display_name.label("assignee_name"))
        .outerjoin(agents, agents.c.id == tickets.c.assignee_id)
        .where(tickets.c.customer_id == customer_id, tickets.c.status.in_(OPEN_TICKET_STATUSES))
        .order_by(tickets.c.due_at.is_(None), tickets.c.due_at, tickets.c.id)
        .limit(MAX_OPEN_TICKETS)
    )
    return [
        TicketView(
            id=r.id,
            kind=r.kind,
            status=r.status,
            priority=r.priority,
            subject=r.subject,
            created_at=r.created_at,
            due_at=r.due_at,
            assignee=r.assignee_name,
        )
        for r in await conn.execute(query)
    ]


async def _recent_interactions(
    conn: AsyncConnection, customer_id: int, exclude_call: str | None
) -> list[InteractionView]:
    query = (
        select(interactions, agents.c.display_name.label("agent_name"))
        .outerjoin(agents, agents.c.id == interactions.c.agent_id)
        .where(interactions.c.customer_id == customer_id)
        .order_by(interactions.c.offered_at.desc(), interactions.c.id.desc())
        .limit(RECENT_INTERACTIONS + 1)
    )
    items = [
        InteractionView(
            call_id=r.call_id,
            at=r.offered_at,
            direction=r.direction,
            outcome=r.outcome,
            agent=r.agent_name,
            code=r.disposition_code,
            notes=r.notes,
            queue=r.queue,
            recording=r.recording,
        )
        for r in await conn.execute(query)
        if r.call_id != exclude_call
    ]
    return items[:RECENT_INTERACTIONS]


async def _complaints_since(conn: AsyncConnection, customer_id: int, since: datetime) -> int:
    query = select(func.count()).where(
        tickets.c.customer_id == customer_id,
        tickets.c.kind == TicketKind.COMPLAINT,
        tickets.c.created_at >= since,
    )
    return int((await conn.execute(query)).scalar_one())


async def _summaries(conn: AsyncConnection, ids: Sequence[int]) -> list[CustomerSummary]:
    if not ids:
        return []
    rows = (await conn.execute(select(customers).where(customers.c.id.in_(ids)))).all()
    numbers: dict[int, list[str]] = {}
    for cid, e164 in await conn.execute(
        select(phones.c.customer_id, phones.c.e164).where(phones.c.customer_id.in_(ids))
    ):
        numbers.setdefault(cid, []).append(e164)
    order = {cid: i for i, cid in enumerate(ids)}
    return [
        CustomerSummary(
            id=r.id,
            name=r.name,
            company=r.company,
            grade=r.grade,
            vip=r.vip,
            phones=tuple(numbers.get(r.id, ())),
        )
        for r in sorted(rows, key=lambda r: order[r.id])
    ]
