"""The screen pop's read on SQLite in one statement, on the event loop's own thread.

An indexed SQLite read takes tens of microseconds (PERFORMANCE.md); through aiosqlite each
of the Core path's six statements hops to a worker thread and back, which costs more than
the read itself and queues behind whatever else that thread is doing. Here one statement
reads the matching ids and, for a single match, the whole card (JSON arrays for the
phones, open tickets and recent interactions), on a plain ``sqlite3`` connection of its
own: in WAL mode a reader never waits for the writer, so the loop is held only for the
read. A connection that finds the database busy (a WAL recovery, a lock taken by another
program) gives up at once and the pop takes the Core path instead.

Several candidates, the remembered choice, the customer API and an in-memory database stay
on the Core path of the parent class; ``tests/store/test_popread.py`` checks that both
paths build the same record.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import Any

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

log = logging.getLogger(__name__)

_OPEN = ", ".join(f"'{status.value}'" for status in OPEN_TICKET_STATUSES)
# One statement: the customers with this number (first ? in the column {column}) and,
# when there is exactly one, their whole card. Then the call being popped (left out of the
# history) and the start of the complaint window. Always one row. The arrays are built from
# ordered sub-selects, which SQLite aggregates in their order.
CARD = f"""
WITH ids AS (
  SELECT DISTINCT customer_id FROM customer_phones WHERE {{column}} = ? LIMIT {MAX_CANDIDATES}
), n AS (SELECT count(*) AS matches, min(customer_id) AS only FROM ids)
SELECT n.matches, c.id, c.name, c.company, c.grade, c.segment, c.vip, c.birthday, c.notes,
  c.region, c.language, c.email, c.external_ref,
  (SELECT json_group_array(e164) FROM (
     SELECT p.e164 FROM customer_phones p WHERE p.customer_id = c.id ORDER BY p.id)) AS phones,
  (SELECT json_group_array(json_array(id, kind, status, priority, subject, created_at, due_at,
                                      assignee)) FROM (
     SELECT t.id, t.kind, t.status, t.priority, t.subject, t.created_at, t.due_at,
            a.display_name AS assignee
     FROM tickets t LEFT JOIN agents a ON a.id = t.assignee_id
     WHERE t.customer_id = c.id AND t.status IN ({_OPEN})
     ORDER BY t.due_at IS NULL, t.due_at, t.id LIMIT {MAX_OPEN_TICKETS})) AS open_tickets,
  (SELECT json_group_array(json_array(call_id, offered_at, direction, outcome, agent, code,
                                      notes, queue, recording)) FROM (
     SELECT i.call_id, i.offered_at, i.direction, i.outcome, a.display_name AS agent,
            i.disposition_code AS code, i.notes, i.queue, i.recording
     FROM interactions i LEFT JOIN agents a ON a.id = i.agent_id
     WHERE i.customer_id = c.id AND i.call_id IS NOT ?
     ORDER BY i.offered_at DESC, i.id DESC LIMIT {RECENT_INTERACTIONS})) AS recent,
  (SELECT count(*) FROM tickets t WHERE t.customer_id = c.id
     AND t.kind = '{TicketKind.COMPLAINT.value}' AND t.created_at >= ?) AS complaints
FROM n LEFT JOIN customers c ON n.matches = 1 AND c.id = n.only
"""  # noqa: S608 - only constants are formatted in; values are bound
CARD_BY_E164 = CARD.format(column="e164")
CARD_BY_KEY = CARD.format(column="match_key")


class SqlitePopReader(CustomerDirectory):
    def __init__(self, engine: AsyncEngine, database_url: str) -> None:
        super().__init__(engine)
        self._path = normalize_url(database_url).database or ""
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        """Open the read connection now, so the first pop does not pay for it."""
        self._connection()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            # Autocommit: every read is its own transaction and sees the latest commit.
            # No busy wait: a busy database sends the pop down the Core path at once.
            conn = sqlite3.connect(
                self._path, timeout=0, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA query_only=ON")
            self._conn = conn
        return self._conn

    async def find_by_caller(
        self, caller: CallerNumber, now: datetime, exclude_call: str | None = None
    ) -> CallerMatch:
        if caller.withheld or (caller.e164 is None and caller.match_key is None):
            return CallerMatch(customer=None)
        if self._path in ("", ":memory:"):
            return await super().find_by_caller(caller, now, exclude_call)
        since = _stored(now - timedelta(days=CHURN_WINDOW_DAYS))
        try:
            row = self._read(caller, exclude_call, since)
        except sqlite3.OperationalError as exc:
            log.info("pop read on its own connection failed (%s): the general path serves", exc)
            return await super().find_by_caller(caller, now, exclude_call)
        if row is None or row[0] == 0:
            return CallerMatch(customer=None)
        if row[0] > 1:  # candidates to choose from: the general path
            return await super().find_by_caller(caller, now, exclude_call)
        return CallerMatch(customer=_record(row))

    def _read(self, caller: CallerNumber, exclude_call: str | None, since: str) -> Any:
        conn = self._connection()
        row = None
        if caller.e164 is not None:
            row = conn.execute(CARD_BY_E164, (caller.e164, exclude_call, since)).fetchone()
        if (row is None or row[0] == 0) and caller.match_key is not None:
            row = conn.execute(CARD_BY_KEY, (caller.match_key, exclude_call, since)).fetchone()
        return row

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _stored(moment: datetime) -> str:
    """A UTC instant as SQLAlchemy stores it in SQLite, for comparisons in SQL."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _record(row: Any) -> CustomerRecord:
    (_, customer_id, name, company, grade, segment, vip, birthday, notes, region, language,
     email, external_ref, phones, open_tickets, recent, complaints) = row  # fmt: skip
    return CustomerRecord(
        id=customer_id,
        name=name,
        company=company,
        grade=grade,
        segment=segment,
        vip=bool(vip),
        birthday=None if birthday is None else date.fromisoformat(birthday),
        notes=notes,
        region=region,
        language=language,
        email=email,
        external_ref=external_ref,
        phones=tuple(json.loads(phones)),
        open_tickets=tuple(_ticket(t) for t in json.loads(open_tickets)),
        recent_interactions=tuple(_interaction(i) for i in json.loads(recent)),
        complaints_in_window=int(complaints),
    )


def _ticket(item: list[Any]) -> TicketView:
    ticket_id, kind, status, priority, subject, created_at, due_at, assignee = item
    return TicketView(
        id=ticket_id,
        kind=kind,
        status=status,
        priority=priority,
        subject=subject,
        created_at=_instant(created_at),  # type: ignore[arg-type]
        due_at=_instant(due_at),
        assignee=assignee,
    )


def _interaction(item: list[Any]) -> InteractionView:
    call_id, at, direction, outcome, agent, code, notes, queue, recording = item
    return InteractionView(
        call_id=call_id,
        at=_instant(at),  # type: ignore[arg-type]
        direction=direction,
        outcome=outcome,
        agent=agent,
        code=code,
        notes=notes,
        queue=queue,
        recording=recording,
    )
