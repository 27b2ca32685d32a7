"""The call log: one interaction row per call, and the dispositions agents log on it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cti_bridge.core.pop import HandoffNote, iso
from cti_bridge.store.idempotent import write_once
from cti_bridge.store.models import Agent, Disposition, Interaction, InteractionLeg, table

interactions = table(Interaction)
dispositions = table(Disposition)
legs_table = table(InteractionLeg)
agents = table(Agent)


@dataclass(frozen=True, slots=True)
class CallStart:
    call_id: str
    direction: str
    caller_number: str
    caller_name: str
    dialed: str
    queue: str | None
    customer_id: int | None
    offered_at: datetime
    # The recording's file name (no directory), when known before the row is written.
    recording: str | None = None


@dataclass(frozen=True, slots=True)
class LegRecord:
    """One agent leg of a call, as written when the call is over: the agent's interface
    was offered the call (a pop), maybe answered, and the leg ended as ``outcome``
    (``missed``, ``transferred_away``, ``ended``)."""

    call_id: str
    leg_no: int
    agent_id: int | None
    interface: str
    kind: str
    offered_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    outcome: str
    reason: str | None = None

    def values(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "leg_no": self.leg_no,
            "agent_id": self.agent_id,
            "interface": self.interface[:128],
            "kind": self.kind,
            "offered_at": self.offered_at,
            "answered_at": self.answered_at,
            "ended_at": self.ended_at,
            "outcome": self.outcome,
            "reason": None if self.reason is None else self.reason[:32],
        }


@dataclass(frozen=True, slots=True)
class DispositionRecord:
    id: int
    request_id: str
    call_id: str
    agent_id: int | None
    customer_id: int | None
    code: str
    notes: str
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "request_id": self.request_id,
            "call_id": self.call_id,
            "agent_id": self.agent_id,
            "customer_id": self.customer_id,
            "code": self.code,
            "notes": self.notes,
            "created_at": iso(self.created_at),
        }


def _handled_by(call_id: str, agent_id: int) -> tuple[ColumnElement[bool], Exists]:
    """Columns of a query on the call's row: the agent is the row's, the agent has a leg."""
    leg = (
        select(legs_table.c.call_id)
        .where(legs_table.c.call_id == call_id, legs_table.c.agent_id == agent_id)
        .exists()
    )
    return interactions.c.agent_id == agent_id, leg


class CallLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        dialect = engine.dialect.name
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # Built once, values bound per call: SQLAlchemy reuses its compiled form (half the
        # CPU of building the statement for every call).
        self._insert_start = self._insert(interactions).on_conflict_do_nothing()

    async def start(self, call: CallStart) -> None:
        """Insert the call's row unless it is there already (a resync or a replay)."""
        values = {
            "call_id": call.call_id,
            "direction": call.direction,
            "caller_number": call.caller_number[:64],
            "caller_name": call.caller_name[:200],
            "dialed": call.dialed[:64],
            "queue": call.queue,
            "customer_id": call.customer_id,
            "offered_at": call.offered_at,
            "outcome": "in_progress",
            "recording": call.recording,
        }
        async with self._engine.begin() as conn:
            await conn.execute(self._insert_start, values)

    async def answered(self, call_id: str, agent_id: int | None, at: datetime, wait: float) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(interactions)
                .where(interactions.c.call_id == call_id, interactions.c.answered_at.is_(None))
                .values(answered_at=at, wait_seconds=wait, agent_id=agent_id, outcome="answered")
            )

    async def set_recording(self, call_id: str, name: str) -> None:
        """The file the call is recorded into (a name; the directory is the bridge's)."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(interactions).where(interactions.c.call_id == call_id).values(recording=name)
            )

    async def recording_of(self, call_id: str, agent_id: int) -> tuple[str | None, bool] | None:
        """The call's recording (None: not recorded) and whether ``agent_id`` handled the
        call (as :meth:`handled_by`); None when there is no such call."""
        query = select(interactions.c.recording, *_handled_by(call_id, agent_id)).where(
            interactions.c.call_id == call_id
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else (row[0], bool(row[1]) or bool(row[2]))

    async def agent_changed(self, call_id: str, agent_id: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(interactions)
                .where(interactions.c.call_id == call_id)
                .values(agent_id=agent_id)
            )

    async def ended(
        self,
        call_id: str,
        at: datetime,
        talk: float | None,
        outcome: str,
        legs: Sequence[LegRecord] = (),
    ) -> None:
        """Close the call's row; its agent legs are written in the same transaction."""
        values: dict[str, Any] = {"ended_at": at, "outcome": outcome}
        if talk is not None:
            values["talk_seconds"] = talk
        async with self._engine.begin() as conn:
            await conn.execute(
                update(interactions).where(interactions.c.call_id == call_id).values(**values)
            )
            await self._write_legs(conn, legs)

    async def abandoned(
        self, call: CallStart, at: datetime, legs: Sequence[LegRecord] = ()
    ) -> None:
        """A caller who gave up: the row may not exist yet if nobody's phone ever rang."""
        await self.start(call)
        wait = max(0.0, (at - call.offered_at).total_seconds())
        async with self._engine.begin() as conn:
            await conn.execute(
                update(interactions)
                .where(interactions.c.call_id == call.call_id)
                .values(ended_at=at, wait_seconds=wait, outcome="abandoned")
            )
            await self._write_legs(conn, legs)

    async def _write_legs(self, conn: AsyncConnection, legs: Sequence[LegRecord]) -> None:
        """One statement for all legs; a replayed call's legs are there already."""
        if legs:
            statement = self._insert(legs_table).on_conflict_do_nothing()
            await conn.execute(statement, [leg.values() for leg in legs])

    async def legs(self, call_id: str) -> list[LegRecord]:
        """The call's legs in the order they were offered."""
        query = (
            select(legs_table).where(legs_table.c.call_id == call_id).order_by(legs_table.c.leg_no)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        fields = LegRecord.__dataclass_fields__
        return [LegRecord(**{key: row[key] for key in fields}) for row in rows]

    async def notes_so_far(self, call_id: str) -> list[HandoffNote]:
        """Dispositions and notes agents saved on this call, oldest first (warm hand-off)."""
        query = (
            select(
                agents.c.display_name,
                dispositions.c.created_at,
                dispositions.c.code,
                dispositions.c.notes,
            )
            .select_from(dispositions.outerjoin(agents, agents.c.id == dispositions.c.agent_id))
            .where(dispositions.c.call_id == call_id)
            .order_by(dispositions.c.created_at, dispositions.c.id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            HandoffNote(agent=name or "", at=at, code=code, text=text)
            for name, at, code, text in rows
        ]

    async def exists(self, call_id: str) -> bool:
        async with self._engine.connect() as conn:
            found = await conn.scalar(
                select(interactions.c.id).where(interactions.c.call_id == call_id)
            )
            return found is not None

    async def handled_by(self, call_id: str, agent_id: int) -> bool | None:
        """Whether the call was offered to or taken by the agent: one of its legs, or the
        agent the row names (answered; legs are written when the call ends). None when
        there is no such call."""
        query = select(*_handled_by(call_id, agent_id)).where(interactions.c.call_id == call_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else bool(row[0]) or bool(row[1])

    async def add_disposition(
        self,
        *,
        request_id: str,
        call_id: str,
        agent_id: int | None,
        customer_id: int | None,
        code: str,
        notes: str,
        at: datetime,
    ) -> tuple[DispositionRecord, bool]:
        """Record a disposition once per ``request_id``; returns (record, created)."""
        record = DispositionRecord(0, request_id, call_id, agent_id, customer_id, code, notes, at)
        return await write_once(
            request_id, find=self.disposition, write=lambda: self._insert_disposition(record)
        )

    async def _insert_disposition(self, record: DispositionRecord) -> DispositionRecord:
        """Insert the disposition and copy its code and notes onto the call's row."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                insert(dispositions).values(
                    request_id=record.request_id,
                    call_id=record.call_id,
                    agent_id=record.agent_id,
                    customer_id=record.customer_id,
                    code=record.code,
                    notes=record.notes,
                    created_at=record.created_at,
                )
            )
            changes: dict[str, Any] = {"disposition_code": record.code, "notes": record.notes}
            if record.customer_id is not None:
                changes["customer_id"] = record.customer_id
            await conn.execute(
                update(interactions)
                .where(interactions.c.call_id == record.call_id)
                .values(**changes)
            )
        new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return replace(record, id=new_id)

    async def disposition(self, request_id: str) -> DispositionRecord | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(dispositions).where(dispositions.c.request_id == request_id)
                )
            ).first()
        if row is None:
            return None
        return DispositionRecord(
            id=row.id,
            request_id=row.request_id,
            call_id=row.call_id,
            agent_id=row.agent_id,
            customer_id=row.customer_id,
            code=row.code,
            notes=row.notes,
            created_at=row.created_at,
        )
