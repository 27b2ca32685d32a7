"""The bulk seeder on both databases: rows, normalised numbers, progress, lookups."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.core.phones import normalize_caller, normalize_stored
from cti_bridge.store.bulk_seed import seed_customers, seed_number
from cti_bridge.store.directory import CustomerDirectory
from cti_bridge.store.models import Customer, CustomerPhone
from tests.store.helpers import NOW, add_customer


async def _counts(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as conn:
        customers = (await conn.execute(select(func.count()).select_from(Customer))).scalar_one()
        phones = (await conn.execute(select(func.count()).select_from(CustomerPhone))).scalar_one()
    return customers, phones


async def test_seeds_customers_with_numbers_normalised_like_the_importer(
    db_url: str, engine: AsyncEngine
) -> None:
    existing = await add_customer(engine, "Already There", "+1 555 123 4567")
    seen: list[int] = []
    await seed_customers(db_url, 250, progress=seen.append, batch_size=100)
    assert seen == [100, 200, 250]
    assert await _counts(engine) == (251, 501)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(CustomerPhone))).all()
        vips = (await conn.execute(select(func.count()).where(Customer.vip))).scalar_one()
    assert vips == 5  # one in fifty
    for row in rows:
        assert (row.e164, row.match_key) == normalize_stored(row.raw, "US", 9)
    assert len({row.e164 for row in rows}) == len(rows)
    directory = CustomerDirectory(engine)
    # A seeded number dialled the way a US trunk presents it (no +1) finds its customer.
    match = await directory.find_by_caller(normalize_caller(seed_number(123, 1)[2:], "US"), NOW)
    assert match.customer is not None
    assert match.customer.external_ref == "SEED-00000123"
    assert match.customer.id != existing
    assert match.customer.phones == (seed_number(123, 0), seed_number(123, 1))


async def test_continues_from_start_and_refuses_a_repeat(db_url: str, engine: AsyncEngine) -> None:
    await seed_customers(db_url, 30, phones_per_customer=1, batch_size=10)
    await seed_customers(db_url, 20, start=30, phones_per_customer=1)
    assert await _counts(engine) == (50, 50)
    with pytest.raises(
        (IntegrityError, asyncpg.UniqueViolationError), match=r"(?i)unique|duplicate"
    ):
        await seed_customers(db_url, 5, start=45, phones_per_customer=1)
    assert await _counts(engine) == (50, 50)  # the failing batch left nothing behind


def test_seed_numbers_are_distinct_and_bounded() -> None:
    numbers = {seed_number(i, w) for i in range(5000) for w in range(2)}
    assert len(numbers) == 10_000
    assert seed_number(4_000_000) == "+12022000000"  # the second area code begins
    with pytest.raises(ValueError, match="which"):
        seed_number(1, 2)
