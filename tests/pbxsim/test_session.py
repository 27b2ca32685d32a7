"""The simulator's manager sessions answer like Asterisk 20's (recordings and manager.c)."""

from __future__ import annotations

import asyncio

from cti_bridge.pbxsim import PbxSimulator
from tests.pbxsim.amiclient import RawAmiClient


async def test_banner_is_the_exact_asterisk_line(sim: PbxSimulator) -> None:
    raw = await RawAmiClient.connect(sim.port)
    try:
        await raw.login()
        assert raw.banner == b"Asterisk Call Manager/9.0.0\r\n"
    finally:
        await raw.close()


async def test_login_echoes_action_id_then_fully_booted(sim: PbxSimulator) -> None:
    raw = await RawAmiClient.connect(sim.port)
    try:
        response = await raw.request(
            ("Action", "Login"),
            ("ActionID", "login-1"),
            ("Username", "cti"),
            ("Secret", "change-me"),
        )
        assert response.pairs == [
            ("Response", "Success"),
            ("ActionID", "login-1"),
            ("Message", "Authentication accepted"),
        ]
        booted = await raw.wait_for(lambda f: f.is_event("FullyBooted"))
        assert booted.keys == ["Event", "Privilege", "Uptime", "LastReload", "Status"]
        assert booted["Privilege"] == "system,all"
        assert int(booted["Uptime"]) > 24 * 3600  # a PBX that has been up for a while
        assert raw.frames.index(response) < raw.frames.index(booted)
        auth = await raw.wait_for(lambda f: f.is_event("SuccessfulAuth"))
        assert auth["AccountID"] == "cti"
    finally:
        await raw.close()


async def test_wrong_secret_is_refused_and_the_connection_closed(sim: PbxSimulator) -> None:
    raw = await RawAmiClient.connect(sim.port)
    try:
        response = await raw.login(secret="wrong")
        assert response.name == "Error"
        assert response["Message"] == "Authentication failed"
        await asyncio.wait_for(raw.closed.wait(), 2)
        assert sim.logins_failed == 1
        assert not raw.events()
    finally:
        await raw.close()


async def test_actions_before_login_are_denied_and_no_events_flow(sim: PbxSimulator) -> None:
    raw = await RawAmiClient.connect(sim.port)
    try:
        call = sim.place_call("direct_answered", caller_number="+15550001111")
        response = await raw.request(("Action", "Ping"))
        assert response.name == "Error"
        assert response["Message"] == "Permission denied"
        await call.wait()
        await raw.login()
        await raw.sync()
        assert not raw.events(linkedid=call.linkedid)
    finally:
        await raw.close()


async def test_logoff_says_goodbye_and_closes(client: RawAmiClient) -> None:
    response = await client.request(("Action", "Logoff"))
    assert response.name == "Goodbye"
    assert response["Message"] == "Thanks for all the fish."
    await asyncio.wait_for(client.closed.wait(), 2)


async def test_ping_answers_pong_with_timestamp(client: RawAmiClient) -> None:
    response = await client.request(("Action", "Ping"), ("ActionID", "p-9"))
    assert response.keys == ["Response", "ActionID", "Ping", "Timestamp"]
    assert response["ActionID"] == "p-9"
    assert response["Ping"] == "Pong"
    assert float(response["Timestamp"]) > 1e9


async def test_events_action_switches_events_off_and_on(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    off = await client.request(("Action", "Events"), ("EventMask", "off"))
    assert off["Events"] == "Off"
    quiet = sim.place_call("direct_answered", caller_number="+15550001111")
    await quiet.wait()
    await client.sync()
    assert not client.events(linkedid=quiet.linkedid)

    on = await client.request(("Action", "Events"), ("EventMask", "on"))
    assert on["Events"] == "On"
    loud = sim.place_call("direct_answered", caller_number="+15550002222")
    await loud.wait()
    await client.sync()
    assert client.events("Hangup", linkedid=loud.linkedid)


async def test_login_with_events_off_gets_responses_only(sim: PbxSimulator) -> None:
    raw = await RawAmiClient.connect(sim.port)
    try:
        assert (await raw.login(events="off")).name == "Success"
        call = sim.place_call("direct_answered", caller_number="+15550001111")
        await call.wait()
        await raw.sync()
        assert raw.events() == []
    finally:
        await raw.close()


async def test_event_class_mask_filters_by_privilege(sim: PbxSimulator) -> None:
    raw = await RawAmiClient.connect(sim.port)
    try:
        await raw.login(events="agent")
        call = sim.place_call("queue_ringall_answered", caller_number="+15550001111")
        await call.wait()
        await raw.sync()
        privileges = {f["Privilege"] for f in raw.events()}
        assert privileges == {"agent,all"}
        assert raw.events("AgentConnect")
    finally:
        await raw.close()


async def test_unknown_and_missing_actions_get_asterisk_errors(client: RawAmiClient) -> None:
    unknown = await client.request(("Action", "FrobnicateAll"))
    assert unknown.name == "Error"
    assert unknown["Message"] == (
        "Invalid/unknown command: FrobnicateAll. "
        "Use Action: ListCommands to show available commands."
    )
    missing = await client.request(("Channel", "PJSIP/1001"))
    assert missing["Message"] == "Missing action in request"


async def test_core_show_channels_lists_live_channels(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    call = sim.place_call("queue_ringall_answered", caller_number="+15550001111", ring_seconds=50)
    await client.wait_for(lambda f: f.is_event("DialState"))
    action_id = client.send(("Action", "CoreShowChannels"))
    done = await client.wait_for(lambda f: f.is_event("CoreShowChannelsComplete"))
    replies = [f for f in client.frames if f.get("ActionID") == action_id]
    assert replies[0].pairs[:4] == [
        ("Response", "Success"),
        ("ActionID", action_id),
        ("EventList", "start"),
        ("Message", "Channels will follow"),
    ]
    items = [f for f in replies if f.is_event("CoreShowChannel")]
    assert len(items) == 4  # the trunk leg and three ringing phones
    assert {f["Linkedid"] for f in items} == {call.linkedid}
    assert items[0].keys[:3] == ["Event", "ActionID", "Channel"]
    assert items[0].keys[-4:] == ["BridgeId", "Application", "ApplicationData", "Duration"]
    assert "Privilege" not in items[0].keys
    assert done.pairs[1:] == [
        ("ActionID", action_id),
        ("EventList", "Complete"),
        ("ListItems", "4"),
    ]
    call.hangup_caller()
    await call.wait()


async def test_queue_status_reports_params_members_and_waiting_callers(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    call = sim.place_call("queue_ringall_answered", caller_number="+15550001111", ring_seconds=50)
    await client.wait_for(lambda f: f.is_event("QueueCallerJoin"))
    response = await client.request(("Action", "QueueStatus"))
    assert response["Message"] == "Queue status will follow"
    await client.wait_for(lambda f: f.is_event("QueueStatusComplete"))
    action_id = response["ActionID"]
    items = [f for f in client.frames if f.kind == "Event" and f.get("ActionID") == action_id]
    assert [f.name for f in items] == [
        "QueueParams",
        "QueueMember",
        "QueueMember",
        "QueueMember",
        "QueueEntry",
        "QueueStatusComplete",
    ]
    assert items[0]["Queue"] == "support"
    assert items[0]["Calls"] == "1"
    assert [f["Location"] for f in items[1:4]] == list(sim.agents)
    assert items[4]["Uniqueid"] == call.linkedid
    assert items[4]["CallerIDNum"] == "+15550001111"
    assert items[-1]["ListItems"] == "5"
    call.hangup_caller()
    await call.wait()


async def test_originate_errors_use_asterisk_messages(client: RawAmiClient) -> None:
    no_channel = await client.request(("Action", "Originate"), ("Exten", "100"))
    assert no_channel["Message"] == "Channel not specified"
    bad_channel = await client.request(
        ("Action", "Originate"), ("Channel", "nonsense"), ("Exten", "100")
    )
    assert bad_channel["Message"] == "Invalid channel"
