"""Does the SLA monitor keep up with many open tickets? (run it by hand; not a test)

    .venv/bin/python -m tests.supervision.bench_monitor [tickets ...]

For each size, a fresh PostgreSQL schema (``CTI_TEST_DATABASE_URL``) gets that many open
tickets with planned clocks whose next transitions spread over the coming 30 days. It then
times, on the monitor's own code:

- an idle pass (nothing due): what every wake-up costs; it must not grow with the size;
- the wait planning (the earliest ``sla_next_at``);
- a pass after the clock moved one hour: the tickets due in that hour are settled and
  announced (alert rows written and published on an in-process bus);

and prints the plan of the "what is due" query (an index range scan, not a table scan).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, text

from cti_bridge.bus.local import LocalBus
from cti_bridge.core.sla import DEFAULT_POLICY, SlaClock, next_change
from cti_bridge.services.agents import AgentDirectory
from cti_bridge.services.sla_monitor import SlaMonitor
from cti_bridge.store.accounts import AgentRef
from cti_bridge.store.db import create_engine, normalize_url
from cti_bridge.store.migrate import upgrade
from cti_bridge.store.models import Ticket, table
from cti_bridge.store.service_levels import SlaStore, tickets
from cti_bridge.store.tickets import TicketStore
from tests.store.helpers import add_customer

PG_URL = os.environ.get("CTI_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
BATCH = 5_000


def ticket_row(customer: int, rng: random.Random) -> dict[str, Any]:
    """An open service ticket whose first transition falls in the next 30 days."""
    response, resolution = timedelta(hours=8), timedelta(hours=48)
    target = rng.uniform(1, 30 * 24)  # hours until its response is due
    started = T0 - response + timedelta(hours=target)
    clock = SlaClock(
        calendar=DEFAULT_POLICY.calendar("always"),
        response_target=response,
        resolution_target=resolution,
        running_since=started,
    )
    return {
        "customer_id": customer, "kind": "service", "status": "open", "priority": "normal",
        "subject": "bench", "description": "", "created_at": started, "updated_at": started,
        "due_at": clock.moment(resolution), "response_due_at": clock.moment(response),
        "response_target": response.total_seconds(),
        "resolution_target": resolution.total_seconds(), "sla_calendar": "always",
        "sla_consumed": 0.0, "sla_running_since": started, "sla_target": "response",
        "sla_state": "on_time", "sla_level": 0, "sla_rev": 1,
        "sla_next_at": next_change(clock, DEFAULT_POLICY, T0), "category": "",
        "responsible_party": "", "root_cause": "", "corrective_action": "",
        "complaint_step": "", "channel": "phone",
    }  # fmt: skip


async def seed(url: str, count: int) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    customer = await add_customer(engine, "Bench", "+15550000001")
    rng = random.Random(count)
    for start in range(0, count, BATCH):
        rows = [ticket_row(customer, rng) for _ in range(min(BATCH, count - start))]
        async with engine.begin() as conn:
            await conn.execute(insert(table(Ticket)), rows)
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE tickets"))
    await engine.dispose()


async def timed(fn: Any, repeat: int) -> float:
    """Median milliseconds of ``repeat`` awaits of ``fn()``."""
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


async def measure(url: str, count: int) -> None:
    engine = create_engine(url)
    now = [T0.timestamp()]
    bus = LocalBus(clock=lambda: now[0])
    agents = AgentDirectory(lambda: asyncio.sleep(0, []))
    agents.replace([AgentRef(1, "sue", "Sue", "supervisor", "en", ())])
    store = SlaStore(engine, DEFAULT_POLICY)
    monitor = SlaMonitor(store, TicketStore(engine), bus, agents, clock=lambda: now[0])
    await monitor.run_once()  # first pass: outbox recovery, nothing due
    idle = await timed(monitor.run_once, 50)
    planning = await timed(store.next_at, 50)
    now[0] += 3600
    async with engine.connect() as conn:
        due = await conn.scalar(
            select(text("count(*)"))
            .select_from(tickets)
            .where(tickets.c.sla_next_at <= datetime.fromtimestamp(now[0], UTC))
        )
        plan = await conn.execute(
            text(
                "EXPLAIN SELECT id FROM tickets WHERE sla_next_at <= :t"
                " ORDER BY sla_next_at LIMIT 500"
            ),
            {"t": datetime.fromtimestamp(now[0], UTC)},
        )
        plan_text = " / ".join(r[0].strip() for r in plan)
    began = time.perf_counter()
    sent = await monitor.run_once()
    hour_ms = (time.perf_counter() - began) * 1000
    print(
        f"{count:>8} open | idle pass {idle:6.2f} ms | next-at {planning:5.2f} ms | "
        f"1 h later: {due} due, {sent} alerts in {hour_ms:7.1f} ms "
        f"({1000 * sent / max(hour_ms, 0.001):6.0f} alerts/s)"
    )
    print(f"         plan: {plan_text}")
    now[0] += 23 * 3600  # a burst: the rest of the day at once (a night's backlog)
    began = time.perf_counter()
    sent = await monitor.run_once()
    day_ms = (time.perf_counter() - began) * 1000
    print(f"         a day later: {sent} alerts in {day_ms:.0f} ms ({1000 * sent / day_ms:.0f}/s)")
    await engine.dispose()


async def main(sizes: list[int]) -> None:
    admin = create_engine(PG_URL)
    for count in sizes:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = normalize_url(PG_URL).update_query_dict({"schema": schema})
        try:
            await seed(url.render_as_string(hide_password=False), count)
            await measure(url.render_as_string(hide_password=False), count)
        finally:
            async with admin.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await admin.dispose()


if __name__ == "__main__":
    asyncio.run(main([int(a) for a in sys.argv[1:]] or [1_000, 100_000]))
