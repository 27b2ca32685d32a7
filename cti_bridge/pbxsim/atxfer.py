"""The desk's attended transfer, AMI ``Atxfer``, as Asterisk 20's bridge_basic.c plays it
(recorded in ``tests/fixtures/asterisk20-live/attended_transfer*.ami``).

The consultation belongs to the caller's call (same Linkedid): ``Hold`` on the agent's
channel and music on hold for the caller, then ``dial_transfer`` requests
``Local/<Exten>@<Context>`` with the agent's channel as requestor. Its ``;1`` enters a new
bridge, its ``;2`` runs the dialplan, which dials the colleague's phone; the agent's
channel moves from the caller's bridge into the new one. Then one of:

- the colleague answers (their phone and ``;2`` share a bridge), the agent hangs up:
  ``MusicOnHoldStop``, the agent leaves, ``BridgeMerge`` moves ``;1`` into the caller's
  bridge, ``AttendedTransfer`` (``DestType: Bridge``, the agent's channel both
  transferers, no target block), the agent's channel hangs up, ``AgentComplete``;
- the agent hangs up while the colleague still rings (``TRANSFER_BLOND``): the same at
  once, and the colleague answers ``;2``'s dial later;
- nobody answers within ``atxfernoanswertimeout`` (``atxferdropcall = no``), or the
  colleague hangs up: the agent's channel goes back into the caller's bridge,
  ``MusicOnHoldStop``, ``Unhold``, the consultation hangs up and the agent talks on.

Here the colleague answers after the call's ring time unless ``SimCall.colleague_answers``
is off (then the ring time stands for the no-answer timeout). After the hand-over a
command hangs the colleague's side up: a further transfer is not played.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from cti_bridge.pbxsim.blonde import local_pair
from cti_bridge.pbxsim.channels import Bridge, Channel, ChannelState
from cti_bridge.pbxsim.flow import PRESENTATION_ALLOWED, CallFlow
from cti_bridge.pbxsim.legs import Inbound, Leg, answer
from cti_bridge.pbxsim.pbx import NOT_INUSE
from cti_bridge.pbxsim.protocol import CALL
from cti_bridge.pbxsim.queueing import Connected, enter_dial, talk_and_hang_up
from cti_bridge.pbxsim.simcall import SimCall


@dataclass(slots=True)
class Consultation:
    """The Local pair, the bridge the agent consults in, and the colleague's phone."""

    one: Channel
    dialling: Inbound  # ``;2``, running the dialplan's Dial()
    bridge: Bridge
    colleague: Leg
    inner: Bridge | None = None  # the colleague's phone and ``;2``, once answered


async def attended_to(
    flow: CallFlow, connected: Connected, exten: str, context: str, target: str
) -> None:
    """The agent on ``connected`` consults ``target`` (dialled as ``exten@context``)."""
    call = flow.call
    consult = _consult(flow, connected, exten, context, target)
    woken = await _wait(call, call.timing.ring)
    if woken == "caller":
        _drop_all(flow, connected, consult)
        return
    if woken == "command" and _colleague_hung_up(call, consult):
        _back(flow, connected, consult)
        await talk_and_hang_up(flow, connected)
        return
    if woken == "command":  # the agent hung up: handed over while the colleague rings
        call.take_command()
        _hand_over(flow, connected, consult)
        if await call.pause(call.timing.ring):
            _drop_all(flow, connected, consult)
            return
        _answer(flow, consult)
        await _joined(flow, connected, consult)
        return
    if not call.colleague_answers:
        _back(flow, connected, consult)
        await talk_and_hang_up(flow, connected)
        return
    _answer(flow, consult)
    await _consulting(flow, connected, consult)


async def _consulting(flow: CallFlow, connected: Connected, consult: Consultation) -> None:
    """The agent talks with the colleague until a command or the talk time: the agent
    hangs up (handed over), or the colleague does (the agent goes back to the caller)."""
    call = flow.call
    if await _wait(call, call.timing.talk) == "caller":
        _drop_all(flow, connected, consult)
        return
    if _colleague_hung_up(call, consult):
        call.take_command()
        _back(flow, connected, consult)
        await talk_and_hang_up(flow, connected)
        return
    call.take_command()
    _hand_over(flow, connected, consult)
    await _joined(flow, connected, consult)


async def _wait(call: SimCall, seconds: float) -> str:
    """``caller`` hung up, a ``command`` came, or ``time`` passed (or the test advanced)."""
    call.talking = True  # a command wakes this wait at once
    try:
        gone = await call.pause(seconds)
    finally:
        call.talking = False
    if gone:
        return "caller"
    return "command" if call.command is not None else "time"


def _colleague_hung_up(call: SimCall, consult: Consultation) -> bool:
    command = call.command
    return (
        command is not None
        and command.kind == "hangup"
        and (command.channel == consult.colleague.chan.name)
    )


def _consult(
    flow: CallFlow, connected: Connected, exten: str, context: str, target: str
) -> Consultation:
    agent, caller = connected.agent, connected.caller
    flow.chan_event("Hold", agent.chan)
    flow.chan_event("MusicOnHoldStart", caller.chan, [("Class", "default")])
    one, two = local_pair(flow, exten, agent.chan, context)
    flow.varsets(one, [("TRANSFERERNAME", agent.chan.name), ("ATTENDEDTRANSFER", agent.chan.name)])
    bridge = Bridge()
    flow.emit("BridgeCreate", CALL, bridge.headers())
    flow.bridge_enter(bridge, one)
    dialling = Inbound(two, PRESENTATION_ALLOWED, time.monotonic())
    [colleague] = enter_dial(flow, dialling, [target])
    flow.new_state(one, ChannelState.RINGING)
    flow.emit("DialState", CALL, [*one.snapshot("Dest"), ("DialStatus", "RINGING")])
    flow.bridge_leave(connected.bridge, agent.chan)
    flow.bridge_enter(bridge, agent.chan)
    return Consultation(one, dialling, bridge, colleague)


def _answer(flow: CallFlow, consult: Consultation) -> None:
    """The colleague picks up ``;2``'s dial; ``;1`` answers the Local call."""
    one, two = consult.one, consult.dialling.chan
    answer(flow, consult.dialling, [consult.colleague], consult.colleague)
    flow.new_state(one, ChannelState.UP)
    flow.emit("DialEnd", CALL, [*one.snapshot("Dest"), ("DialStatus", "ANSWER")])
    flow.new_state(two, ChannelState.UP)
    consult.inner = flow.bridge(consult.colleague.chan, two)


def _hand_over(flow: CallFlow, connected: Connected, consult: Consultation) -> None:
    """The agent hung up: the consultation bridge merges into the caller's."""
    agent, caller, bridge = connected.agent, connected.caller, connected.bridge
    flow.chan_event("MusicOnHoldStop", caller.chan)
    flow.bridge_leave(consult.bridge, agent.chan)
    flow.emit("BridgeMerge", CALL, [*bridge.headers("To"), *consult.bridge.headers("From")])
    flow.bridge_leave(consult.bridge, consult.one)
    flow.bridge_enter(bridge, consult.one)
    headers = [
        ("Result", "Success"),
        *agent.chan.snapshot("OrigTransferer"),
        *bridge.headers("Orig"),
        *agent.chan.snapshot("SecondTransferer"),
        *consult.bridge.headers("Second"),
        *caller.chan.snapshot("Transferee"),
        ("IsExternal", "No"),
        ("DestType", "Bridge"),
        ("DestBridgeUniqueid", bridge.uniqueid),
    ]
    flow.emit("AttendedTransfer", CALL, headers)
    flow.bridge_destroy(consult.bridge)
    flow.hangup(agent.chan)
    connected.agent_complete(flow, "transfer")
    flow.agent_device(agent.interface, NOT_INUSE)


def _back(flow: CallFlow, connected: Connected, consult: Consultation) -> None:
    """No transfer: the agent is back with the caller, the consultation hangs up."""
    agent, caller = connected.agent, connected.caller
    flow.bridge_leave(consult.bridge, agent.chan)
    flow.bridge_enter(connected.bridge, agent.chan)
    flow.chan_event("MusicOnHoldStop", caller.chan)
    flow.chan_event("Unhold", agent.chan)
    flow.bridge_leave(consult.bridge, consult.one)
    _end_dial(flow, consult)
    flow.bridge_destroy(consult.bridge)
    flow.hangup(consult.one)
    flow.hangup(consult.dialling.chan)


def _end_dial(flow: CallFlow, consult: Consultation) -> None:
    """The colleague's side goes: a ring is cancelled, an answered phone hangs up."""
    colleague, two = consult.colleague.chan, consult.dialling.chan
    if consult.inner is None:
        flow.pair_event("DialEnd", two, colleague, [("DialStatus", "CANCEL")])
    else:
        flow.bridge_leave(consult.inner, colleague)
        flow.bridge_leave(consult.inner, two)
        flow.bridge_destroy(consult.inner)
    flow.hangup(colleague)
    flow.agent_device(consult.colleague.interface, NOT_INUSE)


def _drop_all(flow: CallFlow, connected: Connected, consult: Consultation) -> None:
    """The caller hung up on hold (or before the colleague answered a hand-over): the
    caller's side goes, then the whole consultation."""
    caller, bridge, agent = connected.caller, connected.bridge, connected.agent.chan
    handed = consult.one.bridge_id == bridge.uniqueid
    if handed:
        flow.bridge_leave(bridge, consult.one)
    else:
        connected.agent_complete(flow, "caller")
    flow.bridge_leave(bridge, caller.chan)
    flow.bridge_destroy(bridge)
    flow.hangup(caller.chan)
    _end_dial(flow, consult)
    if not handed:
        flow.bridge_leave(consult.bridge, agent)
        flow.bridge_leave(consult.bridge, consult.one)
        flow.bridge_destroy(consult.bridge)
        flow.hangup(agent)
        flow.agent_device(connected.agent.interface, NOT_INUSE)
    flow.hangup(consult.one)
    flow.hangup(consult.dialling.chan)


async def _joined(flow: CallFlow, connected: Connected, consult: Consultation) -> None:
    """The caller talks with the colleague through the Local pair until either hangs up
    (the colleague at the end of the talk time, or on any command)."""
    call = flow.call
    caller, bridge, inner = connected.caller, connected.bridge, consult.inner or Bridge()
    links = [
        (consult.colleague.chan, inner),
        (consult.dialling.chan, inner),
        (consult.one, bridge),
        (caller.chan, bridge),
    ]
    if await _wait(call, call.timing.talk) == "caller":
        links.reverse()
    call.take_command()
    for chan, left in links:
        flow.bridge_leave(left, chan)
        flow.hangup(chan)
        if left.members == 0:
            flow.bridge_destroy(left)
    flow.agent_device(consult.colleague.interface, NOT_INUSE)
