"""The screen pop's read on PostgreSQL in one round trip of raw asyncpg.

A pop waits for this read, so it is the one path kept below SQLAlchemy. Measured by
``cti-bridge bench`` at 1,000,000 customers (docs/benchmarks.md): the Core path of
:class:`~cti_bridge.store.directory.CustomerDirectory` runs six statements on a pooled
connection (plus its pre-ping), each through SQLAlchemy's async layer, where this runs
one prepared statement for a caller known by their exact number (two when only the
match key finds them): the matching ids and, for a single match, one row carrying the
customer, their phones, open tickets, recent interactions and complaint count
(sub-selects returning arrays of rows, which asyncpg decodes with their types).

Everything else - several candidates, the remembered choice, the customer API, SQLite -
stays on the Core path of the parent class; ``tests/store/test_popread.py`` checks that
both paths build the same record.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.core.phones import CallerNumber
from cti_bridge.core.pop import (
    CHURN_WINDOW_DAYS,
    RECENT_INTERACTIONS,
    CallerMatch,
    CustomerRecord,
    InteractionView,
    TicketView,
)
from cti_bridge.core.states import OPEN_TICKET_STATUSES, TicketKind
from cti_bridge.store.db import normalize_url
from cti_bridge.store.directory import MAX_CANDIDATES, MAX_OPEN_TICKETS, CustomerDirectory

# One round trip: the customers with this number ($1 in the column {column}) and, when
# there is exactly one, their whole card. $2 open ticket statuses, $3 complaints since,
# $4 the call being popped (left out of the history). Always one row: ``matches`` and
# the card's columns (NULL unless ``matches`` is 1).
CARD = f"""
WITH ids AS (
  SELECT DISTINCT customer_id FROM customer_phones WHERE {{column}} = $1 LIMIT {MAX_CANDIDATES}
), n AS (SELECT count(*) AS matches FROM ids)
SELECT n.matches, c.id, c.name, c.company, c.grade, c.segment, c.vip, c.birthday, c.notes,
  c.region, c.language, c.email, c.external_ref,
  ARRAY(SELECT p.e164 FROM customer_phones p WHERE p.customer_id = c.id ORDER BY p.id)
    AS phones,
  ARRAY(SELECT ROW(t.id, t.kind, t.status, t.priority, t.subject, t.created_at, t.due_at,
                   a.display_name)
        FROM tickets t LEFT JOIN agents a ON a.id = t.assignee_id
        WHERE t.customer_id = c.id AND t.status = ANY($2::varchar[])
        ORDER BY t.due_at IS NULL, t.due_at, t.id LIMIT {MAX_OPEN_TICKETS}) AS open_tickets,
  ARRAY(SELECT ROW(i.call_id, i.offered_at, i.direction, i.outcome, a.display_name,
                   i.disposition_code, i.notes, i.queue, i.recording)
        FROM interactions i LEFT JOIN agents a ON a.id = i.agent_id
        WHERE i.customer_id = c.id AND i.call_id IS DISTINCT FROM $4
        ORDER BY i.offered_at DESC, i.id DESC LIMIT {RECENT_INTERACTIONS}) AS recent,
  (SELECT count(*) FROM tickets t WHERE t.customer_id = c.id
     AND t.kind = '{TicketKind.COMPLAINT.value}' AND t.created_at >= $3) AS complaints
FROM n LEFT JOIN customers c ON n.matches = 1 AND c.id = (SELECT min(customer_id) FROM ids)
"""  # noqa: S608 - only constants are formatted in; values are bound
CARD_BY_E164 = CARD.format(column="e164")
CARD_BY_KEY = CARD.format(column="match_key")
# Connections kept open (each has the pop statement prepared), and the most under load.
POOL_MIN = 4
POOL_MAX = 10


class PostgresPopReader(CustomerDirectory):
    def __init__(self, engine: AsyncEngine, database_url: str) -> None:
        super().__init__(engine)
        url = normalize_url(database_url)
        schema = url.query.get("schema")
        if isinstance(schema, tuple):
            schema = schema[-1]
        plain = url.set(drivername="postgresql").difference_update_query(["schema"])
        self._dsn = plain.render_as_string(hide_password=False)
        # Like create_engine: ?schema= becomes the connections' search_path.
        self._server_settings = {"search_path": schema} if schema else {}
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        self._statuses = [str(s) for s in OPEN_TICKET_STATUSES]

    async def open(self) -> None:
        """Connect now, so the first pop does not pay for it (a miss is retried later)."""
        # The database away: find_by_caller tries again; the pop goes out meanwhile.
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            await self._acquire_pool()

    async def _acquire_pool(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn, min_size=POOL_MIN, max_size=POOL_MAX,
                    server_settings=self._server_settings, init=_prepare, reset=_keep,
                )  # fmt: skip
        return self._pool

    async def find_by_caller(
        self, caller: CallerNumber, now: datetime, exclude_call: str | None = None
    ) -> CallerMatch:
        if caller.withheld or (caller.e164 is None and caller.match_key is None):
            return CallerMatch(customer=None)
        pool = self._pool or await self._acquire_pool()
        since = now - timedelta(days=CHURN_WINDOW_DAYS)
        args = (self._statuses, since, exclude_call)
        async with pool.acquire() as conn:
            row = None
            if caller.e164 is not None:
                row = await conn.fetchrow(CARD_BY_E164, caller.e164, *args)
            if (row is None or row["matches"] == 0) and caller.match_key is not None:
                row = await conn.fetchrow(CARD_BY_KEY, caller.match_key, *args)
        if row is None or row["matches"] == 0:
            return CallerMatch(customer=None)
        if row["matches"] > 1:  # candidates to choose from: the general path
            return await super().find_by_caller(caller, now, exclude_call)
        return CallerMatch(customer=_record(row))

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


async def _keep(conn: Any) -> None:
    """A connection goes back to the pool as it is: the pop's statements are reads that
    change no session state, and asyncpg's default reset (``RESET ALL``, ``UNLISTEN *``,
    ...) is one more server round trip for every pop, taken from the same two cores."""


async def _prepare(conn: Any) -> None:
    """Plan the pop's statements when a connection opens, not on a pop's time."""
    await conn.prepare(CARD_BY_E164)
    await conn.prepare(CARD_BY_KEY)


def _record(row: Any) -> CustomerRecord:
    return CustomerRecord(
        id=row["id"],
        name=row["name"],
        company=row["company"],
        grade=row["grade"],
        segment=row["segment"],
        vip=row["vip"],
        birthday=row["birthday"],
        notes=row["notes"],
        region=row["region"],
        language=row["language"],
        email=row["email"],
        external_ref=row["external_ref"],
        phones=tuple(row["phones"]),
        open_tickets=tuple(_ticket(t) for t in row["open_tickets"]),
        recent_interactions=tuple(_interaction(i) for i in row["recent"]),
        complaints_in_window=int(row["complaints"]),
    )


def _ticket(row: Any) -> TicketView:
    """One ``open_tickets`` ROW of :data:`CARD`, its columns in the order selected."""
    ticket_id, kind, status, priority, subject, created_at, due_at, assignee = row
    return TicketView(
        id=ticket_id,
        kind=kind,
        status=status,
        priority=priority,
        subject=subject,
        created_at=created_at,
        due_at=due_at,
        assignee=assignee,
    )


def _interaction(row: Any) -> InteractionView:
    """One ``recent`` ROW of :data:`CARD`, its columns in the order selected."""
    call_id, at, direction, outcome, agent, code, notes, queue, recording = row
    return InteractionView(
        call_id=call_id,
        at=at,
        direction=direction,
        outcome=outcome,
        agent=agent,
        code=code,
        notes=notes,
        queue=queue,
        recording=recording,
    )
