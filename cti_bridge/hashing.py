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
from types import TracebackType
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
        # Places held; given back by the loop or, after a late job, by the pool's thread.
        self._held = 0
        self._lock = threading.Lock()

    def place(self) -> Place:
        """A place in the pool for one job, taken now (:class:`PoolBusy` when there is
        none), so a request can claim it before doing the work that leads to the hash."""
        with self._lock:
            if self._held >= self._capacity:
                raise PoolBusy(f"the {self.name} hashing pool is full")
            self._held += 1
        return Place(self)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on one of the pool's threads; :class:`PoolBusy` when it is full."""
        with self.place() as place:
            return await place.run(fn, *args)

    def _give_back(self, _job: Future[Any] | None = None) -> None:
        with self._lock:
            self._held -= 1

    def close(self) -> None:
        """Drop the jobs still waiting; the running ones finish on their own."""
        self._executor.shutdown(wait=False, cancel_futures=True)


class Place:
    """One job's place in a :class:`HashPool`, held until the block ends and its job (if
    one was started) is over: a caller that gave up does not free a busy thread."""

    def __init__(self, pool: HashPool) -> None:
        self._pool = pool
        self._job: Future[Any] | None = None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._job is not None:
            raise RuntimeError("a place holds one job")
        job: Future[T] = self._pool._executor.submit(fn, *args)
        self._job = job
        return await asyncio.wrap_future(job)

    def __enter__(self) -> Place:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._job is None:
            self._pool._give_back()
        else:
            self._job.add_done_callback(self._pool._give_back)
