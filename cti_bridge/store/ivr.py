"""The IVR's reads and writes: lean lookups by caller id or account, PINs, lockouts, surveys.

Lookups are on the IVR's hot path (the caller hears silence while they run), so they are
SQLAlchemy Core on one connection, matching numbers on their own indexed columns like
:mod:`cti_bridge.store.directory`: exact E.164 first, then the match key.

PINs are argon2id hashes (``ivr_pins``). Wrong PINs are counted per account reference *as
keyed in* (``ivr_lockouts``), existing or not, and an unknown reference costs the same hash
verification as a known one: neither the answer, the lockout nor the time taken tells a
caller whether an account exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cti_bridge.core.ivr import IvrCustomer, IvrTicket, latest_open
from cti_bridge.core.phones import CallerNumber
from cti_bridge.hashing import HashPool
from cti_bridge.store.models import (
    OPEN_TICKET_STATUSES,
    Customer,
    CustomerPhone,
    Interaction,
    IvrLockout,
    IvrPin,
    Ticket,
    TicketKind,
    table,
)

MAX_MATCHES = 10
MAX_OPEN_TICKETS = 50
MIN_PIN, MAX_PIN = 4, 12

customers = table(Customer)
phones = table(CustomerPhone)
tickets = table(Ticket)
pins = table(IvrPin)
lockouts = table(IvrLockout)
interactions = table(Interaction)

# OWASP's argon2id minimum (19 MiB, 2 passes): a verification stays well inside the IVR's
# time budget on a busy 2-core machine.
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
_DUMMY_HASH = _hasher.hash("000000")


class InvalidPin(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class PinCheck:
    customer_id: int | None  # set only when the PIN was right
    locked: bool
    failures: int


def hash_pin(pin: str) -> str:
    if not (pin.isdigit() and MIN_PIN <= len(pin) <= MAX_PIN):
        raise InvalidPin(f"a PIN is {MIN_PIN} to {MAX_PIN} digits")
    return _hasher.hash(pin)


def _verify(stored: str | None, pin: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, pin) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


class IvrStore:
    def __init__(self, engine: AsyncEngine, pins: HashPool | None = None) -> None:
        self._engine = engine
        # PIN hashing has threads of its own: a login flood must not delay the caller.
        self._pins = pins if pins is not None else HashPool("pin")

    async def by_caller(self, caller: CallerNumber) -> list[IvrCustomer]:
        """Every customer (up to ten) behind a caller id; several means "ask who".
        Only a single match is loaded with its tickets."""
        if caller.withheld or (caller.e164 is None and caller.match_key is None):
            return []
        async with self._engine.connect() as conn:
            rows = []
            if caller.e164 is not None:
                rows = await _customers_where(conn, phones.c.e164 == caller.e164)
            if not rows and caller.match_key is not None:
                rows = await _customers_where(conn, phones.c.match_key == caller.match_key)
            if len(rows) != 1:
                return [_customer(row, []) for row in rows]
            return [_customer(rows[0], await _open_tickets(conn, rows[0].id))]

    async def by_account(self, account_ref: str) -> IvrCustomer | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(_CUSTOMER_COLUMNS.where(customers.c.external_ref == account_ref))
            ).first()
            if row is None:
                return None
            return _customer(row, await _open_tickets(conn, row.id))

    async def set_pin(self, customer_id: int, pin: str, now: datetime) -> None:
        digest = await self._pins.run(hash_pin, pin)
        async with self._engine.begin() as conn:
            await conn.execute(delete(pins).where(pins.c.customer_id == customer_id))
            await conn.execute(
                insert(pins).values(customer_id=customer_id, pin_hash=digest, updated_at=now)
            )

    async def set_account_pin(self, account_ref: str, pin: str, now: datetime) -> bool:
        """Set the PIN of the customer with this reference; False if there is none."""
        async with self._engine.connect() as conn:
            found = await conn.scalar(
                select(customers.c.id).where(customers.c.external_ref == account_ref)
            )
        if found is None:
            return False
        await self.set_pin(int(found), pin, now)
        return True

    async def check_pin(
        self, account_ref: str, pin: str, now: datetime, *, max_attempts: int, lock_for: timedelta
    ) -> PinCheck:
        """Verify a keyed-in PIN, counting failures; a locked reference is refused
        without looking at the PIN at all."""
        async with self._engine.connect() as conn:
            state = (
                await conn.execute(select(lockouts).where(lockouts.c.account_ref == account_ref))
            ).first()
            if state is not None and state.locked_until is not None and state.locked_until > now:
                return PinCheck(None, True, state.failures)
            found = (
                await conn.execute(
                    select(pins.c.customer_id, pins.c.pin_hash)
                    .join(customers, customers.c.id == pins.c.customer_id)
                    .where(customers.c.external_ref == account_ref)
                )
            ).first()
        stored = None if found is None else found.pin_hash
        if await self._pins.run(_verify, stored, pin):
            await self._clear(account_ref)
            return PinCheck(found.customer_id if found else None, False, 0)
        failures, locked = await self._count_failure(account_ref, now, max_attempts, lock_for)
        return PinCheck(None, locked, failures)

    async def _clear(self, account_ref: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(lockouts).where(lockouts.c.account_ref == account_ref))

    async def _count_failure(
        self, account_ref: str, now: datetime, max_attempts: int, lock_for: timedelta
    ) -> tuple[int, bool]:
        for _ in range(3):  # two callers' first failures may race to insert the row
            try:
                async with self._engine.begin() as conn:
                    return await _add_failure(conn, account_ref, now, max_attempts, lock_for)
            except IntegrityError:
                continue
        raise RuntimeError("could not count a PIN failure")

    async def save_survey(self, call_id: str, score: int) -> bool:
        """Store the caller's 1-5 answer on the call's interaction; False if no such call."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(interactions)
                .where(interactions.c.call_id == call_id)
                .values(satisfaction=score)
            )
        return bool(result.rowcount)


async def _add_failure(
    conn: AsyncConnection, account_ref: str, now: datetime, max_attempts: int, lock_for: timedelta
) -> tuple[int, bool]:
    query = select(lockouts).where(lockouts.c.account_ref == account_ref).with_for_update()
    row = (await conn.execute(query)).first()
    expired = row is None or (row.locked_until is not None and row.locked_until <= now)
    failures = 1 if expired or row is None else row.failures + 1
    locked_until = now + lock_for if failures >= max_attempts else None
    values = {"failures": failures, "locked_until": locked_until, "updated_at": now}
    if row is None:
        await conn.execute(insert(lockouts).values(account_ref=account_ref, **values))
    else:
        await conn.execute(
            update(lockouts).where(lockouts.c.account_ref == account_ref).values(**values)
        )
    return failures, locked_until is not None


_CUSTOMER_COLUMNS = select(
    customers.c.id, customers.c.external_ref, customers.c.name, customers.c.grade, customers.c.vip
)


async def _customers_where(conn: AsyncConnection, condition: ColumnElement[bool]) -> list[Any]:
    query = (
        _CUSTOMER_COLUMNS.join(phones, phones.c.customer_id == customers.c.id)
        .where(condition)
        .distinct()
        .order_by(customers.c.id)
        .limit(MAX_MATCHES)
    )
    return list((await conn.execute(query)).all())


async def _open_tickets(conn: AsyncConnection, customer_id: int) -> list[IvrTicket]:
    query = (
        select(tickets.c.id, tickets.c.kind, tickets.c.status, tickets.c.due_at)
        .where(tickets.c.customer_id == customer_id, tickets.c.status.in_(OPEN_TICKET_STATUSES))
        .order_by(tickets.c.id.desc())
        .limit(MAX_OPEN_TICKETS)
    )
    return [IvrTicket(r.id, r.kind, r.status, r.due_at) for r in await conn.execute(query)]


def _customer(row: Any, open_tickets: list[IvrTicket]) -> IvrCustomer:
    return IvrCustomer(
        id=row.id,
        external_ref=row.external_ref,
        name=row.name,
        grade=row.grade,
        vip=bool(row.vip),
        open_complaint=any(t.kind == TicketKind.COMPLAINT for t in open_tickets),
        latest_ticket=latest_open(open_tickets),
    )
