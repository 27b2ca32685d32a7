"""How long does an agent directory refresh hold the event loop? (run it by hand; not a test)

    .venv/bin/python -m tests.services.bench_agent_refresh [new|old] [runs] [git-rev]

2,000 bench agents (``cti_bridge.bench.dataset``) in the PostgreSQL schema
``agentdir_measure`` of ``CTI_TEST_DATABASE_URL`` (or a SQLite URL in ``MEASURE_URL``); the
directory is refreshed ``runs`` times with nothing changed, then ``runs`` times with one
agent's display name changed before each. ``old`` runs ``accounts.py`` and ``agents.py`` as
they were at ``git-rev`` (default: the commit before the fingerprinted refresh), against the
same data, for a before/after comparison.

Printed per case: the longest event-loop iteration during a refresh (each ``_run_once``
timed minus its wait in ``select()``: what a timer or socket due meanwhile waits for), the
max lateness of a task sleeping 1 ms (coarser: epoll rounds its timeout to milliseconds),
the wall time, the net count of new GC-tracked objects (the collector is off while
measuring) and how many ``AgentRef`` objects survived the refresh.
"""

from __future__ import annotations

import asyncio
import asyncio.base_events
import gc
import os
import subprocess
import sys
import time
import types
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import update

from cti_bridge.bench.dataset import agents_t, bench_agents, ensure_schema
from cti_bridge.store.db import create_engine

URL = os.environ.get(
    "MEASURE_URL",
    os.environ.get("CTI_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
)
AGENTS = 2000
BEFORE = "c766d37"

_longest = [0.0]
_waited = [0.0]
_run_once = asyncio.base_events.BaseEventLoop._run_once  # type: ignore[attr-defined]


def _timed_run_once(loop: Any) -> None:
    selector = loop._selector
    if not getattr(selector, "_timed", False):
        select = selector.select

        def timed_select(timeout: float | None = None) -> Any:
            start = time.perf_counter()
            try:
                return select(timeout)
            finally:
                _waited[0] += time.perf_counter() - start

        selector.select, selector._timed = timed_select, True
    _waited[0] = 0.0
    start = time.perf_counter()
    _run_once(loop)
    _longest[0] = max(_longest[0], time.perf_counter() - start - _waited[0])


def _module(rev: str, path: str, name: str) -> types.ModuleType:
    source = subprocess.run(
        ["git", "show", f"{rev}:{path}"], capture_output=True, text=True, check=True
    ).stdout
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(compile(source, path, "exec"), module.__dict__)
    return module


async def _sleeper(stop: asyncio.Event, lateness: list[float]) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(0.001)
        lateness.append(time.perf_counter() - start - 0.001)


async def _measured(refresh: Awaitable[None]) -> tuple[float, float, float]:
    stop, lateness = asyncio.Event(), [0.0]
    sleeper = asyncio.create_task(_sleeper(stop, lateness))
    await asyncio.sleep(0.005)
    lateness[:] = [0.0]
    _longest[0] = 0.0
    start = time.perf_counter()
    await refresh
    wall = time.perf_counter() - start
    await asyncio.sleep(0)  # let the iteration that finished the refresh end, then read
    longest = _longest[0]
    stop.set()
    await sleeper
    return longest * 1000, max(lateness) * 1000, wall * 1000


def _summary(values: list[float]) -> str:
    ordered = sorted(values)
    return f"max {ordered[-1]:6.2f} median {ordered[len(ordered) // 2]:6.2f}"


async def main(mode: str, runs: int, rev: str) -> None:
    if mode == "old":
        accounts = _module(rev, "cti_bridge/store/accounts.py", "old_accounts")
        agents = _module(rev, "cti_bridge/services/agents.py", "old_agents")
        accounts_class, directory_class = accounts.Accounts, agents.AgentDirectory
    else:
        from cti_bridge.services.agents import AgentDirectory
        from cti_bridge.store.accounts import Accounts

        accounts_class, directory_class = Accounts, AgentDirectory
    url = await ensure_schema(URL, "agentdir_measure")
    await bench_agents(url, AGENTS)
    engine = create_engine(url)
    directory = directory_class(accounts_class(engine).all_active)
    refresh: Callable[[], Awaitable[None]] = directory.refresh
    await refresh()
    await refresh()
    asyncio.base_events.BaseEventLoop._run_once = _timed_run_once  # type: ignore[attr-defined]
    gc.disable()
    try:
        for case in ("unchanged", "one changed"):
            steps, lateness, walls, allocated = [], [], [], []
            before: dict[int, Any] = {}
            for n in range(runs):
                if case == "one changed":
                    async with engine.begin() as conn:
                        await conn.execute(
                            update(agents_t)
                            .where(agents_t.c.username == "bench-00007")
                            .values(display_name=f"renamed {n}")
                        )
                before = {a.id: a for a in directory.all()}
                count = gc.get_count()[0]
                step, late, wall = await _measured(refresh())
                allocated.append(gc.get_count()[0] - count)
                steps.append(step)
                lateness.append(late)
                walls.append(wall)
            kept = sum(1 for a in directory.all() if before.get(a.id) is a)
            print(
                f"[{mode}] {case:11s} longest loop iteration {_summary(steps)} ms | "
                f"1 ms sleeper lateness {_summary(lateness)} ms | wall median "
                f"{sorted(walls)[runs // 2]:6.2f} ms | new GC-tracked objects median "
                f"{sorted(allocated)[runs // 2]} | AgentRefs kept {kept}/{len(directory.all())}"
            )
    finally:
        gc.enable()
        asyncio.base_events.BaseEventLoop._run_once = _run_once  # type: ignore[attr-defined]
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(
        main(
            sys.argv[1] if len(sys.argv) > 1 else "new",
            int(sys.argv[2]) if len(sys.argv) > 2 else 30,
            sys.argv[3] if len(sys.argv) > 3 else BEFORE,
        )
    )
