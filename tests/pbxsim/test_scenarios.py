"""The scenarios produce the event sequences of real Asterisk 20.

Header names and order are compared with the wire recordings in
``tests/fixtures/ami/asterisk20`` (Local-channel members there, PJSIP device members here,
so the comparison is per event type, not per call).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from cti_bridge.pbxsim import PbxSimulator, SimCall
from tests.pbxsim.amiclient import Frame, RawAmiClient, parse_block

RECORDINGS = Path(__file__).parent.parent / "fixtures" / "ami" / "asterisk20"
UNIQUEID = re.compile(r"^\d{10}\.\d+$")
PJSIP_CHANNEL = re.compile(r"^PJSIP/[\w+]+-[0-9a-f]{8}$")
AGENTS = ("PJSIP/1001", "PJSIP/1002", "PJSIP/1003")


def recorded_shapes() -> dict[str, set[tuple[str, ...]]]:
    """Every header-name sequence seen per event type in the real recordings."""
    shapes: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for path in RECORDINGS.glob("*.ami"):
        text = path.read_bytes().decode("utf-8")
        _, _, body = text.partition("\r\n")  # the banner line
        for block in body.split("\r\n\r\n"):
            frame = parse_block(block)
            if frame.is_event():
                shapes[frame.name].add(tuple(frame.keys))
    return shapes


async def run_call(sim: PbxSimulator, client: RawAmiClient, scenario: str, **kw: object) -> SimCall:
    call = sim.place_call(scenario, caller_number="+15551234567", caller_name="Jane Doe", **kw)  # type: ignore[arg-type]
    await call.wait()
    await client.sync()
    return call


def positions(frames: list[Frame], name: str) -> list[int]:
    return [i for i, f in enumerate(frames) if f.name == name]


def test_recordings_are_available() -> None:
    assert {"AgentCalled", "DialBegin", "VarSet", "Cdr"} <= set(recorded_shapes())


async def test_queue_ringall_answered_sequence(sim: PbxSimulator, client: RawAmiClient) -> None:
    call = await run_call(sim, client, "queue_ringall_answered", answer_by="PJSIP/1002")
    events = client.events(linkedid=call.linkedid)
    names = [f.name for f in events]
    assert call.outcome == "answered"
    assert call.answered_by == "PJSIP/1002"
    assert call.events >= 100  # a real queue call is chatty; the tracker must cope
    assert len(events) >= 75

    join = names.index("QueueCallerJoin")
    called = positions(events, "AgentCalled")
    assert len(called) == 3
    assert join < called[0]
    for index in called:  # each AgentCalled is followed by the DialBegin for that phone
        assert events[index + 1].name == "DialBegin"
        assert events[index + 1]["DestChannel"] == events[index]["DestChannel"]
    rung = [events[i]["Interface"] for i in called]
    assert rung == list(AGENTS)

    dial_ends = [
        (f["DestChannel"].rpartition("-")[0], f["DialStatus"]) for f in client.events("DialEnd")
    ]
    assert dial_ends.count(("PJSIP/1002", "ANSWER")) == 1
    assert dial_ends.count(("PJSIP/1001", "CANCEL")) == 2  # as Asterisk 20: twice per loser
    assert dial_ends.count(("PJSIP/1003", "CANCEL")) == 2
    assert names.index("QueueCallerLeave") < names.index("AgentConnect")
    assert names.index("AgentConnect") < positions(events, "BridgeEnter")[0]
    assert len(positions(events, "BridgeEnter")) == 2
    assert positions(events, "BridgeEnter")[-1] < names.index("AgentComplete")
    cdrs = [f for f in client.events("Cdr") if f["UniqueID"] == call.linkedid]
    assert sorted(f["Disposition"] for f in cdrs) == ["ANSWERED", "NO ANSWER", "NO ANSWER"]
    hangups = {f["Channel"].rpartition("-")[0]: f["Cause"] for f in client.events("Hangup")}
    assert hangups == {
        "PJSIP/1001": "26",
        "PJSIP/1003": "26",
        "PJSIP/1002": "16",
        "PJSIP/trunk": "16",
    }


async def test_queue_caller_stays_ring_until_answered(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    call = await run_call(sim, client, "queue_ringall_answered")
    events = client.events(linkedid=call.linkedid)
    connect = [f.name for f in events].index("AgentConnect")
    caller_states = {
        f["ChannelState"] for f in events[: connect + 1] if f.get("Uniqueid") == call.linkedid
    }
    assert caller_states == {"4"}


async def test_ids_and_channel_names_look_like_asterisk(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    call = await run_call(sim, client, "queue_ringall_answered")
    assert UNIQUEID.match(call.linkedid)
    for frame in client.events(linkedid=call.linkedid):
        for key in ("Uniqueid", "Linkedid", "DestUniqueid", "DestLinkedid"):
            if frame.get(key) is not None:
                assert UNIQUEID.match(frame[key]), frame.pairs
        for key in ("Channel", "DestChannel"):
            if frame.get(key) is not None and frame.name != "Cdr":
                assert PJSIP_CHANNEL.match(frame[key]), frame[key]
        if frame.get("DestLinkedid") is not None:
            assert frame["DestLinkedid"] == call.linkedid


async def test_varset_with_empty_last_value_is_on_the_wire(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    await run_call(sim, client, "queue_ringall_answered")
    assert b"Variable: ANSWEREDTIME\r\nValue: \r\n\r\n" in client.raw
    empty = [f for f in client.events("VarSet") if f["Value"] == ""]
    assert empty
    assert all(f.keys[-1] == "Value" for f in empty)


async def test_ring_times_are_taken_when_agent_called_is_written(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    call = await run_call(sim, client, "queue_ringall_answered")
    assert set(call.ring_times) == set(AGENTS)
    for frame in client.events("AgentCalled", linkedid=call.linkedid):
        written = call.ring_times[frame["Interface"]]
        assert written <= frame.received
        assert frame.received - written < 0.5


async def test_direct_answered_dials_one_phone(sim: PbxSimulator, client: RawAmiClient) -> None:
    call = await run_call(sim, client, "direct_answered", agents=["PJSIP/1003"])
    events = client.events(linkedid=call.linkedid)
    names = [f.name for f in events]
    assert call.answered_by == "PJSIP/1003"
    assert not {"AgentCalled", "QueueCallerJoin", "AgentConnect"} & set(names)
    dial = client.events("DialBegin", linkedid=call.linkedid)
    assert [f["DestChannel"].rpartition("-")[0] for f in dial] == ["PJSIP/1003"]
    assert dial[0]["DialString"] == "1003"
    assert [f["DialStatus"] for f in client.events("DialEnd", linkedid=call.linkedid)] == ["ANSWER"]
    assert names.count("BridgeEnter") == 2
    assert names.count("Hangup") == 2
    # Device state is shared with the queue, so its members' status shows up anyway.
    assert client.events("QueueMemberStatus")
    assert call.ring_times["PJSIP/1003"] <= dial[0].received


async def test_direct_answered_rings_only_the_first_agent(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    call = await run_call(sim, client, "direct_answered")
    dial = client.events("DialBegin", linkedid=call.linkedid)
    assert [f["DestChannel"].rpartition("-")[0] for f in dial] == ["PJSIP/1001"]
    assert set(call.ring_times) == {"PJSIP/1001"}


async def test_queue_abandoned(sim: PbxSimulator, client: RawAmiClient) -> None:
    call = await run_call(sim, client, "queue_abandoned")
    events = client.events(linkedid=call.linkedid)
    names = [f.name for f in events]
    assert call.outcome == "abandoned"
    assert call.answered_by is None
    assert "AgentConnect" not in names
    assert "BridgeEnter" not in names
    assert names.index("QueueCallerAbandon") < names.index("QueueCallerLeave")
    cancels = [f for f in client.events("DialEnd", linkedid=call.linkedid)]
    assert sorted(f["DestChannel"].rpartition("-")[0] for f in cancels) == list(AGENTS)
    assert {f["DialStatus"] for f in cancels} == {"CANCEL"}
    abandon = client.events("QueueCallerAbandon")[0]
    assert abandon.keys[-4:] == ["Queue", "Position", "OriginalPosition", "HoldTime"]
    assert names[-1] == "Hangup"
    assert [f["Disposition"] for f in client.events("Cdr")] == ["NO ANSWER"]


async def test_withheld_caller_is_presented_as_a_trunk_does(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    call = await run_call(sim, client, "withheld_caller")
    caller = client.events("Newchannel", linkedid=call.linkedid)[0]
    assert (caller["CallerIDNum"], caller["CallerIDName"]) == ("anonymous", "Anonymous")
    presentations = {
        f["CID-CallingPres"] for f in client.events("NewCallerid", linkedid=call.linkedid)
    }
    assert presentations == {"32 (Presentation Prohibited, Not Screened)"}
    for frame in client.events("AgentCalled", linkedid=call.linkedid):
        assert frame["CallerIDNum"] == "anonymous"
    # Phones dialled by the queue start with no caller id of their own.
    phones = [f for f in client.events("Newchannel", linkedid=call.linkedid) if f is not caller]
    assert {f["CallerIDNum"] for f in phones} == {"<unknown>"}
    assert call.outcome == "answered"


async def test_withheld_caller_can_come_without_any_number(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    call = sim.place_call("withheld_caller", caller_number="<unknown>")
    await call.wait()
    await client.sync()
    called = client.events("AgentCalled", linkedid=call.linkedid)
    assert {(f["CallerIDNum"], f["CallerIDName"]) for f in called} == {("<unknown>", "<unknown>")}


@pytest.mark.parametrize(
    "scenario", ["queue_ringall_answered", "direct_answered", "queue_abandoned"]
)
async def test_header_order_matches_the_recordings(
    sim: PbxSimulator, client: RawAmiClient, scenario: str
) -> None:
    call = await run_call(sim, client, scenario)
    shapes = recorded_shapes()
    compared = 0
    for frame in client.events(linkedid=call.linkedid) + client.events("FullyBooted"):
        if frame.name in shapes:
            assert tuple(frame.keys) in shapes[frame.name], (frame.name, frame.keys)
            compared += 1
    assert compared >= 40


async def test_event_names_are_real_ones(sim: PbxSimulator, client: RawAmiClient) -> None:
    for scenario in ("queue_ringall_answered", "queue_abandoned", "direct_answered"):
        await run_call(sim, client, scenario)
    invented = {f.name for f in client.events()} - set(recorded_shapes())
    # Abandon is not in the recordings (nobody hung up there); its name is Asterisk's.
    assert invented <= {"QueueCallerAbandon"}


async def test_time_scale_makes_calls_quick(sim: PbxSimulator) -> None:
    call = sim.place_call("queue_ringall_answered", caller_number="+15551234567")
    await call.wait()  # default 3 s ring + 8 s talk at time_scale 0.02: well under a second
    assert call.done


async def test_caller_hanging_up_while_ringing_abandons(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    call = sim.place_call("queue_ringall_answered", caller_number="+15551234567", ring_seconds=100)
    await client.wait_for(lambda f: f.is_event("DialState"))
    call.hangup_caller()
    await call.wait()
    await client.sync()
    assert call.outcome == "abandoned"
    assert client.events("QueueCallerAbandon", linkedid=call.linkedid)


async def test_caller_hanging_up_while_talking_ends_from_caller_side(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    call = sim.place_call("queue_ringall_answered", caller_number="+15551234567", talk_seconds=100)
    await client.wait_for(lambda f: f.is_event("BridgeEnter") and f["Uniqueid"] == call.linkedid)
    call.hangup_caller()
    await call.wait()
    await client.sync()
    complete = client.events("AgentComplete", linkedid=call.linkedid)[0]
    assert complete["Reason"] == "caller"
    first_request = client.events("HangupRequest", linkedid=call.linkedid)[0]
    assert first_request["Uniqueid"] == call.linkedid


async def test_originate_plays_a_click_to_dial_call(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    response = await client.request(
        ("Action", "Originate"),
        ("ActionID", "orig-1"),
        ("Channel", "PJSIP/1002"),
        ("Context", "from-internal"),
        ("Exten", "+15557654321"),
        ("Priority", "1"),
        ("CallerID", '"Bob Smith" <+15557654321>'),
        ("Variable", "CTI_AGENT=bob"),
        ("Async", "true"),
    )
    assert response.pairs == [
        ("Response", "Success"),
        ("ActionID", "orig-1"),
        ("Message", "Originate successfully queued"),
    ]
    answered = await client.wait_for(lambda f: f.is_event("OriginateResponse"))
    assert answered["ActionID"] == "orig-1"
    assert answered["Response"] == "Success"
    assert answered["Channel"].startswith("PJSIP/1002-")
    call = sim.recent_calls[-1]
    await call.wait()
    await client.sync()
    frames = client.events(linkedid=call.linkedid)
    first_dial = next(f for f in frames if f.name == "DialBegin")
    assert "Channel" not in first_dial.keys  # the originate leg has no calling channel
    assert first_dial["DestChannel"].startswith("PJSIP/1002-")
    names = [f.name for f in frames]
    answer_end = next(f for f in frames if f.name == "DialEnd" and f["DialStatus"] == "ANSWER")
    assert client.frames.index(answer_end) < client.frames.index(answered)
    assert ("CTI_AGENT", "bob") in [(f["Variable"], f["Value"]) for f in client.events("VarSet")]
    outbound = [f for f in frames if f.name == "DialBegin" and f.get("Channel")]
    assert outbound
    assert outbound[0]["DestChannel"].startswith("PJSIP/trunk-")
    assert call.ring_times["PJSIP/1002"] > 0
    assert names.count("BridgeEnter") == 2


async def test_unanswered_originate_sends_no_originate_response(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    sim.ring_seconds = 100
    await client.request(
        ("Action", "Originate"), ("Channel", "PJSIP/1001"), ("Exten", "200"), ("Context", "x")
    )
    await client.wait_for(lambda f: f.is_event("DialState"))
    call = sim.active_calls[0]
    call.hangup_caller()
    await call.wait()
    await client.sync()
    assert not client.events("OriginateResponse")
    assert client.events("Hangup", linkedid=call.linkedid)


async def test_originate_application_response_matches_recording(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    await client.request(
        ("Action", "Originate"),
        ("Channel", "PJSIP/1001"),
        ("Application", "Wait"),
        ("Data", "10"),
        ("CallerID", '"Jane Doe" <+15551234567>'),
    )
    answered = await client.wait_for(lambda f: f.is_event("OriginateResponse"))
    assert tuple(answered.keys) in recorded_shapes()["OriginateResponse"]
    await sim.recent_calls[-1].wait()
