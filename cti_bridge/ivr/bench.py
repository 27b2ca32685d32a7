"""IVR lookup latency with a large customer base (a command, not a test).

    .venv/bin/python -m cti_bridge.ivr.bench --customers 1000000 --lookups 3000

Creates a PostgreSQL schema of its own, migrates it, seeds ``--customers`` synthetic
customers (two numbers each, :mod:`cti_bridge.store.bulk_seed`), starts the daemon on it
(FastAGI on a free port, HTTP with a bearer token) and then, from a *separate process* so
the client does not share the daemon's CPU time slice, runs ``--lookups`` lookups one after
another over each path:

- ``AGI``: a whole FastAGI session as Asterisk runs it (connect, environment, seven-plus
  ``SET VARIABLE`` round trips, close), timed from connect to the server's close;
- ``HTTP``: ``GET /ivr/v1/lookup?caller=...&format=vars`` on a kept-alive connection.

90 % of the callers are seeded customers, presented as a US trunk does (ten digits, no
``+1``), 10 % are unknown numbers. Every answer is checked (the right customer, or none);
answers that fell back to the defaults because the budget ran out are counted. The same
lookups are then timed inside the daemon (``in-process``: the database part alone). The
schema is dropped at the end unless ``--keep`` (``--schema NAME --keep`` seeds once for
several runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from sqlalchemy import func, select, text

from cti_bridge.app import Daemon
from cti_bridge.ivr.service import Caller
from cti_bridge.pbxsim.agi import fastagi_session
from cti_bridge.settings import DatabaseSettings, IvrSettings, Secret, Settings, WebSettings
from cti_bridge.store.bulk_seed import seed_customers, seed_number
from cti_bridge.store.db import create_engine, normalize_url
from cti_bridge.store.migrate import upgrade
from cti_bridge.store.models import Customer, table

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
TOKEN = "bench-token"  # noqa: S105 - a throwaway token for a daemon that lives for the run
UNKNOWN_SHARE = 0.1
Probe = Callable[[str], Awaitable[dict[str, str]]]


def callers(customers: int, count: int, seed: int = 11) -> list[tuple[str, str | None]]:
    """(caller id as the trunk sends it, expected customer ref or None)."""
    rng = random.Random(seed)
    picks: list[tuple[str, str | None]] = []
    for _ in range(count):
        if rng.random() < UNKNOWN_SHARE:
            picks.append((f"312555{rng.randrange(10_000):04d}", None))
        else:
            index = rng.randrange(customers)
            picks.append((seed_number(index, rng.randrange(2))[2:], f"{index}"))
    return picks


def summary(seconds: list[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds (nearest rank)."""
    ordered = sorted(seconds)

    def rank(share: float) -> float:
        return ordered[max(1, math.ceil(share * len(ordered))) - 1] * 1000

    return {"p50": rank(0.5), "p95": rank(0.95), "p99": rank(0.99), "max": ordered[-1] * 1000}


async def timed(probe: Probe, picks: list[tuple[str, str | None]]) -> dict[str, Any]:
    """Run the lookups one after another: latencies, wrong answers, budget fallbacks."""
    for caller, _ in picks[:100]:  # warm pools, plans and caches
        await probe(caller)
    times, wrong, fallback = [], 0, 0
    for caller, ref in picks:
        started = time.perf_counter()
        variables = await probe(caller)
        times.append(time.perf_counter() - started)
        fallback += variables.get("CTI_STATUS") == "unavailable"
        wrong += (variables.get("CTI_CUSTOMER_ID") == "") != (ref is None)
    return {"ms": summary(times), "wrong": wrong, "fallback": fallback}


# -- the client process -------------------------------------------------------------------


async def agi_lookup(port: int, caller: str) -> dict[str, str]:
    env = {
        "agi_network": "yes",
        "agi_network_script": "lookup",
        "agi_callerid": caller,
        "agi_uniqueid": "1700000000.1",
    }
    return dict(await fastagi_session(("127.0.0.1", port), env))


async def http_lookup(http: aiohttp.ClientSession, url: str, caller: str) -> dict[str, str]:
    params = {"caller": caller, "format": "vars"}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with http.get(f"{url}/ivr/v1/lookup", params=params, headers=headers) as response:
        body = await response.text()
    return dict(line.partition("=")[::2] for line in body.splitlines())


async def run_client(agi_port: int, url: str, customers: int, lookups: int) -> dict[str, Any]:
    picks = callers(customers, lookups)
    results: dict[str, Any] = {}
    async with aiohttp.ClientSession() as http:

        async def over_agi(caller: str) -> dict[str, str]:
            return await agi_lookup(agi_port, caller)

        async def over_http(caller: str) -> dict[str, str]:
            return await http_lookup(http, url, caller)

        probes: dict[str, Probe] = {"AGI": over_agi, "HTTP": over_http}
        for name, probe in probes.items():
            results[name] = await timed(probe, picks)
    return results


# -- the daemon side ----------------------------------------------------------------------


async def prepare(url: str, schema: str, customers: int) -> str:
    """The schema's URL, created, migrated and seeded up to ``customers`` (a schema kept
    by an earlier ``--keep`` run is reused and topped up)."""
    admin = create_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    await admin.dispose()
    target = normalize_url(url).update_query_dict({"schema": schema})
    target_url = target.render_as_string(hide_password=False)
    engine = create_engine(target_url)
    await upgrade(engine)
    async with engine.connect() as conn:
        have = int(await conn.scalar(select(func.count()).select_from(table(Customer))) or 0)
    await engine.dispose()
    started = time.perf_counter()

    def progress(done: int) -> None:
        if done % 200_000 == 0 or have + done == customers:
            print(f"  seeded {have + done:,} customers ({time.perf_counter() - started:.0f} s)")

    if have < customers:
        await seed_customers(target_url, customers - have, start=have, progress=progress)
    return target_url


async def drop(url: str, schema: str) -> None:
    admin = create_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await admin.dispose()


async def measure(url: str, customers: int, lookups: int) -> dict[str, Any]:
    settings = Settings(
        web=WebSettings(port=0),
        database=DatabaseSettings(url=url),
        ivr=IvrSettings(agi_port=0, tokens=(Secret(TOKEN),)),
    )
    daemon = Daemon(settings)
    await daemon.start()
    try:
        args = ["client", str(daemon.ivr.agi_port), daemon.web_urls[0], str(customers)]
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cti_bridge.ivr.bench", *args, str(lookups),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await child.communicate()
        results: dict[str, Any] = json.loads(out)
        service = daemon.web_parts.ivr
        assert service is not None

        async def in_process(caller: str) -> dict[str, str]:
            return await service.lookup(Caller(caller))

        # The same lookups inside the daemon: the database part without any protocol.
        results["in-process"] = await timed(in_process, callers(customers, lookups))
        return results
    finally:
        await daemon.stop()


def report(results: dict[str, Any], customers: int, lookups: int) -> str:
    lines = [
        f"{customers:,} customers, {lookups:,} sequential lookups per path (ms)",
        "| path | p50 | p95 | p99 | max | wrong | fallbacks |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, found in results.items():
        ms = found["ms"]
        cells = [f"{ms[k]:.2f}" for k in ("p50", "p95", "p99", "max")]
        lines.append(f"| {name} | {' | '.join(cells)} | {found['wrong']} | {found['fallback']} |")
    return "\n".join(lines)


async def main(argv: list[str]) -> None:
    if argv[:1] == ["client"]:
        port, url, customers, lookups = argv[1:5]
        print(json.dumps(await run_client(int(port), url, int(customers), int(lookups))))
        return
    parser = argparse.ArgumentParser(prog="python -m cti_bridge.ivr.bench")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=3000)
    parser.add_argument("--schema", default="", help="schema to use (default: a new one)")
    parser.add_argument("--keep", action="store_true", help="keep the seeded schema")
    options = parser.parse_args(argv)
    schema = options.schema or f"ivr_bench_{os.getpid()}"
    print(f"seeding {options.customers:,} customers into schema {schema}")
    try:
        url = await prepare(options.database_url, schema, options.customers)
        results = await measure(url, options.customers, options.lookups)
        print(report(results, options.customers, options.lookups))
    finally:
        if not options.keep:
            await drop(options.database_url, schema)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
