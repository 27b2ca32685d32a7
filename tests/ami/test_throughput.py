"""The read path keeps up with a busy PBX (PERFORMANCE.md: a slow AMI reader hurts Asterisk).

Measured on the development machine: about 140,000 real-shaped events/s from the socket
buffer to the handler (panoramisk's Manager: 69,000). The bound below leaves a wide margin
for slow CI machines and still catches an accidental quadratic buffer or per-event logging.
"""

from __future__ import annotations

import time

from cti_bridge.ami import AmiLink
from cti_bridge.ami.protocol import AmiProtocol
from cti_bridge.pbxsim import encode_event
from cti_bridge.settings import AsteriskServer

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


async def test_link_ingests_tens_of_thousands_of_events_per_second() -> None:
    count = 50_000
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
    elapsed = time.perf_counter() - started
    assert seen == count
    assert link.events_received == count
    assert count / elapsed > 40_000, f"{count / elapsed:,.0f} events/s"
