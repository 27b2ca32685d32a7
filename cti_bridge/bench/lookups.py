"""Which query path the pop uses, and why: the same lookups through raw asyncpg,
SQLAlchemy Core (what the daemon's ``CustomerDirectory`` runs) and the ORM, against the
seeded customers (PERFORMANCE.md: the ORM costs several times a raw query here)."""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.bench.stats import latency_summary
from cti_bridge.core.phones import normalize_caller
from cti_bridge.store.bulk_seed import _asyncpg_target, seed_number
from cti_bridge.store.db import create_engine, normalize_url, session_factory
from cti_bridge.store.directory import CustomerDirectory
from cti_bridge.store.models import CustomerPhone
from cti_bridge.store.popread import PostgresPopReader

RAW_EXACT = "SELECT customer_id FROM customer_phones WHERE e164 = $1 LIMIT 20"
RAW_POP = """
SELECT c.*, (SELECT array_agg(e164) FROM customer_phones p WHERE p.customer_id = c.id)
FROM customers c WHERE c.id = $1
"""
RAW_RECENT = """
SELECT * FROM interactions WHERE customer_id = $1 ORDER BY offered_at DESC LIMIT 10
"""

Probe = Callable[[str], Awaitable[object]]


async def _measure(probe: Probe, numbers: list[str]) -> dict[str, float]:
    for number in numbers[:50]:  # warm the pool and the plan cache
        await probe(number)
    times = []
    for number in numbers:
        started = time.perf_counter()
        await probe(number)
        times.append(time.perf_counter() - started)
    return {key: value * 1000 for key, value in latency_summary(times).items()}  # -> µs


async def compare(url: str, customers: int, samples: int) -> list[tuple[str, dict[str, float]]]:
    """(path, p50/p95/p99/max in µs) for each query path, ``samples`` lookups each."""
    rng = random.Random(7)
    numbers = [seed_number(rng.randrange(customers)) for _ in range(samples)]
    dsn, server_settings = _asyncpg_target(normalize_url(url))
    raw = await asyncpg.connect(dsn, server_settings=server_settings)
    engine = create_engine(url)
    popread = PostgresPopReader(engine, url)
    try:
        return await _paths(raw, engine, popread, numbers)
    finally:
        await popread.close()
        await raw.close()
        await engine.dispose()


async def _paths(
    raw: asyncpg.Connection, engine: AsyncEngine, popread: PostgresPopReader, numbers: list[str]
) -> list[tuple[str, dict[str, float]]]:
    directory = CustomerDirectory(engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    # Normalised beforehand: only the database path is compared.
    callers = {number: normalize_caller(number, "US") for number in numbers}

    async def raw_exact(number: str) -> object:
        return await raw.fetch(RAW_EXACT, number)

    async def core_exact(number: str) -> object:
        return await directory.find_ids(callers[number])

    async def orm_exact(number: str) -> object:
        async with sessions() as db:
            query = select(CustomerPhone).where(CustomerPhone.e164 == number).limit(20)
            return [p.customer_id for p in (await db.scalars(query)).all()]

    async def raw_pop(number: str) -> object:
        rows = await raw.fetch(RAW_EXACT, number)
        if rows:
            await raw.fetchrow(RAW_POP, rows[0][0])
            await raw.fetch(RAW_RECENT, rows[0][0])
        return rows

    async def core_pop(number: str) -> object:
        return await directory.find_by_caller(callers[number], now)

    async def daemon_pop(number: str) -> object:
        return await popread.find_by_caller(callers[number], now)

    return [
        ("exact number: raw asyncpg", await _measure(raw_exact, numbers)),
        ("exact number: SQLAlchemy Core (API search)", await _measure(core_exact, numbers)),
        ("exact number: SQLAlchemy ORM", await _measure(orm_exact, numbers)),
        ("whole pop read: raw asyncpg, 3 simple queries", await _measure(raw_pop, numbers)),
        ("whole pop read: Core, 6 queries (general path)", await _measure(core_pop, numbers)),
        (
            "whole pop read: raw, 1 statement (daemon's pop path)",
            await _measure(daemon_pop, numbers),
        ),
    ]
