"""Call legs: the customer's channel on the trunk and the phones rung for it.

A customer reaches the PBX on the trunk (``PJSIP/trunk-0000002a``, context ``from-pstn``,
exten = the number dialled); the dialplan runs ``NoOp``, ``Set(__CTI_DID=...)``, the
bridge's own ``AGI(.../lookup)``, ``Set(QUEUE_PRIO=...)``, then ``Queue()`` or ``Dial()``
(see :mod:`cti_bridge.pbxsim.scenarios`). Agents' phones are device channels
(``PJSIP/1001-0000002b``) created by the queue or by Dial, one :class:`Leg` each.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cti_bridge.pbxsim.agi import fastagi_lookup
from cti_bridge.pbxsim.channels import UNKNOWN, Bridge, Channel, ChannelState
from cti_bridge.pbxsim.flow import PRESENTATION_ALLOWED, PRESENTATION_PROHIBITED, CallFlow
from cti_bridge.pbxsim.pbx import INUSE, NOT_INUSE, RINGING
from cti_bridge.pbxsim.protocol import AGENT

TRUNK = "PJSIP/trunk"
INBOUND_CONTEXT = "from-pstn"
AGENT_CONTEXT = "from-internal"
# What a trunk delivers for a caller who withheld their number (SIP "anonymous" From);
# some trunks deliver no number at all, which Asterisk shows as "<unknown>".
ANONYMOUS_NUMBER = "anonymous"
ANONYMOUS_NAME = "Anonymous"
WITHHELD_NUMBERS = (ANONYMOUS_NUMBER, UNKNOWN)


@dataclass(slots=True)
class Leg:
    """One member's phone rung for the call."""

    interface: str
    chan: Channel

    @property
    def dial_string(self) -> str:
        return self.interface.partition("/")[2]


@dataclass(slots=True)
class Inbound:
    """The customer's channel and how its caller id is presented."""

    chan: Channel
    presentation: str
    started: float
    answered: float | None = None


async def inbound(flow: CallFlow, *, withheld: bool) -> Inbound:
    """The trunk channel appears and runs the first dialplan steps."""
    call = flow.call
    if withheld:
        # The real number never reaches the PBX; "<unknown>" asks for a trunk without CLI.
        number = call.caller_number if call.caller_number in WITHHELD_NUMBERS else ANONYMOUS_NUMBER
        cid = (number, UNKNOWN if number == UNKNOWN else ANONYMOUS_NAME)
    else:
        cid = (call.caller_number, call.caller_name or UNKNOWN)
    dialed = flow.pbx.dialed
    chan = flow.new_channel(
        TRUNK,
        state=ChannelState.RING,
        context=INBOUND_CONTEXT,
        exten=dialed,
        cid=cid,
        uniqueid=call.linkedid,
    )
    presentation = PRESENTATION_PROHIBITED if withheld else PRESENTATION_ALLOWED
    flow.newexten(chan, "NoOp", f'Inbound call from "{cid[1]}" <{cid[0]}>', priority=1)
    if withheld:
        # The trunk's Privacy: id header marks the presentation prohibited.
        flow.caller_id(chan, cid[0], cid[1], presentation)
    flow.newexten(chan, "Set", f"__CTI_DID={dialed}", priority=2)
    flow.varset(chan, "__CTI_DID", dialed)
    await ivr_lookup(flow, chan)
    return Inbound(chan, presentation, time.monotonic())


async def ivr_lookup(flow: CallFlow, chan: Channel) -> None:
    """The bridge's own FastAGI lookup (DESIGN 6.4) sets its variables and the dialplan
    turns CTI_PRIORITY into QUEUE_PRIO. With ``pbx.agi`` set the lookup really runs against
    that FastAGI server (``agi.py``), taking the time it takes; otherwise it is reported at
    once, with the empty values of a caller the bridge does not know."""
    agi = flow.pbx.agi
    if agi is not None:
        flow.newexten(chan, "AGI", f"agi://{agi[0]}:{agi[1]}/lookup", priority=3)
        got = await fastagi_lookup(agi, "lookup", chan)
        status = "SUCCESS" if got is not None else "FAILURE"
        flow.varsets(chan, [*(got or []), ("AGISTATUS", status)])
        priority = dict(got or []).get("CTI_PRIORITY", "0") or "0"
        flow.newexten(chan, "Set", f"QUEUE_PRIO={priority}", priority=4)
        flow.varset(chan, "QUEUE_PRIO", priority)
        return
    flow.newexten(chan, "AGI", "agi://127.0.0.1:4573/lookup", priority=3)
    flow.varsets(
        chan, [(name, "") for name in ("CTI_CUSTOMER_ID", "CTI_CUSTOMER_NAME", "CTI_GRADE")]
    )
    flow.varsets(chan, [("CTI_VIP", "0"), ("CTI_PRIORITY", "0")])
    flow.varsets(
        chan, [("CTI_TICKET_STATUS", ""), ("CTI_TICKET_DUE", ""), ("AGISTATUS", "SUCCESS")]
    )
    flow.newexten(chan, "Set", "QUEUE_PRIO=0", priority=4)
    flow.varset(chan, "QUEUE_PRIO", "0")


def ring(
    flow: CallFlow, caller: Inbound, interfaces: Sequence[str], *, queue: str | None
) -> list[Leg]:
    """Create a channel per phone and make each ring (AgentCalled first when ``queue``
    names the queue ringing them). The phones' channels take the caller's Linkedid."""
    legs: list[Leg] = []
    cnum, cname = caller.chan.cid_num, caller.chan.cid_name
    for interface in interfaces:
        chan = flow.new_channel(
            interface,
            state=ChannelState.DOWN,
            context=AGENT_CONTEXT,
            exten="s",
            linkedid=caller.chan.linkedid,
        )
        leg = Leg(interface, chan)
        # app_queue/app_dial name the outgoing channel's "application" (what
        # CoreShowChannels lists for it) as soon as they create it.
        flow.newexten(chan, "AppQueue" if queue is not None else "AppDial", "(Outgoing Line)")
        flow.caller_id(chan, cnum, cname, caller.presentation)
        flow.varset(chan, "DIALEDPEERNUMBER", leg.dial_string)
        if queue is not None:
            extra = [
                ("Queue", queue),
                ("Interface", interface),
                ("MemberName", member_name(flow, leg)),
            ]
            rang = flow.pair_event("AgentCalled", caller.chan, chan, extra, AGENT)
            flow.call.ring_times[interface] = rang
        rang = flow.pair_event("DialBegin", caller.chan, chan, [("DialString", leg.dial_string)])
        flow.call.ring_times.setdefault(interface, rang)
        legs.append(leg)
    for leg in legs:
        flow.new_state(leg.chan, ChannelState.RINGING)
        flow.connected_line(leg.chan, cnum, cname)
        flow.agent_device(leg.interface, RINGING)
        flow.pair_event("DialState", caller.chan, leg.chan, [("DialStatus", "RINGING")])
    return legs


def pick_winner(legs: Sequence[Leg], answer_by: str | None) -> Leg:
    for leg in legs:
        if leg.interface == answer_by:
            return leg
    return legs[0]


def answer(flow: CallFlow, caller: Inbound, legs: Sequence[Leg], winner: Leg) -> None:
    """The winner picks up; the others are cancelled (each gets DialEnd CANCEL twice)."""
    flow.new_state(winner.chan, ChannelState.UP)
    flow.agent_device(winner.interface, INUSE)
    flow.call.answered_by = winner.interface
    if len(legs) == 1:  # app_dial records the outcome before DialEnd
        flow.varsets(
            caller.chan,
            [
                ("DIALSTATUS", "ANSWER"),
                ("DIALEDPEERNAME", winner.chan.name),
                ("DIALEDPEERNUMBER", winner.dial_string),
            ],
        )
    flow.pair_event("DialEnd", caller.chan, winner.chan, [("DialStatus", "ANSWER")])
    # The caller now sees who answered (connected line), as after a 200 OK from the phone.
    flow.connected_line(caller.chan, winner.dial_string, member_name(flow, winner))
    losers = [leg for leg in legs if leg is not winner]
    for leg in reversed(losers):
        flow.pair_event("DialEnd", caller.chan, leg.chan, [("DialStatus", "CANCEL")])
    for leg in reversed(losers):
        flow.pair_event("DialEnd", caller.chan, leg.chan, [("DialStatus", "CANCEL")])
        flow.hangup(leg.chan, 26)
        flow.agent_device(leg.interface, NOT_INUSE)


def teardown(
    flow: CallFlow,
    caller: Inbound,
    agent: Leg,
    bridge: Bridge,
    *,
    caller_first: bool,
    on_request: Callable[[str], None] | None = None,
    dialplan: Channel | None = None,
) -> None:
    """End an answered call: whoever hangs up first leaves the bridge, the other follows.

    ``dialplan`` is the channel whose dialplan ran ``Dial``/``Queue`` (the caller's by
    default): if it is the one left over, it carries on to ``Hangup()``; otherwise the
    bridge breaking soft-hangs-up the other party.
    """
    runner = dialplan or caller.chan
    first, second = (caller.chan, agent.chan) if caller_first else (agent.chan, caller.chan)
    flow.hangup_request(first)
    if on_request is not None:
        on_request("caller" if caller_first else "agent")
    flow.bridge_leave(bridge, first)
    flow.hangup(first)
    flow.bridge_leave(bridge, second)
    flow.bridge_destroy(bridge)
    if second is runner:
        flow.varsets(runner, _dial_times(caller))
        flow.newexten(runner, "Hangup", "", runner.priority + 1)
    else:
        flow.hangup_request(second, soft=True)
    flow.hangup(second)
    if agent.interface != TRUNK:  # the trunk's state follows its channels (flow._device_use)
        flow.agent_device(agent.interface, NOT_INUSE)


def _dial_times(caller: Inbound) -> list[tuple[str, str]]:
    """What app_dial/app_queue leave behind: talk time and total time, s and ms."""
    now = time.monotonic()
    talk_ms = int((now - (caller.answered or now)) * 1000)
    total_ms = int((now - caller.started) * 1000)
    return [
        ("ANSWEREDTIME", str(talk_ms // 1000)),
        ("ANSWEREDTIME_MS", str(talk_ms)),
        ("DIALEDTIME", str(total_ms // 1000)),
        ("DIALEDTIME_MS", str(total_ms)),
    ]


def member_name(flow: CallFlow, leg: Leg) -> str:
    return interface_name(flow, leg.interface)


def interface_name(flow: CallFlow, interface: str) -> str:
    """The display name of the agent on a phone (``Agent 1001``), else the interface."""
    member = flow.pbx.member(interface)
    return member.name if member else interface
