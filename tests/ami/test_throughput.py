"""The read path over a long stream cut at arbitrary 64 KB boundaries, as a busy PBX
sends it. The rate is measured by hand, not asserted (machines are shared and noisy):

    .venv/bin/python -m tests.ami.test_throughput 200000

prints events/s from the socket buffer to the handler; docs/benchmarks.md records it.
"""

from __future__ import annotations

import asyncio
import sys
import time

from cti_bridge.ami import AmiLink
from cti_bridge.ami.protocol import AmiProtocol
from cti_bridge.pbxsim import encode_event
from cti_bridge.settings import AsteriskServer
from tests.ami.test_slices import turns

NEWEXTEN = encode_event(
    "Newexten",
    [
        ("Channel", "PJSIP/1001-0000002a"),
        ("ChannelState", "6"),
        ("ChannelStateDesc", "Up"),
        ("CallerIDNum", "+15551234567"),
        ("CallerIDName", "Jane Doe"),
        ("ConnectedLineNum", "+15551234567"),
        ("ConnectedLineName", "Jane Doe"),
        ("Language", "en"),
        ("AccountCode", ""),
        ("Context", "from-internal"),
        ("Exten", "s"),
        ("Priority", "1"),
        ("Uniqueid", "1795385817.12"),
        ("Linkedid", "1795385817.0"),
        ("Extension", "s"),
        ("Application", "AppDial2"),
        ("AppData", "(Outgoing Line)"),
    ],
)


async def ingest(count: int) -> tuple[int, int, float]:
    """Feed ``count`` events through the link's protocol; (handled, counted, seconds)."""
    stream = b"Asterisk Call Manager/9.0.0\r\n" + NEWEXTEN * count
    chunks = [stream[i : i + 65536] for i in range(0, len(stream), 65536)]
    seen = 0

    def handler(server: str, event: dict[str, str]) -> None:
        nonlocal seen
        seen += 1

    link = AmiLink(AsteriskServer(), handler)
    protocol = AmiProtocol(link)
    started = time.perf_counter()
    for chunk in chunks:
        protocol.data_received(chunk)
    await turns(protocol)  # handed over in slices, a loop turn apart
    return seen, link.events_received, time.perf_counter() - started


async def test_every_event_of_a_long_chunked_stream_arrives_once() -> None:
    count = 50_000
    assert (await ingest(count))[:2] == (count, count)


async def _median_rate(runs: int) -> float:
    rates = sorted([runs / (await ingest(runs))[2] for _ in range(5)])
    return rates[2]


if __name__ == "__main__":
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    rate = asyncio.run(_median_rate(runs))
    print(f"AMI link ingest: median {rate:,.0f} events/s over {runs:,} events (5 runs)")
