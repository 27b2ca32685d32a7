"""A blonde transfer from the ``atxfer`` feature, as Asterisk 20's bridge_basic.c plays it.

The agent who answered a queue call presses the attended-transfer feature code and dials
a colleague: the caller is held (music on hold), the agent's channel moves into a new
bridge, and ``dial_transfer`` requests ``Local/<exten>@from-internal`` with the agent's
channel as requestor (same Linkedid: the caller's call), whose ``;1`` joins the agent's
bridge while ``;2`` runs ``Dial()`` of the colleague's phone. The agent hangs up while the
colleague still rings (``TRANSFER_BLOND``): ``blond_enter`` merges the agent's bridge into
the caller's (``BridgeMerge``, ``;1`` moves over) and ``publish_transfer_success`` sends
``AttendedTransfer`` with the agent's channel as both transferers, ``DestType: Bridge``
and ``;1`` as the target. The colleague answers ``;2``'s dial and talks to the caller
through the Local pair (no ``/n``: the pair is optimised out in Asterisk; kept here).
"""

from __future__ import annotations

import time

from cti_bridge.pbxsim.channels import Bridge, Channel, ChannelState
from cti_bridge.pbxsim.flow import PRESENTATION_ALLOWED, CallFlow
from cti_bridge.pbxsim.legs import AGENT_CONTEXT, Inbound, Leg, answer, interface_name
from cti_bridge.pbxsim.pbx import NOT_INUSE
from cti_bridge.pbxsim.protocol import CALL
from cti_bridge.pbxsim.queueing import Connected, enter_dial, hang_up
from cti_bridge.pbxsim.transfer import _answered_and_talking, _colleague, attended_transfer


def local_pair(
    flow: CallFlow, exten: str, requestor: Channel, context: str = AGENT_CONTEXT
) -> tuple[Channel, Channel]:
    """``Local/<exten>@<context>-<n>;1`` and ``;2`` in the requestor's call
    (core_local.c names both halves after one counter), then ``LocalBridge``."""
    channels = flow.pbx.channels
    base = channels.channel_name(f"Local/{exten}@{context}")
    halves = []
    for half, state in ((1, ChannelState.DOWN), (2, ChannelState.RING)):
        uniqueid = channels.next_uniqueid()
        chan = Channel(
            name=f"{base};{half}",
            uniqueid=uniqueid,
            linkedid=requestor.linkedid,
            state=state,
            context=context,
            exten=exten,
        )
        chan.cid_num, chan.cid_name = requestor.cid_num, requestor.cid_name
        channels.live[chan.name] = chan
        flow.chan_event("Newchannel", chan)
        halves.append(chan)
    one, two = halves
    local = [("Context", context), ("Exten", exten), ("LocalOptimization", "Yes")]
    flow.emit("LocalBridge", CALL, [*one.snapshot("LocalOne"), *two.snapshot("LocalTwo"), *local])
    return one, two


def _merge(flow: CallFlow, into: Bridge, source: Bridge, moving: Channel) -> None:
    """``bridge_merge``: manager_bridges.c's ``BridgeMerge`` (``To``/``From`` blocks),
    then the remaining channel moves over and the emptied bridge goes."""
    flow.emit("BridgeMerge", CALL, [*into.headers("To"), *source.headers("From")])
    flow.bridge_leave(source, moving)
    flow.bridge_enter(into, moving)
    flow.bridge_destroy(source)


def _complete(flow: CallFlow, connected: Connected, consultation: Bridge, one: Channel) -> None:
    """The agent hangs up while the colleague rings: the transfer completes (blond)."""
    agent, caller, bridge = connected.agent, connected.caller, connected.bridge
    flow.bridge_leave(consultation, agent.chan)
    flow.hangup(agent.chan)
    flow.agent_device(agent.interface, NOT_INUSE)
    connected.agent_complete(flow, "transfer")
    _merge(flow, bridge, consultation, one)
    flow.chan_event("MusicOnHoldStop", caller.chan)
    attended_transfer(
        flow,
        bridge=bridge,
        consultation=consultation,
        transferers=(agent.chan, agent.chan),
        transferee=caller.chan,
        target=one,
    )


def _tear_down(flow: CallFlow, caller_bridge: Bridge, inner: Bridge, parts: list[Channel]) -> None:
    """The colleague hangs up: their bridge with ``;2`` goes, then ``;1`` and the caller."""
    colleague, two, one, caller = parts
    for chan, bridge in ((colleague, inner), (two, inner), (one, caller_bridge)):
        flow.bridge_leave(bridge, chan)
        flow.hangup(chan)
    flow.bridge_destroy(inner)
    flow.bridge_leave(caller_bridge, caller)
    flow.bridge_destroy(caller_bridge)
    flow.hangup(caller)


async def blonde_to_agent(flow: CallFlow) -> None:
    call = flow.call
    connected = await _answered_and_talking(flow)
    if connected is None:
        return
    target = _colleague(flow, connected)
    if target is None:
        hang_up(flow, connected, caller_first=False)
        return
    agent, caller, bridge = connected.agent, connected.caller, connected.bridge
    flow.chan_event("MusicOnHoldStart", caller.chan, [("Class", "default")])
    flow.bridge_leave(bridge, agent.chan)
    consultation = Bridge()
    flow.emit("BridgeCreate", CALL, consultation.headers())
    flow.bridge_enter(consultation, agent.chan)
    one, two = local_pair(flow, target.partition("/")[2], agent.chan)
    flow.varset(one, "TRANSFERERNAME", agent.chan.name)
    flow.bridge_enter(consultation, one)
    dialling = Inbound(two, PRESENTATION_ALLOWED, time.monotonic())
    legs = enter_dial(flow, dialling, [target])
    await call.pause(call.timing.ring / 2)
    _complete(flow, connected, consultation, one)
    await call.pause(call.timing.ring / 2)
    colleague: Leg = legs[0]
    answer(flow, dialling, legs, colleague)
    flow.new_state(two, ChannelState.UP)
    flow.new_state(one, ChannelState.UP)
    inner = flow.bridge(colleague.chan, two)
    flow.connected_line(caller.chan, colleague.dial_string, interface_name(flow, target))
    await call.pause(call.timing.talk)
    _tear_down(flow, bridge, inner, [colleague.chan, two, one, caller.chan])
    flow.agent_device(colleague.interface, NOT_INUSE)
