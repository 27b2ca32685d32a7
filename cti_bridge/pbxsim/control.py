"""Call control from AMI on a talking call: ``Hangup``, ``BlindTransfer``, ``Atxfer``.

Asterisk 20 (main/manager.c ``action_hangup``, ``action_blind_transfer``, ``action_atxfer``)
answers at once; what follows on the call is what the phone-initiated transfers of
``transfer.py`` play: a hang-up with ``Cause: 16``; a blind transfer's ``BlindTransfer``
and the new leg ringing (a colleague's phone, a queue again, or the trunk) (recording
``queue/queue_blind_xfer``). ``Atxfer`` is no phone's second line: Asterisk consults the
colleague within the same call through a Local channel (``atxfer.py``).
"""

from __future__ import annotations

from collections.abc import Mapping

from cti_bridge.pbxsim import atxfer
from cti_bridge.pbxsim.flow import CallFlow
from cti_bridge.pbxsim.legs import AGENT_CONTEXT
from cti_bridge.pbxsim.pbx import Pbx
from cti_bridge.pbxsim.protocol import ActionRequest, encode_error, encode_response
from cti_bridge.pbxsim.queueing import (
    Connected,
    dial_ring,
    enter_queue,
    hang_up,
    queue_ring,
    talk_and_hang_up,
)
from cti_bridge.pbxsim.simcall import Command, SimCall
from cti_bridge.pbxsim.transfer import QUEUE_EXTENSIONS, blind, dial_outside


async def obey(flow: CallFlow, connected: Connected, command: Command) -> None:
    """Carry ``command`` out on the talking call ``connected``."""
    if command.kind == "hangup":
        hang_up(flow, connected, caller_first=command.channel == connected.caller.chan.name)
    elif command.kind == "blind":
        await blind_to(flow, connected, command.exten)
    else:
        await attended_to(flow, connected, command)


def agent_interface(flow: CallFlow, exten: str) -> str | None:
    """The member interface a dialplan extension rings (``1002`` -> ``PJSIP/1002``)."""
    for interface in flow.pbx.queue.members:
        if interface.partition("/")[2] == exten:
            return interface
    return None


def queue_at(exten: str) -> str | None:
    return next((name for name, number in QUEUE_EXTENSIONS.items() if number == exten), None)


async def blind_to(flow: CallFlow, connected: Connected, exten: str) -> None:
    """The caller leaves the agent and runs the dialplan at ``exten``."""
    blind(flow, connected, exten)
    caller = connected.caller
    interface = agent_interface(flow, exten)
    queue_name = queue_at(exten)
    if interface is not None:
        following = await dial_ring(flow, caller, [interface])
    elif queue_name is not None:
        queue = flow.pbx.queue_named(queue_name)
        enter_queue(flow, caller, queue)
        others = [a for a in flow.call.agents if a != connected.agent.interface]
        following = await queue_ring(flow, caller, queue, others)
    else:
        following = await dial_outside(flow, caller, exten)
    if following is not None:
        following.legs[:0] = connected.legs
        await talk_and_hang_up(flow, following)


async def attended_to(flow: CallFlow, connected: Connected, command: Command) -> None:
    """The agent consults a colleague on the same call, then hands the caller over
    (``atxfer.py``). An extension that is no colleague's phone: the agent goes back to
    the caller."""
    target = agent_interface(flow, command.exten)
    if target is None:
        await talk_and_hang_up(flow, connected)
        return
    context = command.context or AGENT_CONTEXT
    await atxfer.attended_to(flow, connected, command.exten, context, target)


# -- the actions' answers (main/manager.c) ------------------------------------------------

ACK = {
    "hangup": "Channel Hungup",
    "blindtransfer": "Transfer succeeded",
    "atxfer": "Atxfer successfully queued",
}
KIND = {"hangup": "hangup", "blindtransfer": "blind", "atxfer": "attended"}


def control_action(pbx: Pbx, calls: Mapping[str, SimCall], request: ActionRequest) -> bytes:
    """Answer ``Hangup``/``BlindTransfer``/``Atxfer`` as manager.c does and hand the
    command to the call owning the channel."""
    name = request.name.lower()
    aid = request.action_id
    channel_name = request.get("Channel")
    exten = request.get("Exten")
    if not channel_name:
        return encode_error(aid, "No channel specified")
    if name != "hangup" and not exten:
        return encode_error(aid, "No extension specified")
    chan = pbx.channels.live.get(channel_name)
    call = calls.get(chan.linkedid) if chan is not None else None
    if chan is None or call is None:
        missing = "No such channel" if name == "hangup" else "Channel specified does not exist"
        return encode_error(aid, missing)
    call.order(Command(KIND[name], channel_name, exten, request.get("Context") or ""))
    return encode_response("Success", aid, [("Message", ACK[name])])
