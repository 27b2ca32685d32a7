"""One ordered queue for the call log's database writes, off the path of the pops.

Writes of a call must reach the database in order (its row before the answer's update),
but no pop should wait for any of them: a ringall queue pops its second and third agents
without waiting for the first agent's audit line or the call's row. A single writer task
keeps the order; a failed write is logged and counted, and the calls go on. Before each
write it lets the pops in flight pass (``core/pacing.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from cti_bridge.core.pacing import WRITE_STEP_SECONDS, PopPacing
from cti_bridge.services.metrics import Metrics

log = logging.getLogger(__name__)

Write = Callable[[], Awaitable[None]]
# How long shutdown waits for queued writes before giving up on them.
CLOSE_TIMEOUT = 5.0


class OrderedWriter:
    def __init__(self, metrics: Metrics, pacing: PopPacing | None = None) -> None:
        self._metrics = metrics
        self._pacing = pacing
        self._queue: asyncio.Queue[Write] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def submit(self, write: Write) -> None:
        """Queue a write (a function returning its awaitable); never blocks."""
        self._queue.put_nowait(write)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="call-log")

    async def _run(self) -> None:
        while True:
            write = await self._queue.get()
            await self._let_pops_pass()
            try:
                await write()
            except Exception:
                log.exception("call log write failed")
                self._metrics.db_error()
            finally:
                self._queue.task_done()

    async def _let_pops_pass(self) -> None:
        if self._pacing is None:
            return
        waited = 0.0
        while self._pacing.write_waits(waited, self._queue.qsize()):
            await asyncio.sleep(WRITE_STEP_SECONDS)
            waited += WRITE_STEP_SECONDS

    async def drain(self) -> None:
        """Until every write queued so far has been attempted."""
        await self._queue.join()

    async def close(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self.drain()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
