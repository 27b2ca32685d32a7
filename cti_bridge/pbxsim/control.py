"""Call control from AMI on a talking call: ``Hangup``, ``BlindTransfer``, ``Atxfer``.

Asterisk 20 (main/manager.c ``action_hangup``, ``action_blind_transfer``, ``action_atxfer``)
answers at once; what follows on the call is what the phone-initiated transfers of
``transfer.py`` play: a hang-up with ``Cause: 16``; a blind transfer's ``BlindTransfer``
and the new leg ringing (a colleague's phone, a queue again, or the trunk); an attended
transfer's consultation call from the agent's second line, then ``AttendedTransfer`` when
the agent completes it (recordings ``queue/queue_blind_xfer``, ``queue/queue_attn_xfer``).
"""

from __future__ import annotations

from collections.abc import Mapping

from cti_bridge.pbxsim.channels import ChannelState
from cti_bridge.pbxsim.flow import CallFlow
from cti_bridge.pbxsim.legs import answer
from cti_bridge.pbxsim.pbx import Pbx
from cti_bridge.pbxsim.protocol import ActionRequest, encode_error, encode_response
from cti_bridge.pbxsim.queueing import (
    Connected,
    dial_ring,
    enter_dial,
    enter_queue,
    hang_up,
    queue_ring,
    talk_and_hang_up,
)
from cti_bridge.pbxsim.simcall import Command, SimCall
from cti_bridge.pbxsim.transfer import (
    QUEUE_EXTENSIONS,
    blind,
    complete_attended,
    dial_outside,
    second_line,
)


async def obey(flow: CallFlow, connected: Connected, command: Command) -> None:
    """Carry ``command`` out on the talking call ``connected``."""
    if command.kind == "hangup":
        hang_up(flow, connected, caller_first=command.channel == connected.caller.chan.name)
    elif command.kind == "blind":
        await blind_to(flow, connected, command.exten)
    else:
        await attended_to(flow, connected, command.exten)


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


async def attended_to(flow: CallFlow, connected: Connected, exten: str) -> None:
    """The agent holds the caller and calls ``exten`` (a colleague) on the second line;
    the transfer completes when the consultation ends (its talk time, or any further
    command such as the agent hanging up, as Asterisk completes it on the agent's hang-up).
    An extension that is no colleague's phone: the agent goes back to the caller."""
    call = flow.call
    target = agent_interface(flow, exten)
    if target is None:
        await talk_and_hang_up(flow, connected)
        return
    flow.chan_event("Hold", connected.agent.chan, [("MusicClass", "default")])
    flow.chan_event("MusicOnHoldStart", connected.caller.chan, [("Class", "default")])
    consult = second_line(flow, connected.agent, target)
    legs = enter_dial(flow, consult, [target])
    await call.pause(call.timing.ring)
    colleague = legs[0]
    answer(flow, consult, legs, colleague)
    flow.new_state(consult.chan, ChannelState.UP)
    consultation = flow.bridge(colleague.chan, consult.chan)
    # A command given while the colleague still rang (the agent hung up at once) completes
    # the transfer as soon as they answer.
    if call.command is None:
        call.talking = True
        try:
            await call.pause(call.timing.talk)
        finally:
            call.talking = False
    call.take_command()
    complete_attended(flow, connected, consult, colleague, consultation)
    following = Connected(
        connected.caller, colleague, connected.bridge, [*connected.legs, colleague]
    )
    await talk_and_hang_up(flow, following)


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
    call.order(Command(KIND[name], channel_name, exten))
    return encode_response("Success", aid, [("Message", ACK[name])])
