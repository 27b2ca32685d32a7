"""Bounded thread pools for the deliberately slow hashes (argon2).

Password checks and IVR PIN checks each get their own few threads instead of asyncio's
shared default pool: a flood of logins then waits for the password threads only, and a
caller keying in a PIN is still answered within the IVR's budget. Each pool also bounds how
many jobs may wait; past that, :class:`PoolBusy` is raised at once, so a flood is turned
away instead of queueing for minutes.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

WORKERS = 2
MAX_WAITING = 16


class PoolBusy(RuntimeError):
    """Every thread of the pool is busy and its waiting line is full."""


class HashPool:
    def __init__(self, name: str, *, workers: int = WORKERS, max_waiting: int = MAX_WAITING):
        self.name = name
        self._capacity = workers + max_waiting
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix=f"hash-{name}")
        # Jobs submitted and not finished; changed by the loop and by the pool's threads.
        self._pending = 0
        self._lock = threading.Lock()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on one of the pool's threads; :class:`PoolBusy` when it is full."""
        with self._lock:
            if self._pending >= self._capacity:
                raise PoolBusy(f"the {self.name} hashing pool is full")
            self._pending += 1
        try:
            job = self._executor.submit(fn, *args)
        except BaseException:
            self._finished(None)
            raise
        # Counted until the job is really over: a caller that gave up does not free a thread.
        job.add_done_callback(self._finished)
        return await asyncio.wrap_future(job)

    def _finished(self, _job: Future[Any] | None) -> None:
        with self._lock:
            self._pending -= 1

    def close(self) -> None:
        """Drop the jobs still waiting; the running ones finish on their own."""
        self._executor.shutdown(wait=False, cancel_futures=True)
