"""Click-to-dial: the ``Originate`` action and the call it starts.

Asterisk first rings the agent's own phone (the ``Channel`` of the action). That leg has no
calling channel, so its ``DialBegin``/``DialState``/``DialEnd`` carry only the ``Dest*``
block. Only once the agent answers does Asterisk 20 write ``OriginateResponse`` (with the
action's ``ActionID``); then the answered channel runs the dialplan at
``Context``/``Exten`` - here a ``Dial()`` out of the trunk to the customer. An originate
the agent never answers produces no ``OriginateResponse`` at all, so a client must not wait
for one.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from cti_bridge.pbxsim.channels import UNKNOWN, ChannelState
from cti_bridge.pbxsim.flow import PRESENTATION_ALLOWED, CallFlow
from cti_bridge.pbxsim.legs import AGENT_CONTEXT, INBOUND_CONTEXT, TRUNK, Inbound, Leg, teardown
from cti_bridge.pbxsim.pbx import INUSE, NOT_INUSE, RINGING
from cti_bridge.pbxsim.protocol import CALL, ActionRequest
from cti_bridge.pbxsim.queueing import DIAL_START_VARS

_CALLER_ID = re.compile(r'^\s*"?(?P<name>[^"<]*?)"?\s*<(?P<num>[^>]*)>\s*$')


class OriginateError(ValueError):
    """The action is refused; the message is what Asterisk answers."""


@dataclass(frozen=True, slots=True)
class OriginateRequest:
    action_id: str
    channel: str
    context: str
    exten: str
    application: str
    data: str
    caller_num: str
    caller_name: str
    variables: tuple[tuple[str, str], ...]


def parse_caller_id(text: str) -> tuple[str, str]:
    """``"Jane Doe" <+15551234567>`` -> (number, name); a bare ``1001`` is a number."""
    match = _CALLER_ID.match(text)
    if match:
        return match["num"] or UNKNOWN, match["name"].strip() or UNKNOWN
    stripped = text.strip()
    return (stripped or UNKNOWN), UNKNOWN


def parse_originate(request: ActionRequest) -> OriginateRequest:
    """Validate an ``Originate`` as ``action_originate()`` does, with its error texts."""
    channel = request.get("Channel")
    if not channel:
        raise OriginateError("Channel not specified")
    if "/" not in channel:
        raise OriginateError("Invalid channel")
    exten, application = request.get("Exten"), request.get("Application")
    if not exten and not application:
        raise OriginateError("Exten not specified")
    timeout = request.get("Timeout", "30000")
    if not timeout.isdigit():
        raise OriginateError("Invalid timeout")
    variables = []
    for item in request.get_all("Variable"):
        for assignment in item.split(","):
            name, _, value = assignment.partition("=")
            if name:
                variables.append((name.strip(), value))
    num, name = parse_caller_id(request.get("CallerID"))
    return OriginateRequest(
        action_id=request.action_id,
        channel=channel,
        context=request.get("Context") or "default",
        exten=exten,
        application=application,
        data=request.get("Data"),
        caller_num=num,
        caller_name=name,
        variables=tuple(variables),
    )


def _response_headers(req: OriginateRequest, leg: Leg) -> list[tuple[str, str]]:
    target = (
        [("Context", req.context), ("Exten", req.exten)]
        if req.exten
        else [("Application", req.application), ("Data", req.data)]
    )
    return [
        *([("ActionID", req.action_id)] if req.action_id else []),
        ("Response", "Success"),
        ("Channel", leg.chan.name),
        *target,
        ("Reason", "4"),
        ("Uniqueid", leg.chan.uniqueid),
        ("CallerIDNum", req.caller_num),
        ("CallerIDName", req.caller_name),
    ]


async def ring_agent(flow: CallFlow, req: OriginateRequest) -> Leg | None:
    """Ring the agent's phone; the answered leg, or None if it hung up unanswered."""
    call = flow.call
    chan = flow.new_channel(
        req.channel,
        state=ChannelState.DOWN,
        context=AGENT_CONTEXT,
        exten="s",
        uniqueid=call.linkedid,
    )
    leg = Leg(req.channel, chan)
    flow.varsets(chan, req.variables)
    flow.newexten(chan, "AppDial2", "(Outgoing Line)")
    flow.caller_id(chan, req.caller_num, req.caller_name, PRESENTATION_ALLOWED)
    flow.connected_line(chan, req.caller_num, req.caller_name)
    call.ring_times[req.channel] = flow.pair_event(
        "DialBegin", None, chan, [("DialString", leg.dial_string)]
    )
    flow.new_state(chan, ChannelState.RINGING)
    flow.agent_device(req.channel, RINGING)
    flow.pair_event("DialState", None, chan, [("DialStatus", "RINGING")])
    if await call.pause(call.timing.ring):
        flow.pair_event("DialEnd", None, chan, [("DialStatus", "CANCEL")])
        flow.hangup(chan, 16)
        flow.agent_device(req.channel, NOT_INUSE)
        return None
    flow.new_state(chan, ChannelState.UP)
    flow.agent_device(req.channel, INUSE)
    flow.pair_event("DialEnd", None, chan, [("DialStatus", "ANSWER")])
    flow.emit("OriginateResponse", CALL, _response_headers(req, leg))
    call.answered_by = req.channel
    return leg


async def originate_call(flow: CallFlow, req: OriginateRequest) -> None:
    """The whole click-to-dial call: agent leg, then the outbound leg to the customer."""
    call = flow.call
    agent = await ring_agent(flow, req)
    if agent is None:
        return
    chan = agent.chan
    chan.context, chan.exten = req.context, req.exten or "s"
    if not req.exten:  # Application variant: run it for the talk time, then hang up
        flow.newexten(chan, req.application, req.data, priority=1)
        await call.pause(call.timing.talk)
        flow.hangup(chan)
        flow.agent_device(req.channel, NOT_INUSE)
        return
    flow.newexten(chan, "Dial", f"{TRUNK}/{req.exten},60,tT", priority=1)
    flow.varsets(chan, [(name, "") for name in DIAL_START_VARS])
    trunk = flow.new_channel(TRUNK, state=ChannelState.DOWN, context=INBOUND_CONTEXT, exten="s")
    flow.caller_id(trunk, req.caller_num, req.caller_name, PRESENTATION_ALLOWED)
    flow.pair_event("DialBegin", chan, trunk, [("DialString", f"trunk/{req.exten}")])
    flow.new_state(trunk, ChannelState.RINGING)
    flow.pair_event("DialState", chan, trunk, [("DialStatus", "RINGING")])
    customer = Inbound(trunk, PRESENTATION_ALLOWED, time.monotonic())
    if await call.pause(call.timing.ring):  # the agent gave up before the customer answered
        flow.pair_event("DialEnd", chan, trunk, [("DialStatus", "CANCEL")])
        flow.hangup(trunk)
        flow.hangup(chan)
        flow.agent_device(req.channel, NOT_INUSE)
        return
    flow.new_state(trunk, ChannelState.UP)
    flow.varsets(chan, [("DIALSTATUS", "ANSWER"), ("DIALEDPEERNAME", trunk.name)])
    flow.pair_event("DialEnd", chan, trunk, [("DialStatus", "ANSWER")])
    bridge = flow.bridge(chan, trunk)
    agent_first = not await call.pause(call.timing.talk)
    teardown(flow, customer, agent, bridge, caller_first=not agent_first, dialplan=chan)
