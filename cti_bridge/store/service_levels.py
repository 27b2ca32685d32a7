"""A ticket's service-level clock in its row, and the monitor's reads and writes.

The clock (``core.sla.SlaClock``) lives in the ticket's ``sla_*`` columns. Every change
that touches it goes through :func:`store_clock`, which also sets ``sla_next_at``: the
instant the monitor must look at the ticket again (now, when the change itself altered the
standing; never, when the clock is stopped). ``sla_next_at`` is indexed, so the monitor
reads only tickets whose moment has come, however many are open.

The monitor's write is conditional on ``sla_rev``: if a person changed the ticket after the
monitor read it, the monitor's update matches no row and the ticket is simply looked at
again at its new ``sla_next_at``. The standing and its alert (``sla_alerts``, the outbox)
are written in one transaction, so a restart neither repeats nor misses an alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.core.sla import (
    Policy,
    SlaClock,
    Standing,
    alert_kind,
    next_change,
    standing,
)
from cti_bridge.core.states import OPEN_TICKET_STATUSES
from cti_bridge.store.db import session_factory
from cti_bridge.store.models import SlaAlert, Ticket, table

tickets = table(Ticket)
alerts = table(SlaAlert)
# Tickets from before the monitor existed run on this calendar (around the clock).
LEGACY_CALENDAR = "always"


def clock_of(ticket: Ticket, policy: Policy) -> SlaClock:
    return SlaClock(
        calendar=policy.calendar(ticket.sla_calendar),
        response_target=timedelta(seconds=ticket.response_target or 0.0),
        resolution_target=timedelta(seconds=ticket.resolution_target or 0.0),
        consumed=timedelta(seconds=ticket.sla_consumed or 0.0),
        running_since=ticket.sla_running_since,
        responded=ticket.responded_at is not None,
    )


def announced(ticket: Ticket) -> Standing:
    return Standing(target=ticket.sla_target, state=ticket.sla_state, level=ticket.sla_level)


def store_clock(ticket: Ticket, clock: SlaClock, policy: Policy, now: datetime) -> None:
    """Write the clock and its due times into the row, and plan the monitor's next look."""
    ticket.response_target = clock.response_target.total_seconds()
    ticket.resolution_target = clock.resolution_target.total_seconds()
    ticket.sla_consumed = clock.consumed.total_seconds()
    ticket.sla_running_since = clock.running_since
    ticket.response_due_at = None if clock.responded else clock.moment(clock.response_target)
    # While the clock is stopped there is no due time: it depends on when it restarts.
    ticket.due_at = clock.moment(clock.resolution_target)
    current = standing(clock, policy, now)
    if alert_kind(announced(ticket), current) is None:
        # Nothing to announce (no change, or back on time): recorded here and now.
        ticket.sla_target = current.target
        ticket.sla_state = current.state
        ticket.sla_level = current.level
        ticket.sla_next_at = next_change(clock, policy, now)
    else:
        ticket.sla_next_at = now  # the monitor announces it right away
    ticket.sla_rev = (ticket.sla_rev or 0) + 1


def new_clock(
    policy: Policy, kind: str, priority: str, now: datetime, *, vip: bool, grade: str
) -> tuple[str, SlaClock]:
    """(calendar name, running clock) for a ticket opened at ``now``."""
    name = policy.calendar_name(kind)
    response, resolution = policy.targets(kind, priority, vip=vip, grade=grade)
    return name, SlaClock(
        calendar=policy.calendar(name),
        response_target=response,
        resolution_target=resolution,
        running_since=now,
    )


def legacy_clock(ticket: Ticket, policy: Policy) -> SlaClock:
    """A clock for a ticket written before service levels were tracked (or by a bulk
    seeder): around the clock from its creation, due when its ``due_at`` said."""
    response, resolution = policy.targets(ticket.kind, ticket.priority)
    if ticket.due_at is not None:
        resolution = max(ticket.due_at - ticket.created_at, timedelta(0))
    clock = SlaClock(
        calendar=policy.calendar(LEGACY_CALENDAR),
        response_target=min(response, resolution),
        resolution_target=resolution,
        running_since=ticket.created_at,
        responded=ticket.status != "open",
    )
    return clock.pause(ticket.updated_at) if ticket.status == "waiting_customer" else clock


@dataclass(frozen=True, slots=True)
class Announcement:
    """A transition the monitor recorded: the outbox row to deliver."""

    alert_id: int
    ticket_id: int
    kind: str
    target: str
    level: int
    at: datetime


class SlaStore:
    """The monitor's queries; each uses the ``sla_next_at`` index or a primary key."""

    def __init__(self, engine: AsyncEngine, policy: Policy) -> None:
        self._engine = engine
        self._policy = policy
        self._sessions = session_factory(engine)

    async def due(self, now: datetime, limit: int) -> list[int]:
        """Tickets whose next transition has come, earliest first."""
        query = (
            select(tickets.c.id)
            .where(tickets.c.sla_next_at <= now)
            .order_by(tickets.c.sla_next_at)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return list((await conn.scalars(query)).all())

    async def next_at(self) -> datetime | None:
        # min() keeps the column's type, so the UTC decoding applies on SQLite too.
        async with self._engine.connect() as conn:
            value: datetime | None = await conn.scalar(select(func.min(tickets.c.sla_next_at)))
        return value

    async def settle(self, ticket_id: int, now: datetime) -> Announcement | None:
        """Bring one ticket's announced standing up to date; the alert if it changed."""
        found = await self.settle_many([ticket_id], now)
        return found[0] if found else None

    async def settle_many(self, ticket_ids: list[int], now: datetime) -> list[Announcement]:
        """Settle a batch in one transaction (one commit, not one per ticket). Each
        update is conditional on the ``sla_rev`` read: a ticket changed meanwhile is
        skipped here and looked at again at the ``sla_next_at`` that change planned."""
        announced_now: list[Announcement] = []
        async with self._sessions.begin() as db:
            for ticket in await db.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids))):
                clock = clock_of(ticket, self._policy)
                old, rev = announced(ticket), ticket.sla_rev
                new = standing(clock, self._policy, now)
                done = await db.execute(
                    update(tickets)
                    .where(tickets.c.id == ticket.id, tickets.c.sla_rev == rev)
                    .values(
                        sla_target=new.target,
                        sla_state=new.state,
                        sla_level=new.level,
                        sla_next_at=next_change(clock, self._policy, now),
                        sla_rev=rev + 1,
                    )
                )
                kind = alert_kind(old, new)
                if done.rowcount != 1 or kind is None:  # type: ignore[attr-defined]
                    continue
                row = await db.execute(
                    insert(alerts).values(
                        ticket_id=ticket.id, at=now, kind=kind, target=new.target, level=new.level
                    )
                )
                alert_id = int(row.inserted_primary_key[0])  # type: ignore[attr-defined]
                announced_now.append(
                    Announcement(alert_id, ticket.id, kind, new.target, new.level, now)
                )
            db.expunge_all()  # the rows were written above; nothing to flush from objects
        return announced_now

    async def postpone(self, ticket_id: int, until: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(tickets).where(tickets.c.id == ticket_id).values(sla_next_at=until)
            )

    async def undelivered(self, limit: int = 1000) -> list[Announcement]:
        query = (
            select(alerts).where(alerts.c.delivered_at.is_(None)).order_by(alerts.c.id).limit(limit)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Announcement(r.id, r.ticket_id, r.kind, r.target, r.level, r.at) for r in rows]

    async def delivered(self, alert_ids: list[int], now: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(alerts).where(alerts.c.id.in_(alert_ids)).values(delivered_at=now)
            )

    async def adopt_unplanned(self, now: datetime, limit: int) -> int:
        """Plan open tickets that have no clock yet (older rows, bulk imports); returns how
        many, so the monitor repeats until none are left."""
        query = (
            select(Ticket)
            .where(Ticket.resolution_target.is_(None), Ticket.status.in_(OPEN_TICKET_STATUSES))
            .limit(limit)
        )
        async with self._sessions.begin() as db:
            rows = list(await db.scalars(query))
            for ticket in rows:
                ticket.sla_calendar = LEGACY_CALENDAR
                if ticket.status != "open" and ticket.responded_at is None:
                    ticket.responded_at = ticket.updated_at  # worked on: responded by then
                due = ticket.due_at
                store_clock(ticket, legacy_clock(ticket, self._policy), self._policy, now)
                ticket.due_at = due if ticket.sla_running_since is not None else None
        return len(rows)
