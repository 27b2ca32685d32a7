"""QueuePause as apps/app_queue.c (Asterisk 20) answers it: the reply texts, one
``QueueMemberPause`` per membership with the queue_member_blob_create header set, the state
shown by QueueStatus, and paused members left out when a queue rings."""

from __future__ import annotations

from cti_bridge.pbxsim import PbxSimulator
from tests.pbxsim.amiclient import Frame, RawAmiClient
from tests.pbxsim.test_scenarios import run_call

# apps/app_queue.c queue_member_blob_create, in its order (QueueMemberStatus shares it).
BLOB = [
    "Queue",
    "MemberName",
    "Interface",
    "StateInterface",
    "Membership",
    "Penalty",
    "CallsTaken",
    "LastCall",
    "LastPause",
    "LoginTime",
    "InCall",
    "Status",
    "Paused",
    "PausedReason",
    "Ringinuse",
    "Wrapuptime",
]


async def pause(client: RawAmiClient, *pairs: tuple[str, str]) -> Frame:
    response = await client.request(("Action", "QueuePause"), *pairs)
    await client.sync()
    return response


async def members(client: RawAmiClient, interface: str) -> dict[str, tuple[str, str]]:
    """Queue -> (Paused, PausedReason) of ``interface`` as QueueStatus lists it."""
    response = await client.request(("Action", "QueueStatus"))
    await client.wait_for(lambda f: f.is_event("QueueStatusComplete"))
    return {
        f["Queue"]: (f["Paused"], f["PausedReason"])
        for f in client.events("QueueMember")
        if f.get("ActionID") == response["ActionID"] and f["Location"] == interface
    }


async def test_pause_everywhere_then_unpause(sim: PbxSimulator, client: RawAmiClient) -> None:
    await run_call(sim, client, "queue_rrmemory")  # a second queue, "sales", exists now
    reply = await pause(
        client, ("Interface", "PJSIP/1002"), ("Paused", "true"), ("Reason", "lunch")
    )
    assert (reply.name, reply["Message"]) == ("Success", "Interface paused successfully")
    events = client.events("QueueMemberPause")
    assert [(e["Queue"], e["Paused"], e["PausedReason"]) for e in events] == [
        ("support", "1", "lunch"),
        ("sales", "1", "lunch"),
    ]
    assert all(e.keys[1:] == ["Privilege", "Timestamp", *BLOB] for e in events)
    assert events[0]["Privilege"] == "agent,all" and int(events[0]["LastPause"]) > 0
    assert await members(client, "PJSIP/1002") == {
        "support": ("1", "lunch"),
        "sales": ("1", "lunch"),
    }
    assert (await members(client, "PJSIP/1001"))["support"] == ("0", "")
    reply = await pause(client, ("Interface", "PJSIP/1002"), ("Paused", "false"))
    assert reply["Message"] == "Interface unpaused successfully"
    assert [e["Paused"] for e in client.events("QueueMemberPause")[2:]] == ["0", "0"]
    assert set((await members(client, "PJSIP/1002")).values()) == {("0", "")}


async def test_one_queue_and_the_errors(sim: PbxSimulator, client: RawAmiClient) -> None:
    reply = await pause(client, ("Interface", "PJSIP/1001"), ("Paused", "1"), ("Queue", "support"))
    assert reply.name == "Success"
    [event] = client.events("QueueMemberPause")
    assert (event["Queue"], event["PausedReason"]) == ("support", "")
    unknown = await pause(client, ("Interface", "PJSIP/9999"), ("Paused", "true"))
    assert (unknown.name, unknown["Message"]) == ("Error", "Interface not found")
    missing = await pause(client, ("Interface", "PJSIP/1001"))
    assert missing["Message"] == "Need 'Interface' and 'Paused' parameters."
    assert len(client.events("QueueMemberPause")) == 1


async def test_unpause_with_a_reason_reports_it_once(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    await pause(client, ("Interface", "PJSIP/1001"), ("Paused", "true"), ("Reason", "break"))
    await pause(client, ("Interface", "PJSIP/1001"), ("Paused", "no"), ("Reason", "back"))
    unpaused = client.events("QueueMemberPause")[-1]
    assert (unpaused["Paused"], unpaused["PausedReason"]) == ("0", "back")
    assert await members(client, "PJSIP/1001") == {"support": ("0", "")}


async def test_a_paused_member_is_not_rung(sim: PbxSimulator, client: RawAmiClient) -> None:
    await pause(client, ("Interface", "PJSIP/1001"), ("Paused", "true"))
    call = await run_call(sim, client, "queue_ringall_answered")
    rung = {f["DestChannel"].rpartition("-")[0] for f in client.events("AgentCalled")}
    assert rung and "PJSIP/1001" not in rung
    assert call.answered_by != "PJSIP/1001"
    hunted = await run_call(sim, client, "queue_rrmemory", answer_by="PJSIP/1001")
    assert hunted.answered_by != "PJSIP/1001"
