"""Process-wide tuning of the running daemon (``cti-bridge run`` only, never in tests).

Python's cyclic garbage collector stops the event loop while it runs, and a full (oldest
generation) collection walks every tracked object: with 2,000 agents connected (about
210,000 objects, most of them the sockets' aiohttp state) that is a 170-300 ms stall, far
above a pop's own cost, and it came every 30 s (docs/benchmarks.md). So, once the daemon
has started:

- ``gc.freeze()`` moves everything alive at start-up out of the collector's sight;
- the youngest generation is collected after 10,000 new objects instead of 700: fewer
  rounds, and fewer short-lived objects promoted to where only a full pass finds them;
- every ``SETTLE_SECONDS`` a full pass runs over what is *not* frozen (what survived since
  the last pass: 1-5 ms at 20 calls/s, 10-35 ms in a burst of 200 calls/s) and freezes the
  survivors. Long-lived objects (open sockets, the agent directory) are thus walked once,
  not at every full pass; and the pass is short because it comes often;
- every ``DEEP_COLLECTION_SECONDS`` everything is unfrozen and collected once: frozen
  objects are still freed when their last reference goes, but a frozen *cycle* (a socket
  closed after it settled) is only found by this pass. It bounds that garbage to what
  ``DEEP_COLLECTION_SECONDS`` of closing sockets and ending calls leave, at the price of
  one long pause per interval instead of one every 30 s.

Objects are still freed the moment their last reference goes; only cycles wait longer.
Each pause is observed in the ``cti_gc_pause_seconds`` histogram.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from typing import Any

from cti_bridge.services.metrics import Metrics

GC_THRESHOLDS = (10_000, 10, 10)
SETTLE_SECONDS = 1.0
DEEP_COLLECTION_SECONDS = 600.0


def tune_gc(metrics: Metrics) -> asyncio.Task[None]:
    """Tune the collector; returns the task of the periodic passes (cancel to stop)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    gc.callbacks.append(_pause_observer(metrics))
    return asyncio.get_running_loop().create_task(_periodic_passes(), name="gc-passes")


def settle(*, deep: bool = False) -> None:
    """Collect what is not frozen (everything when ``deep``), then freeze the survivors."""
    if deep:
        gc.unfreeze()
    gc.collect()
    gc.freeze()


async def _periodic_passes() -> None:
    since_deep = 0.0
    while True:
        await asyncio.sleep(SETTLE_SECONDS)
        since_deep += SETTLE_SECONDS
        deep = since_deep >= DEEP_COLLECTION_SECONDS
        if deep:
            since_deep = 0.0
        settle(deep=deep)


def _pause_observer(metrics: Metrics) -> Callable[[str, dict[str, Any]], None]:
    started = 0.0

    def observe(phase: str, info: dict[str, Any]) -> None:
        nonlocal started
        if phase == "start":
            started = time.perf_counter()
        else:
            metrics.gc_pause.labels(str(info["generation"])).observe(time.perf_counter() - started)

    return observe
