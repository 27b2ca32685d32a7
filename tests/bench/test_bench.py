"""The benchmark's own arithmetic, and one tiny end-to-end run of ``cti-bridge bench`` on
PostgreSQL (timings are not asserted: the run must work and lose nothing)."""

from __future__ import annotations

import math
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import text

from cti_bridge.bench.load import PopLedger
from cti_bridge.bench.options import BenchOptions
from cti_bridge.bench.run import run_bench
from cti_bridge.bench.stats import latency_summary, percentile, table
from cti_bridge.pbxsim.simcall import SimCall, Timing
from cti_bridge.store.db import create_engine
from tests.conftest import PG_URL


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([7.0], 0.01) == 7.0
    assert math.isnan(percentile([], 0.5))
    assert latency_summary([0.001, 0.003, 0.002])["max"] == pytest.approx(3.0)


def test_table_is_markdown() -> None:
    out = table(["a", "b"], [["x", 1234], ["y", 0.5]]).splitlines()
    assert out[0].startswith("| a") and out[1].startswith("|--")
    assert "1,234" in out[2] and "0.50" in out[3]


def _call(linkedid: str, rings: dict[str, float]) -> SimCall:
    call = SimCall(
        scenario="s", linkedid=linkedid, caller_number="+1", caller_name="",
        agents=tuple(rings), answer_by=None, timing=Timing(1, 1),
    )  # fmt: skip
    call.ring_times.update(rings)
    return call


def test_pops_are_matched_to_rings_lost_and_misdirected_counted() -> None:
    calls = [_call("1.1", {"A": 10.0, "B": 10.0}), _call("1.2", {"A": 20.0})]
    agent_of = {"A": 1, "B": 2, "C": 3}
    ledger = PopLedger()
    ledger.pop(1, "pbx1:1.1", 10.002)
    ledger.pop(1, "pbx1:1.1", 10.009)  # the same pop again
    ledger.pop(3, "pbx1:1.1", 10.004)  # C never rang for this call
    ledger.pop(1, "pbx1:1.2", 20.001)
    ledger.pop(2, "pbx1:9.9", 5.0)  # another phase's call: not counted here
    out = ledger.outcome(calls, agent_of, "pbx1")
    assert (out.pops_expected, out.pops_received) == (3, 3)
    assert (out.lost, out.misdirected, out.duplicates) == (1, 1, 1)
    assert sorted(round(x * 1000) for x in out.latencies) == [1, 2]


@pytest.mark.postgres
async def test_a_tiny_bench_runs_end_to_end_and_loses_nothing() -> None:
    schema = f"bench_t_{uuid.uuid4().hex[:8]}"
    lines: list[str] = []
    options = BenchOptions(
        database_url=PG_URL, schema=schema, customers=300, agents=6, rate=4, seconds=2,
        ringing=2, burst_rate=8, burst_seconds=1, ring_seconds=0.5, talk_seconds=0.5,
        noise=500, ingest_events=2000, lookup_samples=30,
    )  # fmt: skip
    try:
        assert await run_bench(options, lines.append) == 0
    finally:
        admin = create_engine(PG_URL)
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()
    report = lines[-1]
    rows = {line.split("|")[1].strip(): line for line in report.splitlines() if "|" in line}
    for phase in ("steady", "burst", "steady + 500 ev/s"):
        cells = [c.strip() for c in rows[phase].split("|")[1:-1]]
        expected, received, lost, misdirected = cells[3:7]
        assert expected == received and int(expected) > 0, rows[phase]
        assert (lost, misdirected) == ("0", "0"), rows[phase]
    assert "agents connected / failed" in report and "6 / 0" in report
    assert any("exact number: raw asyncpg" in line for line in lines)


def test_gc_tuning_of_the_running_daemon_is_observed_in_its_metrics() -> None:
    # In a process of its own: freezing the collector must not touch the test run.
    code = (
        "import asyncio, gc; from cti_bridge.services.metrics import Metrics;"
        "from cti_bridge.runtime import tune_gc, GC_THRESHOLDS\n"
        "async def main():\n"
        "    m = Metrics(); task = tune_gc(m)\n"
        "    assert gc.get_threshold() == GC_THRESHOLDS and gc.get_freeze_count() > 0\n"
        "    gc.collect(); task.cancel(); print(m.render().decode())\n"
        "asyncio.run(main())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert 'cti_gc_pause_seconds_count{generation="2"} 1.0' in out


def test_settling_freezes_survivors_and_a_deep_pass_frees_a_frozen_cycle() -> None:
    # In a process of its own: freezing the collector must not touch the test run.
    code = (
        "import gc, weakref; from cti_bridge.runtime import settle\n"
        "class Node: pass\n"
        "a, b = Node(), Node(); a.peer, b.peer = b, a; gone = weakref.ref(a)\n"
        "frozen = gc.get_freeze_count(); settle()\n"
        "assert gc.get_freeze_count() > frozen and gone() is not None\n"
        "del a, b; gc.collect()\n"
        "assert gone() is not None, 'a frozen cycle is out of the collector sight'\n"
        "settle(deep=True); assert gone() is None, 'the deep pass frees it'\n"
        "print('ok')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "ok"
