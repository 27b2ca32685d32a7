"""The protocol hands frames over in slices, in order, a loop turn apart (no sockets): work
an event starts runs before the rest of a long read is handled (core/pacing.py)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from cti_bridge.ami.framing import MAX_PENDING, Frame
from cti_bridge.ami.protocol import AmiProtocol
from cti_bridge.core.pacing import SLICE_FRAMES, PopPacing
from cti_bridge.pbxsim import encode_event

BANNER = b"Asterisk Call Manager/9.0.0\r\n"


def numbered(first: int, count: int, name: str = "Newstate") -> bytes:
    return b"".join(encode_event(name, [("N", str(n))]) for n in range(first, first + count))


class Receiver:
    """Records what it is handed; starts a worker (tells the pacing) on the frame numbers
    in ``start_on``, as the call service does."""

    def __init__(self, start_on: frozenset[int] = frozenset()) -> None:
        self.seen: list[int] = []
        self.start_on = start_on
        self.pacing = PopPacing(lambda: 0.0)
        self.malformed_frames = 0
        self.skipped = 0
        self.closed_after: list[int] | None = None

    def frame_received(self, frame: Frame) -> None:
        number = int(frame["N"])
        self.seen.append(number)
        if number in self.start_on:
            self.pacing.worker_started()

    def events_skipped(self, count: int) -> None:
        self.skipped += count

    def connection_closed(self, protocol: AmiProtocol, exc: Exception | None) -> None:
        self.closed_after = list(self.seen)


async def turns(protocol: AmiProtocol) -> int:
    """Let the loop turn until the protocol's backlog is handed over; how many turns."""
    count = 0
    while protocol.backlog:
        await asyncio.sleep(0)
        count += 1
    return count


async def test_work_started_by_an_event_runs_before_the_rest_of_the_read() -> None:
    receiver = Receiver(start_on=frozenset({1}))
    protocol = AmiProtocol(receiver, pacing=receiver.pacing)
    ran_at: list[int] = []

    def frame_received(frame: Frame) -> None:
        Receiver.frame_received(receiver, frame)
        if int(frame["N"]) in receiver.start_on:  # the worker runs at the next turn
            asyncio.get_running_loop().call_soon(lambda: ran_at.append(len(receiver.seen)))

    receiver.frame_received = frame_received  # type: ignore[method-assign]
    protocol.data_received(BANNER + numbered(0, 5))
    assert receiver.seen == [0, 1]  # the rest waits for the next turn
    await turns(protocol)
    assert receiver.seen == [0, 1, 2, 3, 4]
    assert ran_at == [2]  # the started work ran before frame 2 was handled


async def test_a_long_read_is_handed_over_in_slices_and_later_reads_queue_behind_it() -> None:
    receiver = Receiver()
    protocol = AmiProtocol(receiver)
    total = SLICE_FRAMES * 3 + 5
    protocol.data_received(BANNER + numbered(0, total))
    assert receiver.seen == list(range(SLICE_FRAMES))
    protocol.data_received(numbered(total, 3))  # read while the backlog waits
    assert len(receiver.seen) == SLICE_FRAMES
    assert await turns(protocol) == 3
    assert receiver.seen == list(range(total + 3))


async def test_what_was_read_before_the_connection_dropped_is_delivered_first() -> None:
    receiver = Receiver(start_on=frozenset({0}))
    protocol = AmiProtocol(receiver, pacing=receiver.pacing)
    protocol.data_received(BANNER + numbered(0, 4))
    assert receiver.seen == [0]
    protocol.connection_lost(None)
    assert receiver.closed_after == [0, 1, 2, 3]
    assert protocol.backlog == 0


async def test_unwanted_events_are_counted_to_the_receiver_not_handed_over() -> None:
    receiver = Receiver()
    protocol = AmiProtocol(receiver, wanted=frozenset({"Newstate"}))
    protocol.data_received(BANNER + numbered(0, 2) + numbered(2, 3, "VarSet") + numbered(5, 1))
    await turns(protocol)
    assert receiver.seen == [0, 1, 5]
    assert receiver.skipped == 3


async def test_an_oversized_block_is_logged_counted_and_the_stream_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver = Receiver()
    protocol = AmiProtocol(receiver)
    protocol.data_received(BANNER + numbered(0, 1))
    junk = b"Event: Junk\r\nData: " + b"y" * 4096
    with caplog.at_level(logging.WARNING, logger="cti_bridge.ami.protocol"):
        for _ in range(MAX_PENDING // len(junk) + 2):
            protocol.data_received(junk)
        protocol.data_received(b"\r\n\r\n" + numbered(1, 2))
    await turns(protocol)
    assert receiver.seen == [0, 1, 2]
    assert receiver.malformed_frames == 1
    [warning] = [r for r in caplog.records if r.name == "cti_bridge.ami.protocol"]
    assert "dropped" in warning.getMessage()
