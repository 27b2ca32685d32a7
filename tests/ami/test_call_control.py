"""Call control actions over real TCP: ``Hangup``, ``BlindTransfer``, ``Atxfer`` on a
talking queue call; the simulator answers as main/manager.c does and plays the events."""

from __future__ import annotations

import time

import pytest

from cti_bridge.ami import AmiLink
from cti_bridge.ami.errors import AmiActionError
from cti_bridge.core.calls import CallTracker
from cti_bridge.pbxsim import PbxSimulator
from cti_bridge.pbxsim.simcall import SimCall
from tests.ami.conftest import Recorder

CALLER = "+15551234567"


async def _talking(sim: PbxSimulator, recorder: Recorder) -> tuple[SimCall, str]:
    """A queue call answered by PJSIP/1001, talking for long; its agent channel."""
    call = sim.place_call(
        "queue_ringall_answered",
        caller_number=CALLER,
        answer_by="PJSIP/1001",
        ring_seconds=1,
        talk_seconds=3000,
    )
    entered = await recorder.event(
        lambda e: (
            e.get("Event") == "BridgeEnter"
            and e.get("Linkedid") == call.linkedid
            and e.get("Channel", "").startswith("PJSIP/1001-")
        )
    )
    return call, entered["Channel"]


async def test_hangup_ends_the_agent_leg_with_normal_clearing(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    call, agent_chan = await _talking(sim, recorder)
    await link.hangup(channel=agent_chan)
    gone = await recorder.event(
        lambda e: e.get("Event") == "Hangup" and e.get("Channel") == agent_chan
    )
    assert (gone["Cause"], gone["Cause-txt"]) == ("16", "Normal Clearing")
    await call.wait()
    with pytest.raises(AmiActionError, match="No such channel"):
        await link.hangup(channel=agent_chan)


async def test_blind_transfer_rings_the_colleague(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    call, agent_chan = await _talking(sim, recorder)
    await link.blind_transfer(channel=agent_chan, exten="1002", context="agents")
    xfer = await recorder.event(lambda e: e.get("Event") == "BlindTransfer")
    assert (xfer["TransfererChannel"], xfer["Extension"]) == (agent_chan, "1002")
    ring = await recorder.event(
        lambda e: (
            e.get("Event") == "DialBegin" and e.get("DestChannel", "").startswith("PJSIP/1002-")
        )
    )
    assert ring["Linkedid"] == call.linkedid
    await recorder.event(
        lambda e: e.get("Event") == "BridgeEnter" and e.get("Channel", "").startswith("PJSIP/1002-")
    )
    call.hangup_caller()
    await call.wait()


async def test_atxfer_consults_then_hands_over(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    call, agent_chan = await _talking(sim, recorder)
    await link.atxfer(channel=agent_chan, exten="1003", context="agents")
    await recorder.event(lambda e: e.get("Event") == "Hold" and e.get("Channel") == agent_chan)
    consult = await recorder.event(
        lambda e: e.get("Event") == "BridgeEnter" and e.get("Channel", "").startswith("PJSIP/1003-")
    )
    assert consult["Linkedid"] != call.linkedid  # the consultation is a call of its own
    await link.hangup(channel=agent_chan)  # the agent completes the transfer
    done = await recorder.event(lambda e: e.get("Event") == "AttendedTransfer")
    assert done["OrigTransfererChannel"] == agent_chan
    assert done["TransferTargetChannel"] == consult["Channel"]
    call.hangup_caller()
    await call.wait()


async def test_a_hangup_while_the_colleague_still_rings_completes_when_they_answer(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    call, agent_chan = await _talking(sim, recorder)
    await link.atxfer(channel=agent_chan, exten="1003", context="agents")
    ringing = await recorder.event(
        lambda e: (
            e.get("Event") == "DialBegin"
            and e.get("DestChannel", "").startswith("PJSIP/1003-")
            and e.get("Linkedid") != call.linkedid  # the consultation, not the queue's ring
        )
    )
    await link.hangup(channel=agent_chan)  # before the colleague answers
    done = await recorder.event(lambda e: e.get("Event") == "AttendedTransfer")
    assert done["OrigTransfererChannel"] == agent_chan
    assert done["TransferTargetChannel"] == ringing["DestChannel"]
    call.hangup_caller()
    await call.wait()


async def test_unknown_channel_and_missing_extension_are_refused(link: AmiLink) -> None:
    with pytest.raises(AmiActionError, match="Channel specified does not exist"):
        await link.blind_transfer(channel="PJSIP/9-00000001", exten="1002", context="agents")
    with pytest.raises(AmiActionError, match="No extension specified"):
        await link.atxfer(channel="PJSIP/1001-00000001", exten="", context="agents")


async def test_the_tracker_knows_which_channel_is_the_agents_leg(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    call, agent_chan = await _talking(sim, recorder)
    tracker = CallTracker("pbx1", lambda interface: interface in sim.agents)
    for event in list(recorder.events):
        tracker.feed(event, time.time())
    [live] = tracker.snapshot()
    assert live.channel_of("PJSIP/1001") == agent_chan
    assert live.channel_of("PJSIP/1002") is None
    assert live.caller_channel is not None
    assert live.caller_channel.startswith("PJSIP/trunk-")
    call.hangup_caller()
    await call.wait()
