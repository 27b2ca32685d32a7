"""Process-wide tuning of the running daemon (``cti-bridge run`` only, never in tests).

Python's cyclic garbage collector stops the event loop while it runs, and a full (oldest
generation) collection walks every tracked object: with 2,000 agents connected that took
up to 300 ms, the longest stall in ``cti-bridge bench`` (docs/benchmarks.md), far above
the pop's own cost. So, once the daemon has started:

- ``gc.freeze()`` moves everything built at start-up (modules, settings, engine, caches)
  out of the collector's sight: it lives as long as the process anyway;
- collections run after 10,000 new objects instead of 700, and the oldest generation after
  100 younger rounds instead of 10: fewer, similar-sized pauses (measured: full pauses
  300 -> 40 ms, the GC's total time in a 200 calls/s burst 1.3 s -> 0.4 s).

Objects are still freed the moment their last reference goes; only cycles wait longer.
Each pause is observed in the ``cti_gc_pause_seconds`` histogram.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from cti_bridge.services.metrics import Metrics

GC_THRESHOLDS = (10_000, 20, 100)


def tune_gc(metrics: Metrics) -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    started = 0.0

    def observe(phase: str, info: dict[str, Any]) -> None:
        nonlocal started
        if phase == "start":
            started = time.perf_counter()
        else:
            metrics.gc_pause.labels(str(info["generation"])).observe(time.perf_counter() - started)

    gc.callbacks.append(observe)
