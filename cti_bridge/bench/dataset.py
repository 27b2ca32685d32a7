"""The benchmark's data: a PostgreSQL schema of its own with M seeded customers (COPY, via
:mod:`cti_bridge.store.bulk_seed`; kept between runs and topped up), N agents with one
phone each, and a fresh session per agent so the websocket clients need no logins."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import make_url

from cti_bridge.store.accounts import token_digest
from cti_bridge.store.bulk_seed import REF_PREFIX, seed_customers
from cti_bridge.store.db import create_engine, normalize_url
from cti_bridge.store.migrate import upgrade
from cti_bridge.store.models import Agent, AgentInterface, Customer, WebSession, table

agents_t = table(Agent)
interfaces_t = table(AgentInterface)
sessions_t = table(WebSession)
customers_t = table(Customer)

USER_PREFIX = "bench-"
# Not a usable password hash: bench agents never log in with a password.
UNUSABLE_HASH = "!bench"


@dataclass(frozen=True, slots=True)
class BenchAgent:
    id: int
    interface: str
    cookie: str


def schema_url(url: str, schema: str) -> str:
    """``url`` with ``?schema=`` set (PostgreSQL); SQLite URLs are returned unchanged."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    return parsed.update_query_dict({"schema": schema}).render_as_string(hide_password=False)


async def ensure_schema(url: str, schema: str) -> str:
    parsed = make_url(schema_url(url, schema))
    if parsed.get_backend_name() == "postgresql":
        admin = create_engine(parsed.difference_update_query(["schema"]).render_as_string(False))
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        await admin.dispose()
    target = parsed.render_as_string(hide_password=False)
    engine = create_engine(target)
    await upgrade(engine)
    await engine.dispose()
    return target


async def seeded_count(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            found = await conn.scalar(
                select(func.count()).where(customers_t.c.external_ref.like(f"{REF_PREFIX}%"))
            )
    finally:
        await engine.dispose()
    return int(found or 0)


async def seed_up_to(url: str, customers: int, progress: Callable[[int], None]) -> int:
    """Seed customers until ``customers`` exist; returns how many were written now."""
    have = await seeded_count(url)
    missing = max(0, customers - have)
    if missing:
        await seed_customers(url, missing, start=have, progress=progress)
    return missing


async def bench_agents(url: str, count: int, first_interface: int = 10000) -> list[BenchAgent]:
    """``count`` agents ``bench-00000``... with phones ``PJSIP/<first_interface + i>``, each
    with a new session (the old ones are removed)."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    names = [f"{USER_PREFIX}{i:05d}" for i in range(count)]
    try:
        async with engine.begin() as conn:
            known = set((await conn.execute(
                select(agents_t.c.username).where(agents_t.c.username.like(f"{USER_PREFIX}%"))
            )).scalars())  # fmt: skip
            new = [n for n in names if n not in known]
            if new:
                await conn.execute(insert(agents_t), [_agent_row(n, now) for n in new])
            rows = (await conn.execute(
                select(agents_t.c.id, agents_t.c.username).where(agents_t.c.username.in_(names))
            )).all()  # fmt: skip
            ids = {r.username: int(r.id) for r in rows}
            await conn.execute(
                delete(interfaces_t).where(interfaces_t.c.agent_id.in_(ids.values()))
            )
            phones = {n: f"PJSIP/{first_interface + i}" for i, n in enumerate(names)}
            await conn.execute(
                delete(interfaces_t).where(interfaces_t.c.interface.in_(phones.values()))
            )
            await conn.execute(
                insert(interfaces_t),
                [{"agent_id": ids[n], "interface": phones[n]} for n in names],
            )
            await conn.execute(delete(sessions_t).where(sessions_t.c.agent_id.in_(ids.values())))
            tokens = {n: secrets.token_urlsafe(32) for n in names}
            await conn.execute(insert(sessions_t), [
                {"token_hash": token_digest(tokens[n]), "agent_id": ids[n], "created_at": now,
                 "expires_at": now + timedelta(hours=12)}
                for n in names
            ])  # fmt: skip
    finally:
        await engine.dispose()
    return [BenchAgent(ids[n], phones[n], f"cti_session={tokens[n]}") for n in names]


def _agent_row(username: str, now: datetime) -> dict[str, object]:
    return {
        "username": username,
        "display_name": username,
        "role": "agent",
        "password_hash": UNUSABLE_HASH,
        "language": "en",
        "status": "available",
        "active": True,
        "created_at": now,
    }
