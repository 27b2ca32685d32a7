"""Transfers: the agent who answered hands the caller on, as Asterisk 20 reports it.

Every transfer scenario starts the same way: the call comes in through the ``support``
queue, rings one agent (``answer_by`` or the first), who answers and talks. Then:

* **Blind** (the phone's transfer key, a SIP REFER): ``BlindTransfer`` (``Transferer*``,
  ``Transferee*``, the bridge, ``Context``/``Extension``), app_queue's ``AgentComplete``
  with ``Reason: transfer``, the agent leaves the bridge and hangs up, the caller leaves
  it too and runs the dialplan at the extension: ``Dial()`` of a colleague's phone, the
  ``Queue()`` again, or ``Dial()`` out of the trunk to an outside number. The caller's
  channel and Linkedid stay the same throughout (recording ``queue/queue_blind_xfer``).
* **Attended**: the agent puts the caller on hold (``Hold``, music on hold) and calls the
  colleague from a second line - a call of its own with its own Linkedid - talks, then
  completes: the colleague's channel leaves the consultation bridge, the agent's leaves
  the caller's, the colleague's enters it (now with the caller's Linkedid), then
  ``AttendedTransfer`` (``DestType: Bridge``) and both of the agent's channels hang up
  (recording ``queue/queue_attn_xfer``).
"""

from __future__ import annotations

import time

from cti_bridge.pbxsim.channels import Bridge, Channel, ChannelState
from cti_bridge.pbxsim.flow import PRESENTATION_ALLOWED, CallFlow
from cti_bridge.pbxsim.legs import (
    AGENT_CONTEXT,
    INBOUND_CONTEXT,
    TRUNK,
    Inbound,
    Leg,
    answer,
    inbound,
    interface_name,
)
from cti_bridge.pbxsim.pbx import NOT_INUSE
from cti_bridge.pbxsim.protocol import CALL
from cti_bridge.pbxsim.queueing import (
    DIAL_START_VARS,
    Connected,
    dial_ring,
    enter_dial,
    enter_queue,
    hang_up,
    queue_ring,
    talk_and_hang_up,
)

OUTSIDE_NUMBER = "+15557654321"
# The extension the dialplan reaches a queue on (``exten => 7000,1,Queue(support,...)``).
QUEUE_EXTENSIONS = {"support": "7000", "sales": "7001", "billing": "7002"}


async def _answered_and_talking(flow: CallFlow) -> Connected | None:
    """The queue rings the first agent alone, who answers and talks for the talk time.
    None when the call is already over (the caller gave up or hung up while talking)."""
    call = flow.call
    caller = await inbound(flow, withheld=False)
    queue = flow.pbx.queue
    enter_queue(flow, caller, queue)
    first = call.answer_by or call.agents[0]
    connected = await queue_ring(flow, caller, queue, [first])
    if connected is None:
        return None
    if await call.pause(call.timing.talk):
        hang_up(flow, connected, caller_first=True)
        return None
    return connected


def _hops(flow: CallFlow, connected: Connected) -> list[str]:
    """Whom the caller is handed to, in turn: ``transfer_to`` (``PJSIP/1002,PJSIP/1001``
    is a transfer and a transfer back), else the next agent of the call."""
    call = flow.call
    if call.transfer_to:
        return [hop.strip() for hop in call.transfer_to.split(",") if hop.strip()]
    others = [a for a in call.agents if a != connected.agent.interface]
    return others[:1]


def _colleague(flow: CallFlow, connected: Connected) -> str | None:
    hops = _hops(flow, connected)
    return hops[0] if hops else None


def blind(flow: CallFlow, connected: Connected, exten: str) -> None:
    """The agent blind-transfers the caller to ``exten``; the caller leaves the bridge and
    is ready to run the dialplan there (``Newexten`` at priority 1 comes next)."""
    agent, caller, bridge = connected.agent, connected.caller, connected.bridge
    headers = [
        ("Result", "Success"),
        *agent.chan.snapshot("Transferer"),
        *caller.chan.snapshot("Transferee"),
        *bridge.headers(),
        ("IsExternal", "Yes"),
        ("Context", AGENT_CONTEXT),
        ("Extension", exten),
    ]
    flow.emit("BlindTransfer", CALL, headers)
    connected.agent_complete(flow, "transfer")
    flow.bridge_leave(bridge, agent.chan)
    flow.hangup(agent.chan)
    flow.agent_device(agent.interface, NOT_INUSE)
    flow.bridge_leave(bridge, caller.chan)
    flow.bridge_destroy(bridge)
    flow.varset(caller.chan, "BLINDTRANSFER", agent.chan.name)
    caller.chan.context, caller.chan.exten, caller.chan.priority = AGENT_CONTEXT, exten, 0


async def blind_to_agent(flow: CallFlow) -> None:
    """Blind transfer to a colleague, who may transfer on in turn (see :func:`_hops`)."""
    call = flow.call
    connected = await _answered_and_talking(flow)
    if connected is None:
        return
    hops = _hops(flow, connected)
    if not hops:  # nobody to hand over to: an ordinary call
        hang_up(flow, connected, caller_first=False)
        return
    for number, target in enumerate(hops, start=1):
        blind(flow, connected, target.partition("/")[2])
        following = await dial_ring(flow, connected.caller, [target])
        if following is None:
            return
        following.legs[:0] = connected.legs
        connected = following
        if number < len(hops) and await call.pause(call.timing.talk):
            hang_up(flow, connected, caller_first=True)
            return
    await talk_and_hang_up(flow, connected)


async def blind_to_queue(flow: CallFlow) -> None:
    """Handed back to a queue (``transfer_to`` names it; default ``support``), which rings
    every agent of the call but the one who transferred."""
    call = flow.call
    # An unknown queue is refused before any channel exists (none is left behind).
    queue = flow.pbx.queue_named(call.transfer_to) if call.transfer_to else flow.pbx.queue
    connected = await _answered_and_talking(flow)
    if connected is None:
        return
    others = [a for a in call.agents if a != connected.agent.interface]
    blind(flow, connected, QUEUE_EXTENSIONS.get(queue.name, queue.name))
    enter_queue(flow, connected.caller, queue)
    following = await queue_ring(flow, connected.caller, queue, others)
    if following is not None:
        following.legs[:0] = connected.legs
        await talk_and_hang_up(flow, following)


async def blind_to_outside(flow: CallFlow) -> None:
    """Handed to an outside number (``transfer_to``) dialled out of the trunk."""
    connected = await _answered_and_talking(flow)
    if connected is None:
        return
    number = flow.call.transfer_to or OUTSIDE_NUMBER
    blind(flow, connected, number)
    following = await dial_outside(flow, connected.caller, number)
    if following is not None:
        following.legs[:0] = connected.legs
        await talk_and_hang_up(flow, following)


async def dial_outside(flow: CallFlow, caller: Inbound, number: str) -> Connected | None:
    """``Dial(PJSIP/trunk/<number>)``: the trunk passes the caller's own number on."""
    call = flow.call
    flow.newexten(caller.chan, "Dial", f"{TRUNK}/{number},60,tT", caller.chan.priority + 1)
    flow.varsets(caller.chan, [(name, "") for name in DIAL_START_VARS])
    trunk = flow.new_channel(
        TRUNK,
        state=ChannelState.DOWN,
        context=INBOUND_CONTEXT,
        exten="s",
        linkedid=caller.chan.linkedid,
    )
    flow.caller_id(trunk, caller.chan.cid_num, caller.chan.cid_name, caller.presentation)
    flow.pair_event("DialBegin", caller.chan, trunk, [("DialString", f"trunk/{number}")])
    flow.new_state(trunk, ChannelState.RINGING)
    flow.pair_event("DialState", caller.chan, trunk, [("DialStatus", "RINGING")])
    if await call.pause(call.timing.ring):
        flow.hangup_request(caller.chan)
        flow.pair_event("DialEnd", caller.chan, trunk, [("DialStatus", "CANCEL")])
        flow.hangup(trunk)
        flow.hangup(caller.chan)
        return None
    flow.new_state(trunk, ChannelState.UP)
    flow.varsets(caller.chan, [("DIALSTATUS", "ANSWER"), ("DIALEDPEERNAME", trunk.name)])
    flow.pair_event("DialEnd", caller.chan, trunk, [("DialStatus", "ANSWER")])
    outside = Leg(TRUNK, trunk)
    bridge = flow.bridge(trunk, caller.chan)
    return Connected(caller, outside, bridge, [outside])


async def attended_to_agent(flow: CallFlow) -> None:
    call = flow.call
    connected = await _answered_and_talking(flow)
    if connected is None:
        return
    target = _colleague(flow, connected)
    if target is None:
        hang_up(flow, connected, caller_first=False)
        return
    flow.chan_event("Hold", connected.agent.chan, [("MusicClass", "default")])
    flow.chan_event("MusicOnHoldStart", connected.caller.chan, [("Class", "default")])
    consult = second_line(flow, connected.agent, target)
    legs = enter_dial(flow, consult, [target])
    await call.pause(call.timing.ring)  # a caller hanging up on hold does so afterwards
    colleague = legs[0]
    answer(flow, consult, legs, colleague)
    flow.new_state(consult.chan, ChannelState.UP)
    consultation = flow.bridge(colleague.chan, consult.chan)
    await call.pause(call.timing.talk)
    complete_attended(flow, connected, consult, colleague, consultation)
    following = Connected(
        connected.caller, colleague, connected.bridge, [*connected.legs, colleague]
    )
    await talk_and_hang_up(flow, following)


def second_line(flow: CallFlow, agent: Leg, target: str) -> Inbound:
    """The agent's phone calls the colleague on its second line: a call of its own."""
    uniqueid = flow.pbx.channels.next_uniqueid()
    chan = flow.new_channel(
        agent.interface,
        state=ChannelState.RING,
        context=AGENT_CONTEXT,
        exten=target.partition("/")[2],
        cid=(agent.dial_string, interface_name(flow, agent.interface)),
        uniqueid=uniqueid,
        linkedid=uniqueid,
    )
    return Inbound(chan, PRESENTATION_ALLOWED, time.monotonic())


def complete_attended(
    flow: CallFlow, connected: Connected, consult: Inbound, colleague: Leg, consultation: Bridge
) -> None:
    """The agent completes the transfer: the colleague takes the agent's place."""
    agent, caller, bridge = connected.agent, connected.caller, connected.bridge
    flow.bridge_leave(consultation, colleague.chan)
    flow.bridge_leave(bridge, agent.chan)
    flow.chan_event("MusicOnHoldStop", caller.chan)
    colleague.chan.linkedid = caller.chan.linkedid
    flow.bridge_enter(bridge, colleague.chan)
    attended_transfer(
        flow,
        bridge=bridge,
        consultation=consultation,
        transferers=(agent.chan, consult.chan),
        transferee=caller.chan,
        target=colleague.chan,
    )
    connected.agent_complete(flow, "transfer")
    flow.connected_line(colleague.chan, caller.chan.cid_num, caller.chan.cid_name)
    flow.hangup(agent.chan)
    flow.bridge_leave(consultation, consult.chan)
    flow.bridge_destroy(consultation)
    flow.connected_line(
        caller.chan, colleague.dial_string, interface_name(flow, colleague.interface)
    )
    flow.hangup(consult.chan)
    flow.agent_device(agent.interface, NOT_INUSE)


def attended_transfer(
    flow: CallFlow,
    *,
    bridge: Bridge,
    consultation: Bridge,
    transferers: tuple[Channel, Channel],
    transferee: Channel,
    target: Channel,
) -> None:
    """The ``AttendedTransfer`` event of a completed transfer into the caller's bridge
    (``DestType: Bridge``), as bridge_basic.c / manager_bridges.c send it; ``transferers``:
    the transferer's channel in the caller's bridge and in the consultation."""
    headers = [
        ("Result", "Success"),
        *transferers[0].snapshot("OrigTransferer"),
        *bridge.headers("Orig"),
        *transferers[1].snapshot("SecondTransferer"),
        *consultation.headers("Second"),
        ("DestType", "Bridge"),
        ("DestBridgeUniqueid", bridge.uniqueid),
        *transferee.snapshot("Transferee"),
        *target.snapshot("TransferTarget"),
        ("IsExternal", "No"),
    ]
    flow.emit("AttendedTransfer", CALL, headers)
