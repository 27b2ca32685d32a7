"""Action round trips through the link to the simulator."""

from __future__ import annotations

import asyncio

import pytest

from cti_bridge.ami import AmiActionError, AmiLink, AmiNotConnected, LinkStatus
from cti_bridge.pbxsim import PbxSimulator
from tests.ami.conftest import Recorder
from tests.patience import PATIENCE


async def test_ping(link: AmiLink) -> None:
    (reply,) = await link.action({"Action": "Ping"})
    assert reply["Response"] == "Success"
    assert reply["Ping"] == "Pong"
    assert reply["ActionID"].startswith("cti-pbx1-")


async def test_core_show_channels_during_a_live_call(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    call = sim.place_call("queue_ringall_answered", caller_number="+15551234567", ring_seconds=50)
    await recorder.until(lambda: len(recorder.named("DialState", call.linkedid)) == 3)
    channels = await link.core_show_channels()
    assert {c["Linkedid"] for c in channels} == {call.linkedid}
    assert sorted(c["Channel"].rpartition("-")[0] for c in channels) == [
        "PJSIP/1001",
        "PJSIP/1002",
        "PJSIP/1003",
        "PJSIP/trunk",
    ]
    caller = next(c for c in channels if c["Uniqueid"] == call.linkedid)
    assert caller["Application"] == "Queue"
    assert caller["ChannelStateDesc"] == "Ring"
    assert "BridgeId" in caller
    assert "Duration" in caller
    call.hangup_caller()
    await call.wait()
    assert await link.core_show_channels() == []


async def test_queue_status(sim: PbxSimulator, link: AmiLink, recorder: Recorder) -> None:
    call = sim.place_call("queue_ringall_answered", caller_number="+15551234567", ring_seconds=50)
    await recorder.event(lambda e: e.get("Event") == "QueueCallerJoin")
    items = await link.queue_status()
    assert [i["Event"] for i in items] == ["QueueParams"] + ["QueueMember"] * 3 + ["QueueEntry"]
    assert items[0]["Calls"] == "1"
    assert items[-1]["Channel"].startswith("PJSIP/trunk-")
    call.hangup_caller()
    await call.wait()


async def test_originate_then_the_call_shows_up_as_events(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    await link.originate(
        channel="PJSIP/1001",
        exten="+15557654321",
        context="from-internal",
        caller_id='"Jürgen Müller" <+15557654321>',
        variables={"CTI_AGENT": "bob", "CTI_REQUEST": "r-1"},
    )
    response = await recorder.event(lambda e: e.get("Event") == "OriginateResponse")
    assert response["Response"] == "Success"
    assert response["ActionID"].startswith("cti-pbx1-")
    assert response["CallerIDName"] == "Jürgen Müller"
    dial = recorder.named("DialBegin")[0]
    assert dial["DestChannel"].startswith("PJSIP/1001-")
    variables = {(e["Variable"], e["Value"]) for e in recorder.named("VarSet")}
    assert {("CTI_AGENT", "bob"), ("CTI_REQUEST", "r-1")} <= variables
    await sim.recent_calls[-1].wait()


async def test_asterisk_errors_raise_with_the_message(link: AmiLink) -> None:
    with pytest.raises(AmiActionError) as caught:
        await link.action({"Action": "FrobnicateAll"})
    assert caught.value.message.startswith("Invalid/unknown command: FrobnicateAll.")
    with pytest.raises(AmiActionError, match="Invalid channel"):
        await link.originate(channel="nonsense", exten="1", context="x", caller_id="1")
    assert link.status is LinkStatus.CONNECTED


async def test_header_injection_is_refused(link: AmiLink) -> None:
    with pytest.raises(ValueError, match="CR or LF"):
        await link.originate(
            channel="PJSIP/1001",
            exten="+1555\r\nAction: Logoff",
            context="from-internal",
            caller_id="x",
        )
    with pytest.raises(ValueError, match="needs an 'Action'"):
        await link.action({"Channel": "PJSIP/1001"})


async def test_not_connected_and_timeouts(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    sim.freeze_clients()
    with pytest.raises(TimeoutError):
        await link.action({"Action": "Ping"}, timeout=0.1)

    waiting = asyncio.create_task(link.action({"Action": "Ping"}, timeout=2 * PATIENCE))
    await asyncio.sleep(0)  # let it write the action
    await sim.stop()
    with pytest.raises(AmiNotConnected):
        await asyncio.wait_for(waiting, PATIENCE)
    await recorder.until(lambda: link.status is not LinkStatus.CONNECTED)
    with pytest.raises(AmiNotConnected):
        await link.action({"Action": "Ping"})


async def test_queue_pause_everywhere_and_unknown_interface(
    link: AmiLink, recorder: Recorder
) -> None:
    await link.queue_pause("PJSIP/1001", paused=True, reason="lunch")
    paused = await recorder.until(lambda: recorder.named("QueueMemberPause"))
    assert (paused[0]["Interface"], paused[0]["Paused"], paused[0]["PausedReason"]) == (
        "PJSIP/1001",
        "1",
        "lunch",
    )
    member = next(i for i in await link.queue_status() if i.get("Location") == "PJSIP/1001")
    assert (member["Paused"], member["PausedReason"]) == ("1", "lunch")
    await link.queue_pause("PJSIP/1001", paused=False, queue="support")
    assert (await recorder.until(lambda: recorder.named("QueueMemberPause")[1:]))[0][
        "Paused"
    ] == "0"
    with pytest.raises(AmiActionError, match="Interface not found"):
        await link.queue_pause("PJSIP/4040", paused=True)
