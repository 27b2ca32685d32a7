"""The IVR's reads and writes: lean lookups by caller id or account, PINs, lockouts, surveys.

Lookups are on the IVR's hot path (the caller hears silence while they run), so they are
SQLAlchemy Core on one connection, matching numbers on their own indexed columns like
:mod:`cti_bridge.store.directory`: exact E.164 first, then the match key.

PINs are argon2id hashes (``ivr_pins``). Attempts are counted per account reference *as
keyed in* (``ivr_lockouts``), existing or not, each one before its PIN is checked, and an
unknown reference costs the same hash verification as a known one: neither the answer, the
lockout nor the time taken tells a caller whether an account exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, and_, case, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cti_bridge.core.ivr import IvrCustomer, IvrTicket, latest_open
from cti_bridge.core.phones import CallerNumber
from cti_bridge.core.states import OPEN_TICKET_STATUSES, TicketKind
from cti_bridge.hashing import HashPool
from cti_bridge.store.models import (
    Customer,
    CustomerPhone,
    Interaction,
    IvrLockout,
    IvrPin,
    Ticket,
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
        """Verify a keyed-in PIN. The attempt is counted *before* the (slow) check, in one
        atomic update, so callers racing each other cannot all slip in under the limit: an
        attempt past the limit, or on a locked reference, is refused without looking at the
        PIN. A right PIN then takes its attempt back, unless wrong ones locked the reference
        meanwhile; a wrong one that brings the count to the limit locks it."""
        attempts = await self._reserve(account_ref, now, max_attempts, lock_for)
        if attempts is None:
            return PinCheck(None, True, max_attempts)
        async with self._engine.connect() as conn:
            found = (
                await conn.execute(
                    select(pins.c.customer_id, pins.c.pin_hash)
                    .join(customers, customers.c.id == pins.c.customer_id)
                    .where(customers.c.external_ref == account_ref)
                )
            ).first()
        stored = None if found is None else found.pin_hash
        right = await self._pins.run(_verify, stored, pin)
        async with self._engine.begin() as conn:
            if right and found is not None:
                if await _clear_unless_locked(conn, account_ref, now):
                    return PinCheck(found.customer_id, False, 0)
                return PinCheck(None, True, max_attempts)
            locked = await _lock_if_spent(conn, account_ref, now, max_attempts, lock_for)
        return PinCheck(None, locked, attempts)

    async def _reserve(
        self, account_ref: str, now: datetime, max_attempts: int, lock_for: timedelta
    ) -> int | None:
        """Count one attempt; the count with it, or None when none is left (locked)."""
        for _ in range(3):  # two callers' first attempts may race to insert the row
            try:
                async with self._engine.begin() as conn:
                    return await _take_attempt(conn, account_ref, now, max_attempts, lock_for)
            except IntegrityError:
                continue
        raise RuntimeError("could not count a PIN attempt")

    async def save_survey(self, call_id: str, score: int) -> bool:
        """Store the caller's 1-5 answer on the call's interaction; False if no such call."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(interactions)
                .where(interactions.c.call_id == call_id)
                .values(satisfaction=score)
            )
        return bool(result.rowcount)


async def _take_attempt(
    conn: AsyncConnection, account_ref: str, now: datetime, max_attempts: int, lock_for: timedelta
) -> int | None:
    """``failures`` counts attempts not known to be right, the ones being checked included.
    One UPDATE takes an attempt if one is left (the database serialises it against every
    other); a lockout that has run out, or a count left alone for a lockout's length (an
    attempt whose check never finished), starts again at one."""
    row = lockouts.c
    fresh = or_(
        and_(row.locked_until.is_not(None), row.locked_until <= now),
        and_(row.locked_until.is_(None), row.updated_at <= now - lock_for),
    )
    left = and_(row.locked_until.is_(None), row.failures < max_attempts)
    taken = (
        await conn.execute(
            update(lockouts)
            .where(row.account_ref == account_ref, or_(fresh, left))
            .values(
                failures=case((fresh, 1), else_=row.failures + 1),
                locked_until=None,
                updated_at=now,
            )
            .returning(row.failures)
        )
    ).first()
    if taken is not None:
        return int(taken.failures)
    if await conn.scalar(select(row.failures).where(row.account_ref == account_ref)) is not None:
        return None  # locked, or every attempt taken by checks still running
    await conn.execute(insert(lockouts).values(account_ref=account_ref, failures=1, updated_at=now))
    return 1


async def _clear_unless_locked(conn: AsyncConnection, account_ref: str, now: datetime) -> bool:
    """Forget the count after a right PIN; False when a lockout stands (wrong PINs racing
    this one set it, and a right PIN must not lift it)."""
    row = lockouts.c
    await conn.execute(
        delete(lockouts).where(
            row.account_ref == account_ref,
            or_(row.locked_until.is_(None), row.locked_until <= now),
        )
    )
    left = await conn.scalar(select(row.failures).where(row.account_ref == account_ref))
    return left is None


async def _lock_if_spent(
    conn: AsyncConnection, account_ref: str, now: datetime, max_attempts: int, lock_for: timedelta
) -> bool:
    """After a wrong PIN: lock the reference once its attempts are used up; whether it is
    locked now."""
    row = lockouts.c
    await conn.execute(
        update(lockouts)
        .where(
            row.account_ref == account_ref,
            row.locked_until.is_(None),
            row.failures >= max_attempts,
        )
        .values(locked_until=now + lock_for, updated_at=now)
    )
    until = await conn.scalar(select(row.locked_until).where(row.account_ref == account_ref))
    return until is not None and until > now


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
    return [
        IvrTicket(id=r.id, kind=r.kind, status=r.status, due_at=r.due_at)
        for r in await conn.execute(query)
    ]


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
