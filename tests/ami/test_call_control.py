"""Call control actions over real TCP: ``Hangup``, ``BlindTransfer``, ``Atxfer`` on a
talking queue call; the simulator answers as main/manager.c does and plays the events."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from cti_bridge.ami import AmiLink
from cti_bridge.ami.errors import AmiActionError
from cti_bridge.core.calls import CallTracker
from cti_bridge.pbxsim import PbxSimulator
from cti_bridge.pbxsim.simcall import SimCall
from tests.ami.conftest import Recorder
from tests.core.replay import LIVE, load

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


def _is(name: str, **headers: str) -> Callable[[dict[str, str]], bool]:
    """An event named ``name`` whose headers start with the given values."""
    return lambda e: (
        e.get("Event") == name
        and all(e.get(key, "").startswith(value) for key, value in headers.items())
    )


async def _consulting(
    link: AmiLink, recorder: Recorder, call: SimCall, agent_chan: str
) -> dict[str, str]:
    """Atxfer of the agent's channel to 1003@agent-transfer: Asterisk holds the caller and
    a Local pair of the same call dials the colleague. Returns the DialBegin."""
    await link.atxfer(channel=agent_chan, exten="1003", context="agent-transfer")
    await recorder.event(_is("Hold", Channel=agent_chan))
    one = await recorder.event(_is("Newchannel", Channel="Local/1003@agent-transfer-"))
    assert (one["Channel"][-2:], one["Linkedid"]) == (";1", call.linkedid)
    ring = await recorder.event(_is("DialBegin", Channel="Local/1003@agent-transfer-"))
    assert ring["Channel"] == one["Channel"].replace(";1", ";2")
    assert ring["DestChannel"].startswith("PJSIP/1003-")
    assert ring["Linkedid"] == ring["DestLinkedid"] == call.linkedid  # no call of its own
    await recorder.event(_is("BridgeLeave", Channel=agent_chan))  # into the consultation
    return ring


def _transfer_as_asterisk_sends_it(done: dict[str, str], agent_chan: str) -> None:
    assert (done["OrigTransfererChannel"], done["SecondTransfererChannel"]) == (agent_chan,) * 2
    assert (done["DestType"], done["IsExternal"]) == ("Bridge", "No")
    assert done["TransfereeChannel"].startswith("PJSIP/trunk-")
    assert "TransferTargetChannel" not in done


async def test_atxfer_consults_on_the_same_call_then_hands_over(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    call, agent_chan = await _talking(sim, recorder)
    ring = await _consulting(link, recorder, call, agent_chan)
    await recorder.event(_is("BridgeEnter", Channel=ring["DestChannel"]))  # Bob answered
    await link.hangup(channel=agent_chan)  # the agent completes the transfer
    done = await recorder.event(_is("AttendedTransfer"))
    _transfer_as_asterisk_sends_it(done, agent_chan)
    names = [e["Event"] for e in recorder.events]
    assert names.index("BridgeMerge") < names.index("AttendedTransfer")
    tracker = CallTracker("pbx1", lambda interface: interface in sim.agents)
    for event in list(recorder.events):
        tracker.feed(event, time.time())
    [live] = tracker.snapshot()
    assert (live.answered, live.channel_of("PJSIP/1003")) == ("PJSIP/1003", ring["DestChannel"])
    assert live.channel_of("PJSIP/1001") is None
    call.hangup_caller()
    await call.wait()


async def test_a_hangup_while_the_colleague_still_rings_hands_over_at_once(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    call, agent_chan = await _talking(sim, recorder)
    ring = await _consulting(link, recorder, call, agent_chan)
    await link.hangup(channel=agent_chan)  # before the colleague answers
    done = await recorder.event(_is("AttendedTransfer"))
    _transfer_as_asterisk_sends_it(done, agent_chan)
    answered = await recorder.event(
        _is("DialEnd", DestChannel=ring["DestChannel"], DialStatus="ANSWER")
    )
    assert recorder.events.index(done) < recorder.events.index(answered)
    call.hangup_caller()
    await call.wait()


async def test_a_colleague_who_never_answers_gives_the_caller_back(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    call, agent_chan = await _talking(sim, recorder)
    call.colleague_answers = False
    ring = await _consulting(link, recorder, call, agent_chan)
    back = await recorder.event(_is("Unhold", Channel=agent_chan))
    cancel = await recorder.event(
        _is("DialEnd", DestChannel=ring["DestChannel"], DialStatus="CANCEL")
    )
    assert recorder.events.index(back) < recorder.events.index(cancel)
    assert recorder.named("AttendedTransfer") == []
    await link.hangup(channel=agent_chan)  # the agent talked on, and ends the call
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


def _outline(events: list[dict[str, str]], since: int = 0) -> list[tuple[str, str]]:
    """What an attended transfer's events say, without the channels' names: the hold,
    the consultation's Local pair and its dial, the merge and the transfer."""
    kept = []
    for event in events[since:]:
        name = event.get("Event", "")
        consult = "@agent-transfer-" in event.get("Channel", "")
        if name in ("Hold", "Unhold", "MusicOnHoldStart", "MusicOnHoldStop", "BridgeMerge"):
            kept.append((name, ""))
        elif name == "AttendedTransfer":
            kept.append((name, event["DestType"]))
        elif name == "LocalBridge" and event.get("Context") == "agent-transfer":
            kept.append((name, ""))
        elif name in ("DialBegin", "DialEnd") and consult:
            kept.append((name, event.get("DialStatus", "")))
    return kept


def _recorded(name: str) -> list[tuple[str, str]]:
    """The outline of a live recording from the ``Atxfer`` on."""
    events = load(LIVE / f"{name}.ami")
    start = next(i for i, e in enumerate(events) if e.get("Event") == "Hold")
    return _outline(events, start)


@pytest.mark.parametrize(
    "name", ["attended_transfer", "attended_transfer_hangup_ringing", "attended_transfer_no_answer"]
)
async def test_the_simulated_atxfer_says_what_asterisk_said(
    name: str, sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    call, agent_chan = await _talking(sim, recorder)
    call.colleague_answers = name != "attended_transfer_no_answer"
    since = len(recorder.events)
    ring = await _consulting(link, recorder, call, agent_chan)
    if name == "attended_transfer":
        await recorder.event(_is("BridgeEnter", Channel=ring["DestChannel"]))
    if name == "attended_transfer_no_answer":
        await recorder.event(_is("Unhold", Channel=agent_chan))
        await link.hangup(channel=agent_chan)
    else:
        await link.hangup(channel=agent_chan)
        await recorder.event(_is("DialEnd", DestChannel=ring["DestChannel"], DialStatus="ANSWER"))
        call.hangup_caller()
    await call.wait()
    assert _outline(recorder.events, since) == _recorded(name)
