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
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from panoramisk.ami_protocol import AMIProtocol

from cti_bridge.ami.framing import Frame, FrameReader


class FrameReceiver(Protocol):
    """Where the protocol delivers what it reads."""

    malformed_frames: int

    def frame_received(self, frame: Frame) -> None: ...

    def connection_closed(self, protocol: AmiProtocol, exc: Exception | None) -> None: ...


class AmiProtocol(AMIProtocol):  # type: ignore[misc]  # panoramisk ships no types
    """One TCP connection to an Asterisk manager port."""

    def __init__(self, receiver: FrameReceiver) -> None:
        super().__init__()
        self._receiver = receiver
        self.reader = FrameReader()
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.closed = False

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self.encoding = "utf-8"

    def data_received(self, data: bytes) -> None:
        before = self.reader.malformed
        frames = self.reader.feed(data)
        if self.reader.malformed != before:
            self._receiver.malformed_frames += self.reader.malformed - before
        for frame in frames:
            self._receiver.frame_received(frame)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.lost.done():
            self.lost.set_result(None)
        self._receiver.connection_closed(self, exc)

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
