"""panoramisk's ``AMIProtocol`` with a sound reading and writing path.

We keep panoramisk's protocol class (transport bookkeeping) and its ``Action`` objects
(ActionID correlation, completion of list actions); we replace what is broken:

* reading: :class:`~cti_bridge.ami.framing.FrameReader` (incremental UTF-8, empty last
  values kept, bounded buffer, malformed frames counted);
* the startup race: panoramisk attaches the protocol to its ``Manager`` in a callback
  that runs *after* the first ``data_received`` may already have happened, so an event
  that arrives with the connection (real Asterisk sends ``FullyBooted`` right after login)
  raises ``'NoneType' object has no attribute 'dispatch'``. Here the protocol is built
  with its receiver, so there is no window;
* writing: UTF-8 (panoramisk defaults to ASCII and logs the whole action - secret
  included - when encoding fails);
* closing: panoramisk's ``close()`` re-queues and logs pending actions, Login with its
  secret among them. Here pending actions are failed by the link instead.

The protocol only frames; what frames mean is the receiver's business, and the receiver
must not raise (an exception escaping ``data_received`` makes asyncio drop the
connection and the rest of the read).

Frames are handed over in order but in slices, as the pop path's scheduling policy says
(``core/pacing.py``): one read can carry hundreds of events, and the work an event starts -
a ringing call's customer lookup - runs before the rest of the read is handled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any, Protocol

from panoramisk.ami_protocol import AMIProtocol

from cti_bridge.ami.framing import MAX_PENDING, Frame, FrameReader
from cti_bridge.core.pacing import SLICE_FRAMES, PopPacing

log = logging.getLogger(__name__)


class FrameReceiver(Protocol):
    """Where the protocol delivers what it reads."""

    malformed_frames: int

    def frame_received(self, frame: Frame) -> None:
        """Handle one frame (work it starts tells the protocol's :class:`PopPacing`)."""

    def events_skipped(self, count: int) -> None:
        """``count`` events outside the reader's ``wanted`` names were read and dropped."""

    def connection_closed(self, protocol: AmiProtocol, exc: Exception | None) -> None: ...


class AmiProtocol(AMIProtocol):  # type: ignore[misc]  # panoramisk ships no types
    """One TCP connection to an Asterisk manager port."""

    def __init__(
        self,
        receiver: FrameReceiver,
        wanted: frozenset[str] | None = None,
        *,
        pacing: PopPacing | None = None,
        variables: frozenset[str] | None = None,
    ) -> None:
        super().__init__()
        self._receiver = receiver
        self._pacing = pacing if pacing is not None else PopPacing(time.monotonic)
        self.reader = FrameReader(wanted=wanted, variables=variables)
        self._backlog: deque[str] = deque()
        self._resume_scheduled = False
        self._told = (0, 0)  # malformed and skipped counts the receiver was told of
        self._oversized = 0
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.closed = False

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self.encoding = "utf-8"

    def data_received(self, data: bytes) -> None:
        self._backlog.extend(self.reader.split(data))
        if not self._resume_scheduled:
            self._hand_over()
        else:
            self._report_counts()

    def _hand_over(self, *, all_of_it: bool = False) -> None:
        self._resume_scheduled = False
        backlog, parse, receiver = self._backlog, self.reader.parse, self._receiver
        turn_requested = self._pacing.take_turn_request
        handled = 0
        try:
            while backlog:
                frame = parse(backlog.popleft())
                if frame is None:
                    continue
                receiver.frame_received(frame)
                started = turn_requested()
                handled += 1
                if backlog and not all_of_it and (started or handled >= SLICE_FRAMES):
                    self._resume_scheduled = True
                    loop = asyncio.get_running_loop()
                    if started:
                        # One turn more: what the started work schedules in its first step
                        # (a pop's socket write) runs before the rest of the read, too.
                        loop.call_soon(self._hand_over_next_turn)
                    else:
                        loop.call_soon(self._hand_over)
                    return
        finally:
            self._report_counts()

    def _hand_over_next_turn(self) -> None:
        asyncio.get_running_loop().call_soon(self._hand_over)

    def _report_counts(self) -> None:
        """Tell the receiver what the reader found malformed or skipped since last time."""
        reader, told = self.reader, self._told
        if reader.malformed != told[0]:
            self._receiver.malformed_frames += reader.malformed - told[0]
        if reader.skipped != told[1]:
            self._receiver.events_skipped(reader.skipped - told[1])
        self._told = (reader.malformed, reader.skipped)
        if reader.oversized != self._oversized:
            self._oversized = reader.oversized
            log.warning(
                "AMI block longer than %d characters dropped (%d so far on this connection)",
                MAX_PENDING,
                reader.oversized,
            )

    def connection_lost(self, exc: Exception | None) -> None:
        # What was read before the connection went is still delivered, before the loss.
        self._hand_over(all_of_it=True)
        self.closed = True
        if not self.lost.done():
            self.lost.set_result(None)
        self._receiver.connection_closed(self, exc)

    @property
    def backlog(self) -> int:
        """Blocks read but not yet handed over (they wait for the loop's next turn)."""
        return len(self._backlog)

    @property
    def banner(self) -> str:
        return self.reader.banner or ""

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        """Close at once (pending writes dropped): used when the link is judged dead."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()
