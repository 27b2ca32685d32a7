"""Record ground truth from the real Asterisk running the sample configuration: each
scenario on its own AMI connection, saved to tests/fixtures/asterisk20-live/<name>.ami
and <name>.actions.txt. Run: ``.venv/bin/python -m tests.live.capture [NAME...]``.

Robot agents (extensions.conf [agents]): Local/1001@agents answers after 2 s; the robots
1002 and 1003 are set to ring 60 s (AstDB robot/<ext>), so 1001 takes every queue call.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from tests.live.amiwire import AmiWire, Frame

OUT = Path(__file__).parent.parent / "fixtures" / "asterisk20-live"
USER = os.environ.get("CTI_LIVE_AMI_USER", "cti")
SECRET = os.environ.get("CTI_LIVE_AMI_SECRET", "ctisecret")
ASTERISK = os.environ.get("CTI_LIVE_ASTERISK", "/opt/asterisk/sbin/asterisk")
CALLER = '"Jane Doe" <+15551234567>'


def cli(command: str) -> str:
    """An Asterisk CLI command through the control socket (robot set-up, not the bridge)."""
    return subprocess.run(
        [ASTERISK, "-rx", command], check=True, capture_output=True, text=True
    ).stdout


def robots(**ring: int) -> None:
    """Set the robot lines' ring seconds (none given: back to the dialplan's ROBOT_RING).
    Without the CLI here (Asterisk on another host) the robots keep their defaults."""
    if not os.access(ASTERISK, os.X_OK):
        return
    for ext in ("1001", "1002", "1003"):
        seconds = ring.get(f"r{ext}")
        cli(f"database put robot {ext} {seconds}" if seconds else f"database del robot {ext}")


async def queue_call(ami: AmiWire, queue: str = "support") -> Frame:
    """Originate a caller into the queue; returns AgentConnect (1001 answered)."""
    since = ami.mark()
    response = await ami.action(
        "Originate",
        Channel=f"Local/{queue}@queues",
        CallerID=CALLER,
        Application="Wait",
        Data="60",
        Async="true",
        Timeout="30000",
    )
    assert response["Response"] == "Success", response
    return await ami.event("AgentConnect", since, Interface="Local/1001@agents")


async def pause(ami: AmiWire) -> None:
    member = "Local/1003@agents"
    await ami.action("QueuePause", Interface=member, Paused="true", Reason="lunch")
    await ami.action("QueueStatus", Member=member)
    await asyncio.sleep(0.5)
    await ami.action("QueuePause", Interface=member, Paused="false")
    await ami.action("QueuePause", Interface=member, Queue="support", Paused="true", Reason="break")
    await ami.action("QueuePause", Interface=member, Queue="support", Paused="false", Reason="")
    await ami.action("QueuePause", Interface="Local/1999@agents", Paused="true", Reason="lunch")
    await asyncio.sleep(0.5)


async def queue_status(ami: AmiWire) -> None:
    await ami.action("QueueStatus")
    await asyncio.sleep(1)
    await ami.action("QueueStatus", Queue="support")
    await asyncio.sleep(1)


async def queue_call_hangup(ami: AmiWire) -> None:
    connect = await queue_call(ami)
    await asyncio.sleep(2)
    await ami.action("CoreShowChannels")
    await asyncio.sleep(0.5)
    since = ami.mark()
    await ami.action("Hangup", Channel=connect["DestChannel"])
    await ami.event("AgentComplete", since)
    await ami.action("Hangup", Channel="Local/9999@nowhere-00000000;1")
    await asyncio.sleep(1)


async def blind_transfer(ami: AmiWire) -> None:
    connect = await queue_call(ami)
    await asyncio.sleep(1)
    since = ami.mark()
    robots(r1002=1, r1003=60)
    await ami.action(
        "BlindTransfer", Channel=connect["DestChannel"], Exten="1002", Context="agent-transfer"
    )
    await ami.event("BlindTransfer", since)
    answered = await ami.wait(
        lambda f: f.get("Event") == "BridgeEnter" and "1002@agents" in f.get("Channel", ""), since
    )
    await asyncio.sleep(1)
    await ami.action("Hangup", Channel=answered["Channel"])
    await asyncio.sleep(2)


async def blind_transfer_queue(ami: AmiWire) -> None:
    """The desk's transfer to a queue: BlindTransfer of Ann's channel to 7000@from-internal
    (the support queue again, where Bob answers after 1 s)."""
    connect = await queue_call(ami)
    await asyncio.sleep(1)
    since = ami.mark()
    robots(r1001=60, r1002=1, r1003=60)
    await ami.action(
        "BlindTransfer", Channel=connect["DestChannel"], Exten="7000", Context="from-internal"
    )
    answered = await ami.event("AgentConnect", since, Interface="Local/1002@agents")
    await asyncio.sleep(1)
    await ami.action("Hangup", Channel=answered["DestChannel"])
    await asyncio.sleep(2)


async def attended_transfer(ami: AmiWire) -> None:
    connect = await queue_call(ami)
    await asyncio.sleep(1)
    since = ami.mark()
    robots(r1002=1, r1003=60)
    await ami.action(
        "Atxfer", Channel=connect["DestChannel"], Exten="1002", Context="agent-transfer"
    )
    target = await ami.wait(
        lambda f: f.get("Event") == "BridgeEnter" and "1002@agents" in f.get("Channel", ""), since
    )
    await asyncio.sleep(1)
    # The transferring agent hangs up: the caller and the target are joined.
    await ami.action("Hangup", Channel=connect["DestChannel"])
    await ami.event("AttendedTransfer", since)
    await asyncio.sleep(1)
    await ami.action("Hangup", Channel=target["Channel"])
    await asyncio.sleep(2)


async def attended_transfer_hangup_ringing(ami: AmiWire) -> None:
    """Ann's Atxfer to Bob, whose robot rings 6 s; Ann hangs up while Bob still rings."""
    connect = await queue_call(ami)
    await asyncio.sleep(1)
    since = ami.mark()
    robots(r1002=6, r1003=60)
    await ami.action(
        "Atxfer", Channel=connect["DestChannel"], Exten="1002", Context="agent-transfer"
    )
    await ami.wait(
        lambda f: f.get("Event") == "DialBegin" and "1002@agents" in f.get("DestChannel", ""),
        since,
    )
    await asyncio.sleep(1)
    await ami.action("Hangup", Channel=connect["DestChannel"])
    target = await ami.wait(
        lambda f: f.get("Event") == "BridgeEnter" and "1002@agents" in f.get("Channel", ""),
        since,
        timeout=20,
    )
    await asyncio.sleep(2)
    await ami.action("Hangup", Channel=target["Channel"])
    await asyncio.sleep(2)


async def attended_transfer_no_answer(ami: AmiWire) -> None:
    """Ann's Atxfer to Bob, who never answers: after atxfernoanswertimeout (20 s,
    atxferdropcall=no) the caller comes back to Ann, who hangs up 2 s later."""
    connect = await queue_call(ami)
    await asyncio.sleep(1)
    robots(r1002=60, r1003=60)
    await ami.action(
        "Atxfer", Channel=connect["DestChannel"], Exten="1002", Context="agent-transfer"
    )
    await asyncio.sleep(24)
    back = ami.mark()
    await ami.action("Hangup", Channel=connect["DestChannel"])
    await ami.event("Hangup", back, Channel=connect["DestChannel"])
    await asyncio.sleep(2)


async def queue_add_remove(ami: AmiWire) -> None:
    """A dynamic member logs in to sales (paused, with a reason), then out."""
    member = "Local/1002@agents"
    fields = {"Queue": "sales", "Interface": member, "MemberName": "Bob"}
    await ami.action("QueueAdd", **fields, Paused="true", Reason="training")
    await ami.action("QueueAdd", **fields)  # already a member: an error
    await ami.action("QueueStatus", Queue="sales")
    await asyncio.sleep(0.5)
    await ami.action("QueueRemove", Queue="sales", Interface=member)
    await ami.action("QueueRemove", Queue="sales", Interface=member)  # not a member any more
    await asyncio.sleep(0.5)


async def pause_feature_code(ami: AmiWire) -> None:
    """Sue's phone dials *452 (pause, lunch) then *46 (unpause): extensions.conf
    [from-internal]; the pause is made by the dialplan, not by AMI."""
    for code in ("*452", "*46"):
        since = ami.mark()
        await ami.action(
            "Originate",
            Channel=f"Local/{code}@from-internal",
            CallerID='"Sue" <1003>',
            Application="Wait",
            Data="2",
            Async="true",
        )
        await ami.event("QueueMemberPause", since)
        await asyncio.sleep(1)


async def abandoned(ami: AmiWire) -> None:
    """Every agent rings 60 s; the caller hangs up after 3 s in the queue."""
    robots(r1001=60, r1002=60, r1003=60)
    since = ami.mark()
    await ami.action(
        "Originate",
        Channel="Local/support@queues",
        CallerID=CALLER,
        Application="Wait",
        Data="60",
        Async="true",
    )
    join = await ami.event("QueueCallerJoin", since)
    await asyncio.sleep(3)
    await ami.action("Hangup", Channel=join["Channel"].replace(";2", ";1"))
    await ami.event("QueueCallerAbandon", since)
    await asyncio.sleep(1)


async def ring_no_answer(ami: AmiWire) -> None:
    """Nobody answers within the queue's 15 s timeout: AgentRingNoAnswer for each member;
    then Ann answers on the retry (her robot rings 2 s again)."""
    since = ami.mark()
    robots(r1001=20, r1002=20, r1003=20)
    await ami.action(
        "Originate",
        Channel="Local/support@queues",
        CallerID=CALLER,
        Application="Wait",
        Data="60",
        Async="true",
        Timeout="60000",
    )
    await ami.event("AgentRingNoAnswer", since, timeout=40)
    robots(r1002=60, r1003=60)
    connect = await ami.event("AgentConnect", since, timeout=40)
    await asyncio.sleep(1)
    await ami.action("Hangup", Channel=connect["DestChannel"])
    await asyncio.sleep(1)


SCENARIOS: dict[str, Callable[[AmiWire], Awaitable[None]]] = {
    "queue_pause": pause,
    "queue_status": queue_status,
    "queue_call_hangup": queue_call_hangup,
    "blind_transfer": blind_transfer,
    "blind_transfer_queue": blind_transfer_queue,
    "attended_transfer": attended_transfer,
    "attended_transfer_hangup_ringing": attended_transfer_hangup_ringing,
    "attended_transfer_no_answer": attended_transfer_no_answer,
    "queue_add_remove": queue_add_remove,
    "pause_feature_code": pause_feature_code,
    "abandoned": abandoned,
    "ring_no_answer": ring_no_answer,
}


async def record(name: str) -> None:
    robots(r1002=60, r1003=60)
    ami = AmiWire()
    try:
        login = await ami.connect(USER, SECRET)
        assert login["Response"] == "Success", login
        await ami.event("FullyBooted")
        await SCENARIOS[name](ami)
        await ami.action("Logoff")
    finally:
        await ami.close()
        ami.save(OUT / name)
        robots()
    print(f"{name}: {len(ami.frames)} frames -> {OUT / name}.ami")


async def main(names: list[str]) -> None:
    for name in names or list(SCENARIOS):
        await record(name)
        await asyncio.sleep(2)  # the previous calls' last events settle


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
