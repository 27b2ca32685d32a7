"""Simulator life-cycle (stop/start, blips, restarts), fault injection, traffic, runner."""

from __future__ import annotations

import asyncio
import io
import time

import pytest

from cti_bridge.pbxsim import MALFORMED_FRAMES, PbxSimulator, SimCall, encode_event, run_simulator
from cti_bridge.pbxsim.traffic import DEFAULT_MIX
from tests.pbxsim.amiclient import RawAmiClient, poll


async def logged_in(port: int) -> RawAmiClient:
    raw = await RawAmiClient.connect(port)
    await raw.login()
    await raw.wait_for(lambda f: f.is_event("FullyBooted"))
    return raw


async def test_stop_and_start_on_the_same_port_keeps_calls_going(sim: PbxSimulator) -> None:
    port = sim.port
    call = sim.place_call("queue_ringall_answered", caller_number="+15551234567", talk_seconds=20)
    first = await logged_in(port)
    await first.wait_for(lambda f: f.is_event("AgentConnect"))
    await sim.stop()
    await asyncio.wait_for(first.closed.wait(), 2)
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
    assert not call.done

    assert await sim.start() == port
    second = await logged_in(port)
    try:
        call.hangup_caller()
        await call.wait()
        await second.sync()
        assert second.events("AgentComplete", linkedid=call.linkedid)
        assert second.events("Hangup", linkedid=call.linkedid)
    finally:
        await first.close()
        await second.close()


async def test_disconnect_clients_keeps_listening(sim: PbxSimulator, client: RawAmiClient) -> None:
    await sim.disconnect_clients()
    await asyncio.wait_for(client.closed.wait(), 2)
    again = await logged_in(sim.port)
    await again.close()
    assert sim.connections_accepted == 2


async def test_restart_pbx_drops_links_and_calls_and_resets_uptime(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    before = int(client.events("FullyBooted")[0]["Uptime"])
    call = sim.place_call("queue_ringall_answered", caller_number="+15551234567", ring_seconds=50)
    await client.wait_for(lambda f: f.is_event("AgentCalled"))
    await sim.restart_pbx()
    shutdown = await client.wait_for(lambda f: f.is_event("Shutdown"))
    assert shutdown["Restart"] == "True"
    await asyncio.wait_for(client.closed.wait(), 2)
    await asyncio.wait_for(call.wait(), 1)
    assert call.outcome == "vanished"

    again = await logged_in(sim.port)
    try:
        uptime = int(again.events("FullyBooted")[0]["Uptime"])
        assert uptime < 5 < before
        again.send(("Action", "CoreShowChannels"))
        done = await again.wait_for(lambda f: f.is_event("CoreShowChannelsComplete"))
        assert done["ListItems"] == "0"
        fresh = sim.place_call("direct_answered", caller_number="+15551234567")
        assert fresh.linkedid != call.linkedid
        assert float(fresh.linkedid.partition(".")[0]) > float(call.linkedid.partition(".")[0])
        await fresh.wait()
    finally:
        await again.close()


async def test_frozen_links_get_nothing_while_new_ones_are_served(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    assert sim.freeze_clients() == 1
    client.send(("Action", "Ping"))
    call = sim.place_call("direct_answered", caller_number="+15551234567")
    fresh = await logged_in(sim.port)
    try:
        await call.wait()
        await fresh.sync()
        assert fresh.events("Hangup", linkedid=call.linkedid)
        assert not client.closed.is_set()
        assert not client.events(linkedid=call.linkedid)
        assert not [f for f in client.frames if f.get("Ping") == "Pong"]
    finally:
        await fresh.close()


async def test_pings_can_go_unanswered_while_events_flow(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    sim.answer_pings = False
    client.send(("Action", "Ping"))
    call = sim.place_call("direct_answered", caller_number="+15551234567")
    await call.wait()
    await client.wait_for(lambda f: f.is_event("Hangup") and f["Uniqueid"] == call.linkedid)
    assert not [f for f in client.frames if f.get("Ping") == "Pong"]


async def test_send_raw_delivers_split_bytes_intact_amid_call_events(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    data = encode_event("UserEvent", [("UserEvent", "Split"), ("Name", "张伟 Zoë")])
    cut = data.index("张".encode()) + 1
    call = sim.place_call("queue_ringall_answered", caller_number="+15551234567")
    await client.wait_for(lambda f: f.is_event("AgentCalled"))
    await sim.send_raw(data, splits=[cut, cut + 3])
    await call.wait()
    await client.sync()
    assert data in bytes(client.raw)  # no event was written in between the pieces
    split = client.events("UserEvent")[0]
    assert split["Name"] == "张伟 Zoë"


async def test_inject_malformed_writes_the_catalogue(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    assert await sim.inject_malformed(["huge_header", "no_colon"]) == 2
    await client.sync()
    raw = bytes(client.raw)
    assert MALFORMED_FRAMES["huge_header"] in raw
    assert MALFORMED_FRAMES["no_colon"] in raw


async def test_run_traffic_places_calls_at_the_rate(sim: PbxSimulator) -> None:
    placed: list[SimCall] = []
    task = asyncio.create_task(
        sim.run_traffic(50, [("+15551234567", "Jane Doe")], on_call=placed.append)
    )
    started = time.monotonic()
    try:
        await poll(lambda: len(placed) >= 10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    elapsed = time.monotonic() - started
    assert elapsed > 0.1  # paced (~0.2 s for 10 calls at 50/s), not one burst
    assert {call.scenario for call in placed} <= set(DEFAULT_MIX)
    assert all(1 <= len(call.agents) <= 3 for call in placed)


async def test_run_traffic_rejects_unknown_scenarios(sim: PbxSimulator) -> None:
    with pytest.raises(ValueError, match="nope"):
        await sim.run_traffic(1, [("+1555", "")], ["nope"])
    with pytest.raises(ValueError, match="unknown scenario"):
        sim.place_call("nope", caller_number="+1555")


async def test_run_simulator_prints_one_line_per_call() -> None:
    out = io.StringIO()
    task = asyncio.create_task(
        run_simulator(
            "127.0.0.1",
            0,
            scenario="direct_answered",
            calls_per_second=40,
            username="cti",
            secret="s3cret",
            agents=["PJSIP/2001"],
            out=out,
            time_scale=0.005,
        )
    )
    try:
        await poll(lambda: out.getvalue().count("direct_answered") >= 3)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    header, *lines = out.getvalue().splitlines()
    assert "AMI simulator on 127.0.0.1:" in header
    assert "s3cret" not in out.getvalue()
    assert all("answered" in line and "linkedid=" in line for line in lines[:3])


async def test_a_hundred_concurrent_calls_all_reach_the_client() -> None:
    sim = PbxSimulator(time_scale=0.0)
    await sim.start()
    raw = await logged_in(sim.port)
    try:
        calls = [
            sim.place_call("queue_ringall_answered", caller_number=f"+1555000{i:04d}")
            for i in range(100)
        ]
        await asyncio.gather(*(call.wait() for call in calls))
        await raw.sync()
        assert len(raw.events()) >= 100 * 100
        assert all(call.outcome == "answered" for call in calls)
    finally:
        await raw.close()
        await sim.close()
