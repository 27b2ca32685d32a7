"""Who gets the event loop first: the pop path's scheduling policy, in one place.

A screen pop races the agent's hand to the phone, and it shares one event loop with two
kinds of bulk work that could hold it back: reading AMI (one read can carry hundreds of
events during a burst or a catch-up) and writing the call log (a row, legs and audit lines
for every call). The policy, and who follows it:

1. **Reading AMI** (``ami/protocol.py``). Frames go to the tracker in slices of at most
   ``SLICE_FRAMES`` (about 0.1-0.3 ms of work). When handling a frame started a call's
   worker (the call service calls :meth:`PopPacing.worker_started`), the slice ends there and
   the rest of the read waits two turns of the loop: the worker's first step (its customer
   lookup going out to the database) runs at the next turn, and what that step schedules
   (the pop's socket write) at the one after, both before the next frames are handled. Data
   read meanwhile queues behind the backlog, so order is kept.
2. **Building pops** (``services/calls.py`` and ``services/notifier.py``). Everything a pop
   waits for (lookups, building, publishing) runs inside :meth:`PopPacing.building`; the
   moment it went out is noted with :meth:`PopPacing.sent`. The other pops of a ringall
   follow the first within a millisecond or two, so a pop that went out less than
   ``POP_GAP_SECONDS`` ago still counts as in flight.
3. **Writing the call log** (``services/writer.py``). Before each write the writer asks
   :meth:`PopPacing.write_waits`: while a pop is in flight it waits in steps of
   ``WRITE_STEP_SECONDS``, for at most ``WRITE_WAIT_MAX_SECONDS``, and not at all once
   ``BACKLOG_LIMIT`` writes are queued: pops first, but the log never starves and its order
   is kept (in a 200 calls/s burst the writes competing with the pops' lookups made the
   pop's p99 several times longer; ``docs/benchmarks.md``).

Pure: the clock is given (a monotonic one); the waiting itself is the callers'.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

# Frames handed to the tracker in one go at most.
SLICE_FRAMES = 32
# A pop sent less than this long ago still holds the call log's writes back.
POP_GAP_SECONDS = 0.003
# How a call log write waits for pops: in steps of this, at most that long in all ...
WRITE_STEP_SECONDS = 0.002
WRITE_WAIT_MAX_SECONDS = 0.05
# ... and not at all once this many writes are queued.
BACKLOG_LIMIT = 5000


class PopPacing:
    """The shared state of the policy above: one per daemon, given to the AMI links, the
    call service and the call log's writer by the composition root."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._building = 0
        self._last_sent = float("-inf")
        self._turn_requested = False

    # -- reading AMI --------------------------------------------------------------------

    def worker_started(self) -> None:
        """A call's worker was just created: the AMI reader should let it run first."""
        self._turn_requested = True

    def take_turn_request(self) -> bool:
        """Whether a worker was started since the last ask (and forget it)."""
        requested, self._turn_requested = self._turn_requested, False
        return requested

    # -- pops -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def building(self) -> Iterator[None]:
        """Around everything a pop waits for: its lookups, building and sending it."""
        self._building += 1
        try:
            yield
        finally:
            self._building -= 1

    def sent(self) -> None:
        """A pop was just published."""
        self._last_sent = self._clock()

    def pops_in_flight(self) -> bool:
        return self._building > 0 or self._clock() - self._last_sent < POP_GAP_SECONDS

    # -- the call log ---------------------------------------------------------------------

    def write_waits(self, waited: float, queued: int) -> bool:
        """Whether a call log write that has waited ``waited`` seconds, with ``queued``
        more writes behind it, should wait another step."""
        return waited < WRITE_WAIT_MAX_SECONDS and queued < BACKLOG_LIMIT and self.pops_in_flight()
