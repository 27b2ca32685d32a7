"""The simulator's blonde transfer (``atxfer``, the agent hanging up while the colleague
rings) says what Asterisk 20's bridge_basic.c says: the colleague rung by a Local channel
of the caller's call, ``BridgeMerge``, then ``AttendedTransfer`` with the agent's channel
as both transferers and the Local ``;1`` as the target; nothing is left alive."""

from __future__ import annotations

from cti_bridge.pbxsim import PbxSimulator
from tests.pbxsim.amiclient import RawAmiClient
from tests.pbxsim.test_scenarios import positions, run_call


async def test_blonde_transfer_events(sim: PbxSimulator, client: RawAmiClient) -> None:
    call = await run_call(sim, client, "blonde_transfer", agents=["PJSIP/1001", "PJSIP/1002"])
    frames = client.events()  # transfer and bridge events carry no plain Linkedid
    [transfer] = [f for f in frames if f.name == "AttendedTransfer"]
    agent = transfer["OrigTransfererChannel"]
    assert agent.startswith("PJSIP/1001-") and transfer["SecondTransfererChannel"] == agent
    assert (transfer["DestType"], transfer["Result"]) == ("Bridge", "Success")
    assert transfer["DestBridgeUniqueid"] == transfer["OrigBridgeUniqueid"]
    target = transfer["TransferTargetChannel"]
    assert target.startswith("Local/1002@from-internal-") and target.endswith(";1")
    [local] = client.events("LocalBridge")
    assert local["LocalOneChannel"] == target
    assert local["LocalTwoLinkedid"] == call.linkedid
    [dial] = [
        f
        for f in frames
        if f.name == "DialBegin" and f.get("DestChannel", "").startswith("PJSIP/1002")
    ]
    assert dial["Channel"] == target.replace(";1", ";2")
    [merge] = client.events("BridgeMerge")
    assert merge["ToBridgeUniqueid"] == transfer["OrigBridgeUniqueid"]
    hangups = positions(client.events(linkedid=call.linkedid), "Hangup")
    assert positions(frames, "AttendedTransfer")[0] < positions(frames, "DialEnd")[-1]
    assert len(hangups) == 5  # caller, ann, the Local pair, bob
    assert sim.pbx.channels.live == {}
