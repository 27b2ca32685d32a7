"""What the agent desk writes and reads beyond the customer card: notes, remembered caller
choices, the agent's own status and language, and the one timeline of a customer's
contacts (calls, tickets, notes) that shows colleagues' work next to one's own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cti_bridge.core.phones import CallerNumber
from cti_bridge.core.pop import iso
from cti_bridge.core.states import AgentStatus
from cti_bridge.store.audit import write_audit
from cti_bridge.store.idempotent import write_once
from cti_bridge.store.models import (
    Agent,
    AgentStatusLog,
    CallerChoice,
    CustomerNote,
    Interaction,
    Ticket,
    table,
)

TIMELINE_ITEMS = 20

choices = table(CallerChoice)
notes = table(CustomerNote)
interactions = table(Interaction)
tickets = table(Ticket)
agents = table(Agent)
status_log = table(AgentStatusLog)


def choice_key(caller: CallerNumber) -> str | None:
    """The number a choice is remembered under: E.164 when known, else the match key."""
    return caller.e164 or caller.match_key


@dataclass(frozen=True, slots=True)
class NoteRecord:
    id: int
    customer_id: int
    agent: str | None
    call_id: str | None
    text: str
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "agent": self.agent,
            "call_id": self.call_id,
            "text": self.text,
            "created_at": iso(self.created_at),
        }


class DeskStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        dialect = engine.dialect.name
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert

    # -- caller choices ---------------------------------------------------------------------

    async def remember_choice(
        self,
        number: str,
        customer_id: int,
        *,
        agent_id: int,
        at: datetime,
        call_id: str | None,
        remote: str = "",
    ) -> None:
        """Bind ``number`` to ``customer_id`` (replacing an earlier choice), attach the call
        that prompted it to that customer, and audit it, in one transaction."""
        values = {"number": number, "customer_id": customer_id, "agent_id": agent_id}
        statement = self._insert(choices).values(**values, chosen_at=at)
        statement = statement.on_conflict_do_update(
            index_elements=[choices.c.number], set_={**values, "chosen_at": at}
        )
        async with self._engine.begin() as conn:
            await conn.execute(statement)
            if call_id:
                # Only a call nobody has attached yet: never move a call off a customer.
                await conn.execute(
                    update(interactions)
                    .where(interactions.c.call_id == call_id, interactions.c.customer_id.is_(None))
                    .values(customer_id=customer_id)
                )
            await write_audit(
                conn,
                "caller_choice",
                at=at,
                actor_id=agent_id,
                target_type="customer",
                target_id=customer_id,
                detail={"number": number, "call_id": call_id},
                remote=remote,
            )

    # -- notes ------------------------------------------------------------------------------

    async def add_note(
        self,
        customer_id: int,
        text: str,
        *,
        agent_id: int,
        call_id: str | None,
        request_id: str | None,
        at: datetime,
    ) -> tuple[NoteRecord, bool]:
        """Store a note once per ``request_id``; returns (note, created)."""
        values = {
            "request_id": request_id,
            "customer_id": customer_id,
            "agent_id": agent_id,
            "call_id": call_id,
            "text": text,
            "created_at": at,
        }
        return await write_once(
            request_id, find=self._note_by_request, write=lambda: self._insert_note(values)
        )

    async def _insert_note(self, values: dict[str, Any]) -> NoteRecord:
        """Insert the note; a missing customer fails its foreign key (an IntegrityError)."""
        async with self._engine.begin() as conn:
            result = await conn.execute(insert(notes).values(**values))
            note_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return await self._note(note_id)

    async def _note_by_request(self, request_id: str) -> NoteRecord | None:
        async with self._engine.connect() as conn:
            found = await conn.scalar(select(notes.c.id).where(notes.c.request_id == request_id))
        return None if found is None else await self._note(int(found))

    async def _note(self, note_id: int) -> NoteRecord:
        query = (
            select(notes, agents.c.display_name.label("agent_name"))
            .outerjoin(agents, agents.c.id == notes.c.agent_id)
            .where(notes.c.id == note_id)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).one()
        return NoteRecord(
            row.id, row.customer_id, row.agent_name, row.call_id, row.text, row.created_at
        )

    # -- the agent's own settings -----------------------------------------------------------

    async def set_agent(self, agent_id: int, **values: str) -> None:
        """Set ``status`` and/or ``language`` of an agent."""
        async with self._engine.begin() as conn:
            await conn.execute(update(agents).where(agents.c.id == agent_id).values(**values))

    async def set_status(self, agent_id: int, status: str, reason: str, at: datetime) -> None:
        """The agent's status, its pause reason ("" unless away) and since when it holds;
        logged for the reports in the same transaction."""
        values = {"status": status, "status_reason": reason, "status_since": at}
        async with self._engine.begin() as conn:
            changed = await conn.execute(
                update(agents).where(agents.c.id == agent_id).values(**values)
            )
            if changed.rowcount:
                await conn.execute(
                    insert(status_log).values(
                        agent_id=agent_id, status=status, reason=reason, started_at=at
                    )
                )

    async def log_presence(self, agent_id: int, present: bool, at: datetime) -> None:
        """The agent's desk opened (``present``: their current status holds again from
        ``at``) or its last socket closed (``offline`` from ``at``). An agent who never
        chose a status, or no such agent, logs nothing on opening; nor does one whose log
        already shows them present (a status chosen while this write waited)."""
        async with self._engine.begin() as conn:
            if present:
                last = (
                    await conn.execute(
                        select(status_log.c.status)
                        .where(status_log.c.agent_id == agent_id)
                        .order_by(status_log.c.started_at.desc(), status_log.c.id.desc())
                        .limit(1)
                    )
                ).scalar_one_or_none()
                if last is not None and last != AgentStatus.OFFLINE:
                    return
                row = (
                    await conn.execute(
                        select(agents.c.status, agents.c.status_reason).where(
                            agents.c.id == agent_id
                        )
                    )
                ).one_or_none()
                if row is None or row.status == AgentStatus.OFFLINE:
                    return
                status, reason = row.status, row.status_reason
            else:
                status, reason = AgentStatus.OFFLINE, ""
            await conn.execute(
                insert(status_log).values(
                    agent_id=agent_id, status=status, reason=reason, started_at=at
                )
            )

    async def status_and_reason(self, agent_id: int) -> tuple[str, str] | None:
        found = await self.status_since(agent_id)
        return None if found is None else found[:2]

    async def status_since(self, agent_id: int) -> tuple[str, str, datetime | None] | None:
        """(status, pause reason, since when) of an agent; None for no such agent."""
        query = select(agents.c.status, agents.c.status_reason, agents.c.status_since).where(
            agents.c.id == agent_id
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).one_or_none()
        if row is None:
            return None
        return str(row.status), str(row.status_reason), row.status_since

    async def agent_status(self, agent_id: int) -> str | None:
        async with self._engine.connect() as conn:
            found = await conn.scalar(select(agents.c.status).where(agents.c.id == agent_id))
            return None if found is None else str(found)

    # -- timeline ---------------------------------------------------------------------------

    async def timeline(self, customer_id: int, limit: int = TIMELINE_ITEMS) -> list[dict[str, Any]]:
        """The customer's last contacts, newest first: calls, tickets and notes together."""
        items: list[dict[str, Any]] = []
        async with self._engine.connect() as conn:
            for source in SOURCES:
                items.extend(map(source.item, await source.latest(conn, customer_id, limit)))
        items.sort(key=lambda item: (item["at"], item["kind"]), reverse=True)
        return items[:limit]


def _call_item(r: Row[Any]) -> dict[str, Any]:
    return {
        "kind": "call",
        "at": iso(r.offered_at),
        "agent": r.agent_name,
        "call_id": r.call_id,
        "direction": r.direction,
        "queue": r.queue,
        "outcome": r.outcome,
        "code": r.disposition_code,
        "text": r.notes,
        "recording": r.recording,  # the file's name: the web layer makes it a URL
    }


def _ticket_item(r: Row[Any]) -> dict[str, Any]:
    return {
        "kind": "ticket",
        "at": iso(r.created_at),
        "agent": r.agent_name,
        "ticket_id": r.id,
        "ticket_kind": r.kind,
        "outcome": r.status,
        "code": r.priority,
        "text": r.subject,
        "due_at": iso(r.due_at),
    }


def _note_item(r: Row[Any]) -> dict[str, Any]:
    return {
        "kind": "note",
        "at": iso(r.created_at),
        "agent": r.agent_name,
        "call_id": r.call_id,
        "outcome": None,
        "code": None,
        "text": r.text,
    }


@dataclass(frozen=True, slots=True)
class _Source:
    """Where one kind of contact comes from: its table, the agent behind each row (calls:
    who answered; tickets: who opened it; notes: who wrote it), its time, its item."""

    table: Table
    agent_column: ColumnElement[Any]
    at_column: ColumnElement[Any]
    item: Callable[[Row[Any]], dict[str, Any]]

    async def latest(self, conn: AsyncConnection, customer_id: int, limit: int) -> list[Row[Any]]:
        query = (
            select(self.table, agents.c.display_name.label("agent_name"))
            .outerjoin(agents, agents.c.id == self.agent_column)
            .where(self.table.c.customer_id == customer_id)
            .order_by(self.at_column.desc())
            .limit(limit)
        )
        return list(await conn.execute(query))


SOURCES = (
    _Source(interactions, interactions.c.agent_id, interactions.c.offered_at, _call_item),
    _Source(tickets, tickets.c.created_by_id, tickets.c.created_at, _ticket_item),
    _Source(notes, notes.c.agent_id, notes.c.created_at, _note_item),
)
