"""What the live checks do on the PBX side: a caller entering the dialplan, a member's
queue state as QueueStatus lists it."""

from __future__ import annotations

from tests.live.amiwire import AmiWire, Frame
from tests.live.capture import CALLER

JANE = "+15551234567"


async def originate(pbx: AmiWire, channel: str) -> str:
    """A caller ("Jane Doe" <+15551234567>) entering the dialplan at ``channel``; returns
    the call's linkedid (the first channel's uniqueid)."""
    since = pbx.mark()
    response = await pbx.action(
        "Originate",
        Channel=channel,
        CallerID=CALLER,
        Application="Wait",
        Data="60",
        Async="true",
        Timeout="30000",
    )
    assert response["Response"] == "Success", response
    prefix = channel + "-"
    first = await pbx.wait(
        lambda f: f.get("Event") == "Newchannel" and f.get("Channel", "").startswith(prefix),
        since,
    )
    return first["Linkedid"]


async def sue_dials(pbx: AmiWire, code: str) -> None:
    """Sue's phone dials a feature code of extensions.conf [from-internal] (``*452``
    pause for lunch, ``*46`` unpause, ``*50``/``*51`` sales log-in/out): the dialplan acts,
    not AMI."""
    response = await pbx.action(
        "Originate",
        Channel=f"Local/{code}@from-internal",
        CallerID='"Sue" <1003>',
        Application="Wait",
        Data="2",
        Async="true",
    )
    assert response["Response"] == "Success", response


async def memberships(pbx: AmiWire, interface: str) -> dict[str, Frame]:
    """Every queue ``interface`` is a member of, with its ``QueueMember`` frame."""
    since = pbx.mark()
    response = await pbx.action("QueueStatus", Member=interface)
    assert response["Response"] == "Success", response
    action_id = response["ActionID"]
    await pbx.event("QueueStatusComplete", since, ActionID=action_id)
    return {
        f["Queue"]: f
        for f in pbx.frames[since:]
        if f.get("Event") == "QueueMember"
        and f.get("ActionID") == action_id
        and f.get("Location", f.get("Interface")) == interface
    }
