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


SCENARIOS: dict[str, Callable[[AmiWire], Awaitable[None]]] = {
    "queue_pause": pause,
    "queue_status": queue_status,
    "queue_call_hangup": queue_call_hangup,
    "blind_transfer": blind_transfer,
    "attended_transfer": attended_transfer,
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
