"""Small builders for store tests."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.core.customers import normalize_phones
from cti_bridge.store.customers import CustomerWriter

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


async def add_customer(engine: AsyncEngine, name: str, *phones: str, **fields: object) -> int:
    numbers = normalize_phones(list(phones), "US", 9)
    values = {"name": name, **fields}
    return await CustomerWriter(engine).create(values, numbers, actor_id=None, at=NOW)
