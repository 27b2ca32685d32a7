"""Queue strategies, ring groups, pickups and transfers as the simulator plays them.

Transfer events are compared with the real Asterisk 13 recordings in
``tests/fixtures/ami/asterisk13-cacofonisk`` (which keep every header, sorted), the rest
with the Asterisk 20 wire recordings (see ``test_scenarios``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cti_bridge.pbxsim import SCENARIOS, PbxSimulator, SimCall
from tests.pbxsim.amiclient import Frame, RawAmiClient, poll
from tests.pbxsim.test_scenarios import AGENTS, recorded_shapes, run_call

AST13 = Path(__file__).parent.parent / "fixtures" / "ami" / "asterisk13-cacofonisk"
# Headers of the Asterisk 13 recorder that are not the event's own.
NOT_AMI = {"content", "Privilege", "Timestamp", "SystemName", "Event"}


async def transfer_of(
    sim: PbxSimulator, client: RawAmiClient, scenario: str, event: str, recording: str
) -> tuple[SimCall, Frame]:
    """Play ``scenario``; its one transfer ``event``, whose headers must be those of the
    same event in the real recording (``recording``, Asterisk 13: same set, sorted)."""
    call = await run_call(sim, client, scenario)
    [transfer] = client.events(event)
    frames = json.loads((AST13 / recording).read_text())
    real = next(f for f in frames if f["Event"] == event)
    assert set(transfer.keys) - NOT_AMI == set(real) - NOT_AMI
    return call, transfer


def dial_ends(client: RawAmiClient, call: SimCall) -> list[tuple[str, str]]:
    return [
        (f["DestChannel"].rpartition("-")[0], f["DialStatus"])
        for f in client.events("DialEnd", linkedid=call.linkedid)
    ]


def rung(client: RawAmiClient, call: SimCall, event: str = "AgentCalled") -> list[str]:
    return [
        f["DestChannel"].rpartition("-")[0] for f in client.events(event, linkedid=call.linkedid)
    ]


def test_every_scenario_is_selectable_by_name() -> None:
    assert {
        "queue_rrmemory",
        "queue_leastrecent",
        "ring_group",
        "pickup_directed",
        "pickup_group",
        "blind_transfer",
        "attended_transfer",
        "transfer_to_queue",
        "transfer_to_outside",
    } <= set(SCENARIOS)


async def test_rrmemory_rings_one_at_a_time_and_moves_on(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    call = await run_call(sim, client, "queue_rrmemory", answer_by="PJSIP/1002")
    assert rung(client, call) == ["PJSIP/1001", "PJSIP/1002"]
    [no_answer] = client.events("AgentRingNoAnswer", linkedid=call.linkedid)
    assert (no_answer["Queue"], no_answer["Interface"]) == ("sales", "PJSIP/1001")
    assert int(no_answer["RingTime"]) >= 0
    assert dial_ends(client, call) == [("PJSIP/1001", "NOANSWER"), ("PJSIP/1002", "ANSWER")]
    assert client.events("AgentConnect", linkedid=call.linkedid)[0]["Interface"] == "PJSIP/1002"
    # rrmemory remembers: the next call starts after the member rung last.
    again = await run_call(sim, client, "queue_rrmemory")
    assert rung(client, again) == ["PJSIP/1003"]
    assert again.answered_by == "PJSIP/1003"


async def test_leastrecent_starts_with_the_longest_idle_member(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    first = await run_call(sim, client, "queue_leastrecent", answer_by="PJSIP/1001")
    assert rung(client, first) == ["PJSIP/1001"]
    second = await run_call(sim, client, "queue_leastrecent", answer_by="PJSIP/1003")
    # 1001 just took a call: it is tried last; 1002 rings out before 1003 answers.
    assert rung(client, second) == ["PJSIP/1002", "PJSIP/1003"]
    assert rung(client, second, "AgentRingNoAnswer") == ["PJSIP/1002"]


async def test_queue_status_reports_each_queue_with_its_strategy(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    await run_call(sim, client, "queue_rrmemory")
    response = await client.request(("Action", "QueueStatus"))
    await client.wait_for(lambda f: f.is_event("QueueStatusComplete"))
    params = [
        (f["Queue"], f["Strategy"])
        for f in client.events("QueueParams")
        if f.get("ActionID") == response["ActionID"]
    ]
    assert params == [("support", "ringall"), ("sales", "rrmemory")]


async def test_ring_group_dials_every_phone_and_cancels_the_losers(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    call = await run_call(sim, client, "ring_group", answer_by="PJSIP/1003")
    dial = next(
        f for f in client.events("Newexten", linkedid=call.linkedid) if f["Application"] == "Dial"
    )
    assert dial["AppData"] == "PJSIP/1001&PJSIP/1002&PJSIP/1003,20,tT"
    assert rung(client, call, "DialBegin") == list(AGENTS)
    assert not client.events("AgentCalled", linkedid=call.linkedid)
    ends = dial_ends(client, call)
    assert ends.count(("PJSIP/1003", "ANSWER")) == 1
    assert ends.count(("PJSIP/1001", "CANCEL")) == 2
    assert call.answered_by == "PJSIP/1003"


@pytest.mark.parametrize("scenario", ["pickup_directed", "pickup_group"])
async def test_pickup_moves_the_call_to_the_picking_phone(
    sim: PbxSimulator, client: RawAmiClient, scenario: str
) -> None:
    call = await run_call(sim, client, scenario)
    [pickup] = client.events("Pickup")
    assert pickup["Channel"].startswith("PJSIP/1003-")
    assert pickup["TargetChannel"].startswith("PJSIP/1001-")
    assert pickup["TargetLinkedid"] == call.linkedid
    assert pickup["Linkedid"] != call.linkedid  # the picker dialled a call of its own
    assert pickup["ChannelStateDesc"] == "Up"
    assert tuple(pickup.keys[3:17]) == tuple(recorded_shapes()["Newchannel"].pop()[3:17])
    ends = dial_ends(client, call)
    assert ends[0] == ("PJSIP/1001", "CANCEL")
    assert ("PJSIP/1003", "ANSWER") in ends
    begins = client.events("DialBegin", linkedid=call.linkedid)
    assert begins[-1]["DestChannel"] == pickup["Channel"]
    assert begins[-1]["DestChannelStateDesc"] == "Up"
    exten = client.events("Newexten", linkedid=pickup["Linkedid"])[0]
    assert (exten["Application"], exten["Exten"]) == (
        ("Pickup", "**1001") if scenario == "pickup_directed" else ("Pickup", "*8")
    )
    # Bridged with the caller, the picker's channel carries the caller's Linkedid.
    leave = [f for f in client.events("BridgeLeave") if f["Channel"] == pickup["Channel"]]
    assert leave[0]["Linkedid"] == call.linkedid
    assert call.answered_by == "PJSIP/1003"


async def test_blind_transfer_hands_the_same_caller_channel_on(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    call, transfer = await transfer_of(
        sim, client, "blind_transfer", "BlindTransfer", "queue/queue_blind_xfer.json"
    )
    assert transfer.keys[3:5] == ["Result", "TransfererChannel"]
    assert transfer["TransfererChannel"].startswith("PJSIP/1001-")
    assert transfer["TransfereeUniqueid"] == call.linkedid
    assert (transfer["Context"], transfer["Extension"]) == ("from-internal", "1002")
    complete = client.events("AgentComplete", linkedid=call.linkedid)
    assert [f["Reason"] for f in complete] == ["transfer"]
    # Then the caller's own channel dials the colleague: no new call, no new Linkedid.
    begins = client.events("DialBegin", linkedid=call.linkedid)
    assert begins[-1]["Uniqueid"] == call.linkedid
    assert begins[-1]["DestChannel"].startswith("PJSIP/1002-")
    assert call.answered_by == "PJSIP/1002"


async def test_attended_transfer_joins_the_consultation_to_the_caller(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    call, transfer = await transfer_of(
        sim, client, "attended_transfer", "AttendedTransfer", "queue/queue_attn_xfer.json"
    )
    consultation = transfer["SecondTransfererLinkedid"]
    assert consultation != call.linkedid
    assert transfer["OrigTransfererLinkedid"] == call.linkedid
    assert transfer["TransfereeUniqueid"] == call.linkedid
    assert transfer["DestBridgeUniqueid"] == transfer["OrigBridgeUniqueid"]
    assert transfer["TransferTargetChannel"].startswith("PJSIP/1002-")
    # The colleague was rung by the agent's second line, a call of its own ...
    [consult_dial] = [
        f for f in client.events("DialBegin", linkedid=consultation) if f.get("Channel")
    ]
    assert consult_dial["Channel"].startswith("PJSIP/1001-")
    assert consult_dial["CallerIDNum"] == "1001"
    # ... and joined the caller's bridge with the caller's Linkedid, before the event.
    enter = next(
        f
        for f in client.events("BridgeEnter")
        if f["Channel"] == transfer["TransferTargetChannel"]
        and f["BridgeUniqueid"] == transfer["OrigBridgeUniqueid"]
    )
    assert enter["Linkedid"] == call.linkedid
    assert client.frames.index(enter) < client.frames.index(transfer)
    assert client.events("Hold")[0]["Channel"] == transfer["OrigTransfererChannel"]
    assert call.answered_by == "PJSIP/1002"


async def test_transfer_to_queue_rings_the_other_members(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    call = await run_call(sim, client, "transfer_to_queue", answer_by="PJSIP/1002")
    assert client.events("BlindTransfer")[0]["Extension"] == "7000"
    assert rung(client, call) == ["PJSIP/1002", "PJSIP/1001", "PJSIP/1003"]
    assert len(client.events("QueueCallerJoin", linkedid=call.linkedid)) == 2
    assert call.answered_by == "PJSIP/1001"


async def test_transfer_to_outside_dials_the_trunk(sim: PbxSimulator, client: RawAmiClient) -> None:
    call = await run_call(sim, client, "transfer_to_outside", transfer_to="+442079460000")
    assert client.events("BlindTransfer")[0]["Extension"] == "+442079460000"
    begin = client.events("DialBegin", linkedid=call.linkedid)[-1]
    assert begin["DestChannel"].startswith("PJSIP/trunk-")
    assert begin["DialString"] == "trunk/+442079460000"
    assert begin["DestCallerIDNum"] == "+15551234567"  # the trunk passes the caller on
    assert ("PJSIP/trunk", "ANSWER") in dial_ends(client, call)


async def test_every_channel_hangs_up_in_every_scenario(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    for scenario in SCENARIOS:
        call = await run_call(sim, client, scenario)
        assert call.outcome in ("answered", "abandoned"), scenario
    created = {f["Uniqueid"] for f in client.events("Newchannel")}
    hung_up = {f["Uniqueid"] for f in client.events("Hangup")}
    assert created == hung_up
    assert sim.pbx.channels.live == {}
    shapes = recorded_shapes()
    for frame in client.events():
        if frame.name in shapes and frame.name != "DialBegin":
            assert tuple(frame.keys) in shapes[frame.name], (frame.name, frame.keys)


async def core_show_channels(client: RawAmiClient) -> list[Frame]:
    action_id = client.send(("Action", "CoreShowChannels"))
    await client.wait_for(
        lambda f: f.is_event("CoreShowChannelsComplete") and f.get("ActionID") == action_id
    )
    return [f for f in client.events("CoreShowChannel") if f.get("ActionID") == action_id]


async def test_core_show_channels_during_an_attended_transfer(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    """What a resync after a reconnect sees mid-consultation: the caller on hold in the
    agent's bridge, and the agent's second line talking to the colleague (another call)."""
    call = sim.place_call("attended_transfer", caller_number="+15551234567", talk_seconds=100)
    await client.wait_for(lambda f: f.is_event("BridgeEnter") and f["Uniqueid"] == call.linkedid)
    call.advance()  # end the first talk: the agent starts the consultation
    await client.wait_for(lambda f: f.is_event("Hold"))
    call.advance()  # the colleague answers
    await client.wait_for(
        lambda f: f.is_event("BridgeEnter") and f["Channel"].startswith("PJSIP/1002-")
    )
    items = await core_show_channels(client)
    by_device = {f["Channel"].rpartition("-")[0]: f for f in items}
    assert sorted(by_device) == ["PJSIP/1001", "PJSIP/1002", "PJSIP/trunk"]
    assert len(items) == 4  # the agent's phone has two channels
    agent_lines = [f for f in items if f["Channel"].startswith("PJSIP/1001-")]
    assert {f["Linkedid"] for f in agent_lines} == {
        call.linkedid,
        by_device["PJSIP/1002"]["Linkedid"],
    }
    assert by_device["PJSIP/trunk"]["BridgeId"] != by_device["PJSIP/1002"]["BridgeId"]
    assert all(f["ChannelStateDesc"] == "Up" for f in items)
    # What each channel is running, as Asterisk lists it: the caller still in Queue(),
    # the colleague's phone an outgoing line of the second line's Dial().
    assert by_device["PJSIP/trunk"]["Application"] == "Queue"
    assert (by_device["PJSIP/1002"]["Application"], by_device["PJSIP/1002"]["ApplicationData"]) == (
        "AppDial",
        "(Outgoing Line)",
    )
    call.advance()  # complete the transfer
    await client.wait_for(lambda f: f.is_event("AttendedTransfer"))
    items = await core_show_channels(client)
    assert {f["Channel"].rpartition("-")[0] for f in items} == {"PJSIP/trunk", "PJSIP/1002"}
    assert {f["Linkedid"] for f in items} == {call.linkedid}
    assert len({f["BridgeId"] for f in items}) == 1
    call.hangup_caller()
    await call.wait()


async def test_traffic_can_play_one_transfer_scenario_only(sim: PbxSimulator) -> None:
    calls: list[SimCall] = []
    traffic = asyncio.create_task(
        sim.run_traffic(
            50, [("+15551234567", "Jane Doe")], ["attended_transfer"], on_call=calls.append
        )
    )
    await poll(lambda: len(calls) >= 3)
    traffic.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await traffic
    for call in calls:
        await call.wait()
    assert {call.scenario for call in calls} == {"attended_transfer"}
    assert {call.outcome for call in calls} == {"answered"}


def test_simulate_refuses_an_unknown_scenario_by_name() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cti_bridge", "simulate", "--scenario", "no_such_call"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "invalid choice: 'no_such_call'" in done.stderr
    assert "attended_transfer" in done.stderr


async def test_blind_transfer_on_and_back(sim: PbxSimulator, client: RawAmiClient) -> None:
    call = await run_call(sim, client, "blind_transfer", transfer_to="PJSIP/1002,PJSIP/1001")
    transfers = client.events("BlindTransfer")
    assert [(f["TransfererChannel"].rpartition("-")[0], f["Extension"]) for f in transfers] == [
        ("PJSIP/1001", "1002"),
        ("PJSIP/1002", "1001"),
    ]
    assert {f["TransfereeUniqueid"] for f in transfers} == {call.linkedid}
    assert call.answered_by == "PJSIP/1001"


async def test_transfer_to_an_unknown_queue_leaves_no_channel_behind(sim: PbxSimulator) -> None:
    call = sim.place_call(
        "transfer_to_queue", caller_number="+15551234567", transfer_to="no-such-queue"
    )
    await call.wait()
    assert call.outcome == "failed"
    assert sim.pbx.channels.live == {}
