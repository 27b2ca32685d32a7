"""Tickets (inquiries, service requests, complaints) and their history."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cti_bridge.core.pop import TicketDetail, iso, ticket_json
from cti_bridge.core.sla import DEFAULT_POLICY, Policy, SlaClock
from cti_bridge.core.states import OPEN_TICKET_STATUSES, TicketKind, TicketStatus
from cti_bridge.core.ticket_access import ChangeRefused, Editor, TicketFacts, takes, vet_change
from cti_bridge.store.db import session_factory
from cti_bridge.store.idempotent import write_once
from cti_bridge.store.models import Customer, Interaction, Ticket, TicketEvent, table
from cti_bridge.store.service_levels import clock_of, new_clock, store_clock

tickets_table = table(Ticket)
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
# Statuses in which the service-level clock stands still.
CLOCK_STOPPED = (TicketStatus.WAITING_CUSTOMER, TicketStatus.RESOLVED, TicketStatus.CLOSED)


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
    channel: str = "phone"


@dataclass(frozen=True, slots=True)
class AssignmentFacts:
    """What assignment rules match a new ticket on."""

    kind: str
    channel: str
    category: str
    region: str
    number: str


# facts -> agent id to assign, or None when no rule matches.
Assigner = Callable[[AssignmentFacts], int | None]


def ticket_detail(ticket: Ticket) -> TicketDetail:
    """The row as the pure ticket the API shows (``core.pop.ticket_json``)."""
    return TicketDetail(
        id=ticket.id,
        customer_id=ticket.customer_id,
        call_id=ticket.call_id,
        kind=ticket.kind,
        status=ticket.status,
        priority=ticket.priority,
        subject=ticket.subject,
        description=ticket.description,
        assignee_id=ticket.assignee_id,
        created_by_id=ticket.created_by_id,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        due_at=ticket.due_at,
        resolved_at=ticket.resolved_at,
        category=ticket.category,
        responsible_party=ticket.responsible_party,
        root_cause=ticket.root_cause,
        corrective_action=ticket.corrective_action,
        complaint_step=ticket.complaint_step,
        channel=ticket.channel,
        response_due_at=ticket.response_due_at,
        responded_at=ticket.responded_at,
        sla_target=ticket.sla_target,
        sla_state=ticket.sla_state,
        sla_level=ticket.sla_level,
        sla_running_since=ticket.sla_running_since,
    )


class TicketStore:
    """Tickets with their service-level clock: every write re-plans the clock (see
    :mod:`cti_bridge.store.service_levels`) and then tells the ``listeners`` (the SLA
    monitor) that a ticket changed."""

    def __init__(
        self,
        engine: AsyncEngine,
        policy: Policy = DEFAULT_POLICY,
        assigner: Assigner | None = None,
    ) -> None:
        self._sessions = session_factory(engine)
        self.sessions = self._sessions  # for workflows that extend a ticket write
        self.policy = policy
        self._assigner = assigner
        self.listeners: list[Callable[[], None]] = []

    def changed(self) -> None:
        for listener in self.listeners:
            listener()

    async def create(
        self, new: NewTicket, *, actor_id: int | None, now: datetime
    ) -> tuple[dict[str, Any], bool]:
        """Open a ticket with its due time; a repeated ``request_id`` returns the first."""
        return await write_once(
            new.request_id,
            find=lambda request_id: self._by_request(request_id, now),
            write=lambda: self._insert(new, actor_id=actor_id, now=now),
        )

    async def _insert(
        self, new: NewTicket, *, actor_id: int | None, now: datetime
    ) -> dict[str, Any]:
        """Write the ticket, its due time and its ``created`` event in one transaction."""
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
                complaint_step="received" if new.kind == TicketKind.COMPLAINT else "",
                sla_target="response",
                sla_state="on_time",
                sla_level=0,
                sla_rev=0,
            )
            if ticket.assignee_id is None:
                ticket.assignee_id = await self._assign(db, new, customer) or actor_id
            name, clock = new_clock(
                self.policy, new.kind, new.priority, now, vip=customer.vip, grade=customer.grade
            )
            ticket.sla_calendar = name
            store_clock(ticket, clock, self.policy, now)
            db.add(ticket)
            await db.flush()
            _event(db, ticket.id, actor_id, at=now, kind="created", data={"kind": new.kind})
            result = ticket_json(ticket_detail(ticket), now)
        self.changed()
        return result

    async def update(
        self,
        ticket_id: int,
        changes: dict[str, Any],
        *,
        actor_id: int | None,
        now: datetime,
        editor: Editor | None = None,
    ) -> dict[str, Any] | None:
        """Apply ``changes``; with an ``editor``, only as :mod:`cti_bridge.core.ticket_access`
        allows (else :class:`ChangeRefused`, nothing written)."""
        async with self._sessions.begin() as db:
            ticket = await db.get(Ticket, ticket_id, with_for_update=True)
            if ticket is None:
                return None
            if editor is not None:
                changes = await self.vetted(db, ticket, changes, editor)
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
            if {"status", "priority", "due_at"} & set(changes):
                customer = await db.get(Customer, ticket.customer_id)
                self.replan(ticket, changes, now, customer)
            result = ticket_json(ticket_detail(ticket), now)
        self.changed()
        return result

    async def vetted(
        self, db: AsyncSession, ticket: Ticket, changes: dict[str, Any], editor: Editor
    ) -> dict[str, Any]:
        """``changes`` as the access rules allow them, inside the caller's transaction:
        a pooled ticket is claimed for the agent here, or :class:`ChangeRefused`."""
        facts = TicketFacts(
            id=ticket.id,
            kind=ticket.kind,
            status=ticket.status,
            complaint_step=ticket.complaint_step,
            assignee_id=ticket.assignee_id,
        )
        vetted = vet_change(facts, changes, editor)
        if takes(facts, vetted, editor):
            # Taken only if still in the pool as the statement runs: of two agents racing
            # for it, the second finds it gone (SQLite reads above without a row lock).
            claim = await db.execute(
                update(tickets_table)
                .where(tickets_table.c.id == ticket.id, tickets_table.c.assignee_id.is_(None))
                .values(assignee_id=editor.id)
            )
            if claim.rowcount != 1:  # type: ignore[attr-defined]
                raise ChangeRefused(403, "another agent has just taken this ticket")
        return vetted

    def replan(
        self, ticket: Ticket, changes: dict[str, Any], now: datetime, customer: Customer | None
    ) -> None:
        """Move the clock for changed status, priority or due time.

        Leaving ``open`` is the first response. Waiting on the customer, resolved and closed
        stop the clock; going back to open or in progress restarts it. A new priority takes
        that priority's targets; a due time set by a supervisor becomes the resolution
        target (the working time until then)."""
        if ticket.resolution_target is None:
            return  # not planned yet: the monitor plans it from its due time
        clock = clock_of(ticket, self.policy)
        status = changes.get("status")
        if status is not None:
            if status != TicketStatus.OPEN and ticket.responded_at is None:
                ticket.responded_at = now
                clock = clock.respond()
            stopped = status in CLOCK_STOPPED
            clock = clock.pause(now) if stopped else clock.resume(now)
        if "priority" in changes:
            clock = _retarget(clock, self.policy, ticket, customer)
        due = changes.get("due_at")
        if due is not None:
            clock = clock.due_by(due, now)
        store_clock(ticket, clock, self.policy, now)
        if due is not None and clock.running:
            ticket.due_at = due

    async def _assign(self, db: AsyncSession, new: NewTicket, customer: Customer) -> int | None:
        if self._assigner is None:
            return None
        number = customer.phones[0].e164 if customer.phones else ""
        if new.call_id:
            called = await db.scalar(
                select(Interaction.caller_number).where(Interaction.call_id == new.call_id)
            )
            number = called or number
        facts = AssignmentFacts(new.kind, new.channel, new.category, customer.region, number)
        return self._assigner(facts)

    async def get(self, ticket_id: int, now: datetime) -> dict[str, Any] | None:
        async with self._sessions() as db:
            ticket = await db.get(Ticket, ticket_id)
            return None if ticket is None else ticket_json(ticket_detail(ticket), now)

    async def get_many(self, ticket_ids: Sequence[int], now: datetime) -> dict[int, dict[str, Any]]:
        async with self._sessions() as db:
            found = await db.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids)))
            return {t.id: ticket_json(ticket_detail(t), now) for t in found}

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
            return [ticket_json(ticket_detail(t), now) for t in await db.scalars(query)]

    async def _by_request(self, request_id: str, now: datetime) -> dict[str, Any] | None:
        async with self._sessions() as db:
            ticket = await db.scalar(select(Ticket).where(Ticket.request_id == request_id))
            return None if ticket is None else ticket_json(ticket_detail(ticket), now)


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
        "channel": new.channel,
    }


def _retarget(
    clock: SlaClock, policy: Policy, ticket: Ticket, customer: Customer | None
) -> SlaClock:
    vip = customer.vip if customer else False
    grade = customer.grade if customer else "C"
    response, resolution = policy.targets(ticket.kind, ticket.priority, vip=vip, grade=grade)
    return replace(clock, response_target=response, resolution_target=resolution)


def _change(old: Any, new: Any) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime) else value

    return {"from": plain(old), "to": plain(new)}


def _event(
    db: AsyncSession, ticket_id: int, actor_id: int | None, *, at: datetime, kind: str, data: Any
) -> None:
    db.add(TicketEvent(ticket_id=ticket_id, actor_id=actor_id, at=at, kind=kind, data=data))
