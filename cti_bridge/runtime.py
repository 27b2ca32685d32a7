"""Process-wide tuning of the running daemon (``cti-bridge run`` only, never in tests).

Python's cyclic garbage collector stops the event loop while it runs, and a full (oldest
generation) collection walks every tracked object: with 2,000 agents connected that took
up to 300 ms, the longest stall in ``cti-bridge bench`` (docs/benchmarks.md), far above
the pop's own cost. So, once the daemon has started:

- ``gc.freeze()`` moves everything built at start-up (modules, settings, engine, caches)
  out of the collector's sight: it lives as long as the process anyway;
- the youngest generation is collected after 10,000 new objects instead of 700: fewer
  rounds, and fewer objects promoted to where only a full pass finds them;
- a full pass also runs every ``FULL_COLLECTION_SECONDS``: a closed websocket leaves
  reference cycles, and without it they piled up between the (now rarer) automatic full
  passes (``python -m cti_bridge.bench.churn``).

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
FULL_COLLECTION_SECONDS = 30.0


def tune_gc(metrics: Metrics) -> asyncio.Task[None]:
    """Tune the collector; returns the task of the periodic full pass (cancel to stop)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    gc.callbacks.append(_pause_observer(metrics))
    return asyncio.get_running_loop().create_task(_full_passes(), name="gc-full-pass")


async def _full_passes() -> None:
    while True:
        await asyncio.sleep(FULL_COLLECTION_SECONDS)
        gc.collect()


def _pause_observer(metrics: Metrics) -> Callable[[str, dict[str, Any]], None]:
    started = 0.0

    def observe(phase: str, info: dict[str, Any]) -> None:
        nonlocal started
        if phase == "start":
            started = time.perf_counter()
        else:
            metrics.gc_pause.labels(str(info["generation"])).observe(time.perf_counter() - started)

    return observe
