"""Call pickup: a colleague takes a call that rings on someone else's phone.

The picking agent lifts their own phone and dials a feature code: ``**1001`` (directed:
``Pickup(1001@from-internal)``) or ``*8`` (group: ``Pickup()``, the oldest ringing phone
of their pickup group). Their channel is a call of its own (its own Linkedid) that the
``Pickup`` application answers; Asterisk 12+ then writes ``Pickup`` (the picker, and the
picked ``Target*`` channel). ``Dial()`` on the caller's side sees its ringing branch
replaced: ``DialEnd CANCEL`` for the ringing phone, ``DialBegin`` and ``DialEnd ANSWER`` to
the picker's channel (already ``Up``), then the picked phone hangs up (answered elsewhere).
The picker's channel takes the caller's Linkedid once it is bridged with the caller, as in
the Asterisk 13 recordings ``xfer_misc/star_pickup`` and ``sip_pickup``.
"""

from __future__ import annotations

from collections.abc import Sequence

from cti_bridge.pbxsim.channels import Channel, ChannelState
from cti_bridge.pbxsim.flow import CallFlow
from cti_bridge.pbxsim.legs import AGENT_CONTEXT, Inbound, Leg, inbound, interface_name
from cti_bridge.pbxsim.pbx import INUSE, NOT_INUSE
from cti_bridge.pbxsim.queueing import (
    Connected,
    abandon,
    dial_ring,
    enter_dial,
    talk_and_hang_up,
)


def _picker(flow: CallFlow, ringing: Sequence[str]) -> str:
    """Who picks up: ``answer_by`` when it is not ringing itself, else the last agent."""
    call = flow.call
    if call.answer_by and call.answer_by not in ringing:
        return call.answer_by
    spare = [a for a in call.agents if a not in ringing]
    return spare[-1] if spare else call.agents[-1]


async def directed_pickup(flow: CallFlow) -> None:
    """The first agent's phone rings; a colleague dials ``**<extension>`` and takes it."""
    call = flow.call
    if len(call.agents) < 2:  # nobody to pick up: the phone is answered as it rings
        await _answered_where_it_rings(flow)
        return
    target = call.agents[0]
    extension = target.partition("/")[2]
    await _ring_then_pick(flow, [target], f"**{extension}", f"{extension}@{AGENT_CONTEXT}")


async def group_pickup(flow: CallFlow) -> None:
    """A ring group of every agent but the picker rings; the picker dials ``*8``."""
    call = flow.call
    if len(call.agents) < 2:
        await _answered_where_it_rings(flow)
        return
    picker = _picker(flow, ())
    ringing = [a for a in call.agents if a != picker]
    await _ring_then_pick(flow, ringing, "*8", "")


async def _answered_where_it_rings(flow: CallFlow) -> None:
    connected = await dial_ring(flow, await inbound(flow, withheld=False), flow.call.agents)
    if connected is not None:
        await talk_and_hang_up(flow, connected)


async def _ring_then_pick(flow: CallFlow, targets: list[str], exten: str, data: str) -> None:
    call = flow.call
    caller = await inbound(flow, withheld=False)
    legs = enter_dial(flow, caller, targets)
    if await call.pause(call.timing.ring):
        abandon(flow, caller, legs, None)
        return
    picker = _picker(flow, targets)
    connected = pick_up(flow, caller, legs, picker, exten=exten, data=data)
    call.answered_by = picker
    await talk_and_hang_up(flow, connected)


def pick_up(
    flow: CallFlow, caller: Inbound, legs: Sequence[Leg], picker: str, *, exten: str, data: str
) -> Connected:
    """``picker`` runs ``Pickup(data)`` and takes the oldest ringing leg; returns the call
    as it then stands (caller bridged with the picker)."""
    target = legs[0]
    chan = _feature_code_call(flow, picker, exten, data)
    flow.connected_line(chan, caller.chan.cid_num, caller.chan.cid_name)
    flow.new_state(chan, ChannelState.UP)
    flow.chan_event("Pickup", chan, target.chan.snapshot("Target"))
    flow.pair_event("DialEnd", caller.chan, target.chan, [("DialStatus", "CANCEL")])
    flow.pair_event("DialBegin", caller.chan, chan, [("DialString", target.dial_string)])
    taken = Leg(picker, chan)
    flow.connected_line(caller.chan, chan.cid_num, chan.cid_name)
    flow.pair_event("DialEnd", caller.chan, chan, [("DialStatus", "ANSWER")])
    for leg in legs:
        if leg is not target:  # the rest of the group: answered elsewhere
            flow.pair_event("DialEnd", caller.chan, leg.chan, [("DialStatus", "CANCEL")])
        flow.hangup(leg.chan, 26)
        flow.agent_device(leg.interface, NOT_INUSE)
    flow.new_state(caller.chan, ChannelState.UP)
    bridge = flow.bridge(chan, caller.chan)
    chan.linkedid = caller.chan.linkedid  # bridged with the caller: Asterisk relinks it
    return Connected(caller, taken, bridge, [*legs, taken])


def _feature_code_call(flow: CallFlow, picker: str, exten: str, data: str) -> Channel:
    """The picker's phone dials the feature code: a new call, answered by ``Pickup``."""
    uniqueid = flow.pbx.channels.next_uniqueid()
    number = picker.partition("/")[2]
    name = interface_name(flow, picker)
    chan = flow.new_channel(
        picker,
        state=ChannelState.RING,
        context=AGENT_CONTEXT,
        exten=exten,
        cid=(number, name),
        uniqueid=uniqueid,
        linkedid=uniqueid,
    )
    flow.agent_device(picker, INUSE)
    flow.newexten(chan, "Pickup", data, priority=1)
    return chan
