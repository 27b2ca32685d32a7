"""Each panoramisk 1.4 defect the adapter fixes, shown over real TCP to the simulator.

(Defects 4 - close during back-off - and 6 - wrong credentials - are in test_link.py.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from cti_bridge.ami import AmiLink, LinkStatus
from cti_bridge.pbxsim import MALFORMED_KINDS, PbxSimulator, encode_event
from tests.ami.conftest import Recorder, poll, server_for
from tests.patience import PATIENCE


async def test_1_utf8_character_split_across_reads_is_not_lost(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    name = "张伟 Zoë Ærøskøbing"
    data = encode_event("NewCallerid", [("CallerIDNum", "+8613800138000"), ("CallerIDName", name)])
    cuts = [
        data.index("张".encode()) + 1,
        data.index("ë".encode()) + 1,
        data.index("ø".encode()) + 1,
    ]
    await sim.send_raw(data, splits=cuts)
    event = await recorder.event(lambda e: e.get("Event") == "NewCallerid")
    assert event["CallerIDName"] == name


async def test_1_caller_names_survive_a_whole_call(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    call = sim.place_call("queue_ringall_answered", caller_number="+86138", caller_name="张伟")
    called = await recorder.event(
        lambda e: e.get("Event") == "AgentCalled" and e["Linkedid"] == call.linkedid
    )
    assert called["CallerIDName"] == "张伟"
    await call.wait()


async def test_2_empty_last_header_value_is_kept(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    call = sim.place_call("queue_ringall_answered", caller_number="+15551234567")
    await call.wait()
    await link.action({"Action": "Ping"})  # everything written before is now read
    varsets = recorder.named("VarSet", call.linkedid)
    assert all("Value" in e for e in varsets)
    cleared = [e for e in varsets if e["Variable"] == "ANSWEREDTIME" and e["Value"] == ""]
    assert cleared
    assert list(cleared[0])[-1] == "Value"


async def test_3_half_open_link_is_noticed_dropped_and_replaced(
    sim: PbxSimulator, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    # The freeze is the fault; the margins keep a loaded machine from faking one before it.
    server = server_for(sim, ping_interval=0.5, ping_timeout=2.0)
    link = AmiLink(server, recorder.on_event, on_status=recorder.on_status)
    await link.start()
    try:
        assert await link.wait_connected(PATIENCE)
        assert sim.freeze_clients() == 1
        await recorder.until(lambda: recorder.statuses.count(LinkStatus.CONNECTED) == 2)
        assert LinkStatus.DISCONNECTED in recorder.statuses
        assert sim.connections_accepted == 2
        assert link.reconnects == 1
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any("no answer to Ping within 2.0 s" in w for w in warnings)
        call = sim.place_call("direct_answered", caller_number="+15551234567")
        await recorder.event(
            lambda e: e.get("Event") == "Hangup" and e["Uniqueid"] == call.linkedid
        )
    finally:
        await link.close()


async def test_5_exception_in_a_plain_handler_does_not_stop_the_stream(
    sim: PbxSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    def handler(server: str, event: dict[str, str]) -> None:
        if event.get("UserEvent") == "Boom":
            raise KeyError("handler bug")
        seen.append(event.get("UserEvent") or event["Event"])

    link = AmiLink(server_for(sim), handler)
    await link.start()
    try:
        assert await link.wait_connected(PATIENCE)
        burst = b"".join(
            encode_event("UserEvent", [("UserEvent", name)]) for name in ("A", "Boom", "B", "C")
        )
        await sim.send_raw(burst)  # one write: one TCP read holds all four
        await poll(lambda: "C" in seen)
        assert seen[-3:] == ["A", "B", "C"]
        assert link.handler_errors == 1
        assert link.status is LinkStatus.CONNECTED
        assert sim.connections_accepted == 1
    finally:
        await link.close()
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 1
    assert "UserEvent" in failures[0].getMessage()
    assert failures[0].exc_info is not None


async def test_malformed_frames_mixed_into_the_stream(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    sim.emit_event("UserEvent", [("UserEvent", "Before")])
    await sim.inject_malformed()
    sim.emit_event("UserEvent", [("UserEvent", "After")])
    await recorder.event(lambda e: e.get("UserEvent") == "After")
    user = [e["UserEvent"] for e in recorder.named("UserEvent")]
    assert user == ["Before", "BadLine", "BadBytes", "Huge", "After"]
    assert len(recorder.named("UserEvent")[3]["Data"]) == 10240
    assert link.malformed_frames == len(MALFORMED_KINDS)
    assert sim.connections_accepted == 1
    assert link.status is LinkStatus.CONNECTED


@pytest.fixture
async def eager_server() -> AsyncIterator[int]:
    """An AMI server that answers Login with the response and events in a single write,
    and even sends an event before answering - the startup race of PERFORMANCE.md."""

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/9.0.0\r\n" + encode_event("Early", []))
        login = (await reader.readuntil(b"\r\n\r\n")).decode()
        action_id = next(
            line.split(": ", 1)[1] for line in login.split("\r\n") if line.startswith("ActionID")
        )
        writer.write(
            f"Response: Success\r\nActionID: {action_id}\r\n"
            "Message: Authentication accepted\r\n\r\n".encode()
            + b"Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 1\r\n"
            b"LastReload: 1\r\nStatus: Fully Booted\r\n\r\n"
        )
        await writer.drain()
        await reader.read()  # until the link goes away
        writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def test_events_arriving_with_the_connection_are_delivered(
    sim: PbxSimulator, eager_server: int, recorder: Recorder
) -> None:
    connected_when_booted: list[LinkStatus] = []
    link = AmiLink(server_for(sim, port=eager_server), recorder.on_event)

    def on_event(server: str, event: dict[str, str]) -> None:
        if event["Event"] == "FullyBooted":
            connected_when_booted.append(link.status)
        recorder.on_event(server, event)

    link._on_event = on_event  # capture the link's status at delivery time
    await link.start()
    try:
        await recorder.event(lambda e: e["Event"] == "FullyBooted")
        assert [e["Event"] for e in recorder.events] == ["Early", "FullyBooted"]
        assert connected_when_booted == [LinkStatus.CONNECTED]
    finally:
        await link.close()
