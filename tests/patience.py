"""How long a test waits for something that should happen.

A wait ends the moment its condition holds, so a generous bound costs a passing test
nothing and keeps a loaded machine (shared CI, parallel workers) from failing it. Speed is
measured by the benchmarks, never by a test's deadline. Checks that something does *not*
happen keep short windows: slowness can only make them pass more easily, never fail.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable

PATIENCE = float(os.environ.get("CTI_TEST_PATIENCE", "30"))


async def until(check: Callable[[], bool], within: float = PATIENCE) -> float:
    """Wait for ``check`` to hold (polling); returns the seconds it took."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > within:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)
    return time.monotonic() - started
