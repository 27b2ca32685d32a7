"""Bulk seeding of synthetic customers, for benchmarks and capacity tests.

``seed_customers(url, 1_000_000)`` fills a migrated database with a million customers and
their phone numbers in about a minute on PostgreSQL: ids are reserved from the table's
sequence, and customers and phones are streamed with ``COPY`` (asyncpg's binary copy),
one transaction per batch. SQLite has no ``COPY``; there the same rows go through an
``executemany`` insert. Tables are ``ANALYZE``-d at the end so the planner knows their size.

The customers are deterministic: customer number ``i`` (counting from 0 across calls, see
``start``) has ``external_ref`` ``SEED-<i>`` and the numbers :func:`seed_number` gives, so
a load generator can ring in as any seeded customer without reading the database back.
Numbers are North American (``+1`` and ten national digits, a *possible* number in the
sense of :mod:`cti_bridge.core.phones`), so their E.164 form and match key (the last N
national digits) are exact by construction; the tests check them against
:func:`~cti_bridge.core.phones.normalize_stored`, which the CSV importer uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import insert, select, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection

from cti_bridge.store.db import create_engine, is_sqlite, normalize_url
from cti_bridge.store.models import Customer, CustomerPhone, table

REF_PREFIX = "SEED-"
# Area codes for seeded numbers, each holding 8,000,000 (800 exchanges x 10,000 lines).
AREA_CODES = (201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218)
LINES_PER_AREA = 8_000_000
GRADES = ("A", "B", "B", "C", "C", "C", "C", "C", "C", "C")
SEGMENTS = {"A": "most_valuable", "B": "most_growable", "C": "standard"}
VIP_EVERY = 50  # one seeded customer in 50 is a VIP (all of them grade A)

CUSTOMER_COLUMNS = (
    "id",
    "external_ref",
    "name",
    "company",
    "grade",
    "segment",
    "vip",
    "birthday",
    "region",
    "language",
    "email",
    "notes",
    "created_at",
    "updated_at",
)
PHONE_COLUMNS = ("customer_id", "e164", "match_key", "raw", "label")

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class SeedPlan:
    """Which customers to write: numbers ``start .. start+count-1``."""

    start: int
    count: int
    phones_per_customer: int
    match_digits: int
    batch_size: int

    def batches(self) -> Iterator[range]:
        for first in range(self.start, self.start + self.count, self.batch_size):
            yield range(first, min(first + self.batch_size, self.start + self.count))


def seed_number(index: int, which: int = 0, phones_per_customer: int = 2) -> str:
    """The E.164 number ``which`` (0 = the main one) of seeded customer ``index``.

    Every (customer, which) pair gets its own line, so no two seeded customers share a
    number and every lookup of a seeded number has exactly one match."""
    if not 0 <= which < phones_per_customer:
        raise ValueError("which must be below phones_per_customer")
    slot = index * phones_per_customer + which
    area, rest = divmod(slot, LINES_PER_AREA)
    if area >= len(AREA_CODES):
        raise ValueError("index beyond the seeded number plan")
    exchange, line = divmod(rest, 10_000)
    # Exchanges start at 200: a NANP exchange code may not begin with 0 or 1.
    return f"+1{AREA_CODES[area]}{200 + exchange}{line:04d}"


def _customer_row(index: int, customer_id: int, now: datetime) -> tuple[Any, ...]:
    grade = "A" if index % VIP_EVERY == 0 else GRADES[index % len(GRADES)]
    return (
        customer_id,
        f"{REF_PREFIX}{index:08d}",
        f"Seed Customer {index}",
        "",
        grade,
        SEGMENTS[grade],
        index % VIP_EVERY == 0,
        None,
        "",
        "en",
        "",
        "",
        now,
        now,
    )


def _phone_rows(index: int, customer_id: int, plan: SeedPlan) -> Iterator[tuple[Any, ...]]:
    for which in range(plan.phones_per_customer):
        e164 = seed_number(index, which, plan.phones_per_customer)
        label = "main" if which == 0 else "other"
        # national number = the ten digits after "+1"; the match key is its tail.
        yield (customer_id, e164, e164[2:][-plan.match_digits :], e164, label)


def _batch_rows(
    indices: range, ids: Sequence[int], plan: SeedPlan, now: datetime
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    customers = [_customer_row(i, cid, now) for i, cid in zip(indices, ids, strict=True)]
    phones = [row for i, cid in zip(indices, ids, strict=True) for row in _phone_rows(i, cid, plan)]
    return customers, phones


async def seed_customers(
    database_url: str,
    count: int,
    *,
    progress: Progress | None = None,
    start: int = 0,
    phones_per_customer: int = 2,
    match_digits: int = 9,
    batch_size: int = 50_000,
) -> None:
    """Write ``count`` synthetic customers (numbers ``start`` onwards) with their phones
    into the migrated database at ``database_url`` (``?schema=`` honoured on PostgreSQL).

    ``progress`` is called with the number of customers written so far after each
    committed batch. Seeding the same ``start`` twice fails on the unique
    ``external_ref``; that batch is rolled back and earlier batches stay."""
    if count < 0 or start < 0:
        raise ValueError("count and start must not be negative")
    if not 1 <= phones_per_customer <= 10 or not 1 <= match_digits <= 10:
        raise ValueError("phones_per_customer and match_digits must be within 1..10")
    plan = SeedPlan(start, count, phones_per_customer, match_digits, max(1, batch_size))
    if count == 0:
        return
    if is_sqlite(database_url):
        await _seed_sqlite(database_url, plan, progress)
    else:
        await _seed_postgresql(normalize_url(database_url), plan, progress)


def _asyncpg_target(url: URL) -> tuple[str, dict[str, str]]:
    """asyncpg's DSN and server settings for a SQLAlchemy URL (with our ``?schema=``)."""
    schema = url.query.get("schema")
    if isinstance(schema, tuple):
        schema = schema[-1]
    dsn = url.set(drivername="postgresql").difference_update_query(["schema"])
    settings = {"search_path": schema} if schema else {}
    return dsn.render_as_string(hide_password=False), settings


async def _seed_postgresql(url: URL, plan: SeedPlan, progress: Progress | None) -> None:
    dsn, server_settings = _asyncpg_target(url)
    conn = await asyncpg.connect(dsn, server_settings=server_settings)
    try:
        written = 0
        for indices in plan.batches():
            async with conn.transaction():
                # Ids from the table's own sequence: the seeded rows never collide with
                # customers that the daemon or an import create at the same time.
                ids = await conn.fetch(
                    "SELECT nextval(pg_get_serial_sequence('customers', 'id')) "
                    "FROM generate_series(1, $1)",
                    len(indices),
                )
                customers, phones = _batch_rows(
                    indices, [r[0] for r in ids], plan, datetime.now(UTC)
                )
                await conn.copy_records_to_table(
                    "customers", records=customers, columns=CUSTOMER_COLUMNS
                )
                await conn.copy_records_to_table(
                    "customer_phones", records=phones, columns=PHONE_COLUMNS
                )
            written += len(indices)
            if progress is not None:
                progress(written)
        await conn.execute("ANALYZE customers; ANALYZE customer_phones")
    finally:
        await conn.close()


async def _seed_sqlite(url: str, plan: SeedPlan, progress: Progress | None) -> None:
    engine = create_engine(url)
    try:
        written = 0
        for indices in plan.batches():
            async with engine.begin() as conn:
                await _sqlite_batch(conn, indices, plan)
            written += len(indices)
            if progress is not None:
                progress(written)
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


async def _sqlite_batch(conn: AsyncConnection, indices: range, plan: SeedPlan) -> None:
    """One batch by executemany: customers first, then their new ids by reference."""
    customers_t, ref = table(Customer), table(Customer).c.external_ref
    now = datetime.now(UTC)
    names = CUSTOMER_COLUMNS[1:]  # no id: SQLite assigns it
    rows = [dict(zip(names, _customer_row(i, 0, now)[1:], strict=True)) for i in indices]
    await conn.execute(insert(customers_t), rows)
    # Zero-padded references make the batch one range of the unique index.
    first, last = rows[0]["external_ref"], rows[-1]["external_ref"]
    found = await conn.execute(select(ref, customers_t.c.id).where(ref >= first, ref <= last))
    by_ref = {row[0]: row[1] for row in found}
    phones = [
        dict(zip(PHONE_COLUMNS, phone, strict=True))
        for i, row in zip(indices, rows, strict=True)
        for phone in _phone_rows(i, by_ref[row["external_ref"]], plan)
    ]
    await conn.execute(insert(table(CustomerPhone)), phones)
