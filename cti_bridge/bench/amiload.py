"""AMI traffic that pops nobody: real-shaped calls of the simulator, recorded once and
replayed with fresh ids, for the ingest measurement (as fast as the daemon reads) and for
background noise under the pop load (a steady events/s).

The calls ring interfaces that belong to no agent, so they exercise the adapter, the
tracker and the dispatch to the call service, but no lookup and no pop.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator

from cti_bridge.pbxsim import PbxSimulator

UNIQUEID = re.compile(rb"\b1\d{9}\.\d+\b")
NOBODY = ("PJSIP/9990", "PJSIP/9991", "PJSIP/9992")
CHUNK_BYTES = 256 * 1024


class Capture:
    """An event sink on the simulated switch that keeps what it is sent."""

    def __init__(self) -> None:
        self.data = bytearray()

    def wants(self, event_class: str) -> bool:
        return True

    def write(self, data: bytes) -> None:
        self.data += data


async def record_call(sim: PbxSimulator) -> bytes:
    """The bytes of one complete queue call (three phones ring, one answers, hang-up)."""
    capture = Capture()
    sim.pbx.sinks.add(capture)
    try:
        call = sim.place_call(
            "queue_ringall_answered",
            caller_number="+15550000000",
            agents=list(NOBODY),
            ring_seconds=0.01,
            talk_seconds=0.01,
        )
        await call.wait()
    finally:
        sim.pbx.sinks.discard(capture)
    return bytes(capture.data)


def copies(template: bytes, first: int = 0) -> Iterator[bytes]:
    """The template again and again, each copy with its own Uniqueids and Linkedid."""
    count = first
    while True:
        yield renumber(template, count)
        count += 1


def renumber(template: bytes, copy: int) -> bytes:
    ids: dict[bytes, bytes] = {}

    def fresh(match: re.Match[bytes]) -> bytes:
        old = match.group(0)
        if old not in ids:
            ids[old] = b"1%09d.%d" % (copy % 1_000_000_000, len(ids))
        return ids[old]

    return UNIQUEID.sub(fresh, template)


def event_count(template: bytes) -> int:
    return template.count(b"\r\n\r\n")


async def blast(sim: PbxSimulator, template: bytes, events: int) -> int:
    """Write about ``events`` events to every AMI client as fast as TCP takes them;
    returns how many were written."""
    per_copy = event_count(template)
    written, buffer = 0, bytearray()
    for data in copies(template):
        if written >= events:
            break
        buffer += data
        written += per_copy
        if len(buffer) >= CHUNK_BYTES:
            await _write(sim, bytes(buffer))
            buffer.clear()
    if buffer:
        await _write(sim, bytes(buffer))
    return written


async def noise(sim: PbxSimulator, template: bytes, events_per_second: float) -> None:
    """Background call traffic at a steady rate, until cancelled: one whole call's events
    at a time, each when it is due (a switch reports calls as they happen, not in trains
    of hundreds of events)."""
    per_copy = event_count(template)
    interval = per_copy / events_per_second
    source = copies(template, first=500_000_000)
    next_at = time.monotonic()
    while True:
        await _write(sim, next(source))
        # Counted with the switch's own events, so the phase reports all AMI traffic.
        sim.pbx.events_emitted += per_copy
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def _write(sim: PbxSimulator, data: bytes) -> None:
    # Whole events per write: they may interleave with the simulator's own events only
    # between frames. Not through send_raw, which holds the call events back meanwhile
    # (that would hide latency from the measurement).
    sessions = sim.clients
    for session in sessions:
        session.write_now(data)
    await asyncio.gather(*(session.drain() for session in sessions))
