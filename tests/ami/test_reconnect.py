"""Links come back after the manager port, the network or Asterisk itself went away."""

from __future__ import annotations

from cti_bridge.ami import AmiLink, LinkStatus
from cti_bridge.pbxsim import PbxSimulator
from tests.ami.conftest import Recorder


async def test_events_resume_after_simulator_stop_and_start_mid_call(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    call = sim.place_call("queue_ringall_answered", caller_number="+15551234567", talk_seconds=100)
    await recorder.event(lambda e: e.get("Event") == "AgentConnect")
    await sim.stop()
    await recorder.until(lambda: link.status is LinkStatus.DISCONNECTED)
    await sim.start(port=sim.port)
    await recorder.until(lambda: recorder.statuses.count(LinkStatus.CONNECTED) == 2)
    assert link.reconnects == 1
    assert len(recorder.named("FullyBooted")) == 2

    call.hangup_caller()
    hangup = await recorder.event(
        lambda e: e.get("Event") == "Hangup" and e["Uniqueid"] == call.linkedid
    )
    assert hangup["Linkedid"] == call.linkedid
    assert recorder.named("AgentComplete", call.linkedid)


async def test_network_blip_reconnects(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    await sim.disconnect_clients()
    await recorder.until(lambda: recorder.statuses.count(LinkStatus.CONNECTED) == 2)
    assert recorder.statuses[-3:] == [
        LinkStatus.DISCONNECTED,
        LinkStatus.CONNECTING,
        LinkStatus.CONNECTED,
    ]
    (pong,) = await link.action({"Action": "Ping"})
    assert pong["Ping"] == "Pong"


async def test_asterisk_restart_is_seen_as_shutdown_then_a_fresh_fully_booted(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    call = sim.place_call("queue_ringall_answered", caller_number="+15551234567", ring_seconds=50)
    await recorder.event(lambda e: e.get("Event") == "AgentCalled")
    await sim.restart_pbx()
    await recorder.event(lambda e: e.get("Event") == "Shutdown")
    booted = await recorder.until(lambda: recorder.named("FullyBooted")[1:])
    assert int(booted[0]["Uptime"]) < 5 < int(recorder.named("FullyBooted")[0]["Uptime"])
    assert call.outcome == "vanished"
    assert await link.core_show_channels() == []
