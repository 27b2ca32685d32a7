"""The customer lookup of a queue call runs while the caller waits, not when an agent's
phone rings, so it stays off the ring-to-pop path: the tracker's ``CallerIdentified`` on the
caller's channel starts it, and the pop at ring reuses its result.

Real daemon, real database (SQLite and PostgreSQL), the AMI simulator over TCP. The
database is made slow by a delay in front of the daemon's own customer read.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from cti_bridge.pbxsim import PbxSimulator
from tests.clients import nothing_for, receive, receive_type
from tests.e2e.helpers import JANE, interactions
from tests.servers import until
from tests.stack import Stack, pbx_settings, running
from tests.store.helpers import add_customer

# Slower than the ring-to-pop bound asserted below, well inside the lookup timeout.
SLOW = 3.0


@pytest.fixture
async def slow_db(db_url: str, sim: PbxSimulator) -> AsyncIterator[tuple[Stack, list[float]]]:
    """A stack whose customer reads each take ``SLOW`` seconds more; the list gets the
    ``time.time()`` at which each read started."""
    settings = pbx_settings(db_url, sim.port)
    centre = dataclasses.replace(settings.centre, lookup_timeout_ms=int(SLOW * 3000))
    async with running(dataclasses.replace(settings, centre=centre), sim) as stack:
        directory = stack.daemon.lookup._directory
        real = directory.find_by_caller
        started: list[float] = []

        async def slow_find(*args: Any, **kwargs: Any) -> Any:
            started.append(time.time())
            await asyncio.sleep(SLOW)
            return await real(*args, **kwargs)

        directory.find_by_caller = slow_find  # type: ignore[method-assign]
        yield stack, started


def looked_up(stack: Stack) -> float:
    """Customer lookups the daemon finished (its own metric)."""
    count = stack.daemon.metrics.registry.get_sample_value("cti_lookup_latency_seconds_count")
    return count or 0.0


async def test_the_lookup_runs_while_the_caller_waits_and_the_pop_reuses_it(
    slow_db: tuple[Stack, list[float]],
) -> None:
    stack, reads = slow_db
    jane = await add_customer(stack.daemon.engine, "Jane Doe", JANE, grade="A")  # type: ignore[arg-type]
    before = looked_up(stack)
    async with stack.ws("ann") as ann:
        call = stack.sim.place_call(
            "queue_wait",
            caller_number="5551234567",
            caller_name="JANE DOE",
            agents=["PJSIP/1001"],
            answer_by="PJSIP/1001",
            ring_seconds=600,  # the wait and the ring end when the test says so
            talk_seconds=1,
        )
        await until(lambda: looked_up(stack) == before + 1, within=SLOW + 8)
        assert call.ring_times == {}, "the lookup waited for a ring"
        await nothing_for(ann)  # knowing the caller pops nobody

        call.advance()  # the queue rings ann now
        pop = await receive(ann, timeout=SLOW + 5)
        popped_at = time.time()
        rang_at = call.ring_times["PJSIP/1001"]
        assert (pop["type"], pop["call_id"]) == ("screen_pop", f"pbx1:{call.linkedid}")
        assert pop["customer"]["id"] == jane
        assert "lookup_failed" not in pop
        # No database time at ring: the one (slow) read was over before the phone rang.
        assert popped_at - rang_at < SLOW - 1
        assert len(reads) == 1 and reads[0] < rang_at
        assert looked_up(stack) == before + 1

        call.advance()  # ann answers
        assert (await receive_type(ann, "call_update"))["state"] == "answered"
        await call.wait()
        assert (await receive_type(ann, "call_update"))["state"] == "ended"
    await stack.daemon.calls.flush(pop["call_id"])
    [row] = await interactions(stack.daemon)
    assert (row.outcome, row.customer_id, row.queue) == ("answered", jane, "support")
    await until(lambda: stack.daemon.calls.live_count == 0)
    assert len(stack.daemon.trackers["pbx1"]) == 0


async def test_a_caller_who_gives_up_unrung_is_logged_once_and_forgotten(stack: Stack) -> None:
    jane = await add_customer(stack.daemon.engine, "Jane Doe", JANE)  # type: ignore[arg-type]
    before = looked_up(stack)
    async with stack.ws("ann") as ann:
        call = stack.sim.place_call(
            "queue_wait",
            caller_number="5551234567",
            agents=["PJSIP/1001"],
            ring_seconds=600,
        )
        await until(lambda: looked_up(stack) == before + 1)
        call.hangup_caller()
        await call.wait()
        await nothing_for(ann)
    call_id = f"pbx1:{call.linkedid}"
    await stack.daemon.calls.flush(call_id)
    [row] = await interactions(stack.daemon)
    assert (row.call_id, row.outcome, row.customer_id) == (call_id, "abandoned", jane)
    assert row.queue == "support"
    assert looked_up(stack) == before + 1  # the early lookup served the row as well
    await until(lambda: stack.daemon.calls.live_count == 0)
    assert len(stack.daemon.trackers["pbx1"]) == 0
