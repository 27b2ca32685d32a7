"""Inbound call scenarios, event for event as Asterisk 20 reports them.

The model is the recording ``asterisk20/queue_ringall_answered.ami`` with the members made
device members (``PJSIP/1001``), as most centres configure them, instead of the recording's
``Local/agentN@agents`` channels. A customer reaches the PBX on the trunk
(``PJSIP/trunk-0000002a``, context ``from-pstn``, exten = the number dialled); the dialplan
runs ``NoOp``, ``Set(__CTI_DID=...)``, the bridge's own ``AGI(.../lookup)``,
``Set(QUEUE_PRIO=...)`` and then ``Queue(support,tT,,,60)`` or ``Dial(PJSIP/1001,20,tT)``.

What the call tracker has to cope with is reproduced on purpose: the queue caller stays in
state ``Ring`` until a member answers; every losing member gets *two* ``DialEnd CANCEL``;
``VarSet`` events whose last header is an empty ``Value:``; ``QueueMemberStatus`` for a
direct call (device state is shared with the queue); CDRs at the end.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from cti_bridge.pbxsim.channels import UNKNOWN, Bridge, Channel, ChannelState
from cti_bridge.pbxsim.flow import PRESENTATION_ALLOWED, PRESENTATION_PROHIBITED, CallFlow
from cti_bridge.pbxsim.pbx import INUSE, NOT_INUSE, RINGING
from cti_bridge.pbxsim.protocol import AGENT

TRUNK = "PJSIP/trunk"
INBOUND_CONTEXT = "from-pstn"
AGENT_CONTEXT = "from-internal"
# What a trunk delivers for a caller who withheld their number (SIP "anonymous" From).
ANONYMOUS_NUMBER = "anonymous"
ANONYMOUS_NAME = "Anonymous"

# Variables app_queue / app_dial clear when they start: VarSet with an empty last header.
QUEUE_START_VARS = ("ANSWEREDTIME", "ANSWEREDTIME_MS", "DIALEDTIME", "DIALEDTIME_MS")
QUEUE_WAIT_VARS = ("QUEUEWAIT", "QUEUEWAIT_MS")
DIAL_START_VARS = (
    "DIALSTATUS",
    "DIALEDPEERNUMBER",
    "DIALEDPEERNAME",
    *QUEUE_START_VARS,
    "RINGTIME",
    "RINGTIME_MS",
    "PROGRESSTIME",
    "PROGRESSTIME_MS",
)

Scenario = Callable[[CallFlow], Coroutine[Any, Any, None]]


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


def inbound(flow: CallFlow, *, withheld: bool) -> Inbound:
    """The trunk channel appears and runs the first dialplan steps."""
    call = flow.call
    if withheld:
        cid = (ANONYMOUS_NUMBER, ANONYMOUS_NAME)
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
    ivr_lookup(flow, chan)
    return Inbound(chan, presentation, time.monotonic())


def ivr_lookup(flow: CallFlow, chan: Channel) -> None:
    """The bridge's own FastAGI lookup (DESIGN 6.4) sets its variables - for a caller it
    does not know, mostly empty ones - and the dialplan turns CTI_PRIORITY into QUEUE_PRIO."""
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


def ring(flow: CallFlow, caller: Inbound, *, queue: bool) -> list[Leg]:
    """Create a channel per member and make each ring (AgentCalled first when queued)."""
    legs: list[Leg] = []
    cnum, cname = caller.chan.cid_num, caller.chan.cid_name
    for interface in flow.call.agents:
        chan = flow.new_channel(
            interface, state=ChannelState.DOWN, context=AGENT_CONTEXT, exten="s"
        )
        leg = Leg(interface, chan)
        flow.caller_id(chan, cnum, cname, caller.presentation)
        flow.varset(chan, "DIALEDPEERNUMBER", leg.dial_string)
        if queue:
            member = flow.pbx.member(interface)
            extra = [
                ("Queue", flow.pbx.queue.name),
                ("Interface", interface),
                ("MemberName", member.name if member else interface),
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
    flow.connected_line(caller.chan, winner.dial_string, _member_name(flow, winner))
    losers = [leg for leg in legs if leg is not winner]
    for leg in reversed(losers):
        flow.pair_event("DialEnd", caller.chan, leg.chan, [("DialStatus", "CANCEL")])
    for leg in reversed(losers):
        flow.pair_event("DialEnd", caller.chan, leg.chan, [("DialStatus", "CANCEL")])
        flow.hangup(leg.chan, 26)
        flow.agent_device(leg.interface, NOT_INUSE)


def queue_join(flow: CallFlow, caller: Inbound) -> None:
    queue = flow.pbx.queue
    position, count = queue.join(caller.chan)
    if count == 1:
        flow.device_state(f"Queue:{queue.name}", "RINGING")
    extra = [("Queue", queue.name), ("Position", str(position)), ("Count", str(count))]
    flow.chan_event("QueueCallerJoin", caller.chan, extra, AGENT)
    flow.chan_event("MusicOnHoldStart", caller.chan, [("Class", "default")])


def queue_leave(flow: CallFlow, caller: Inbound) -> tuple[int, int]:
    """MOH stops and the caller leaves the queue; returns (position, seconds waited)."""
    queue = flow.pbx.queue
    waited = queue.waited(caller.chan)
    flow.chan_event("MusicOnHoldStop", caller.chan)
    position, count = queue.leave(caller.chan)
    if count == 0:
        flow.device_state(f"Queue:{queue.name}", "NOT_INUSE")
    return position, waited


def queue_left(flow: CallFlow, caller: Inbound, position: int, waited: int) -> None:
    queue = flow.pbx.queue
    extra = [("Queue", queue.name), ("Position", str(position)), ("Count", str(len(queue.waiting)))]
    flow.chan_event("QueueCallerLeave", caller.chan, extra, AGENT)
    flow.varsets(
        caller.chan,
        [
            ("QUEUEPOSITION", str(position)),
            ("QUEUEWAIT", str(waited)),
            ("QUEUEWAIT_MS", str(waited * 1000)),
        ],
    )


def abandon(flow: CallFlow, caller: Inbound, legs: Sequence[Leg], *, queue: bool) -> None:
    """The caller hangs up while members still ring."""
    flow.hangup_request(caller.chan)
    for leg in legs:
        flow.pair_event("DialEnd", caller.chan, leg.chan, [("DialStatus", "CANCEL")])
        flow.hangup(leg.chan, 16)
        flow.agent_device(leg.interface, NOT_INUSE)
    if queue:
        position, waited = queue_leave(flow, caller)
        extra = [
            ("Queue", flow.pbx.queue.name),
            ("Position", str(position)),
            ("OriginalPosition", str(position)),
            ("HoldTime", str(waited)),
        ]
        flow.chan_event("QueueCallerAbandon", caller.chan, extra, AGENT)
        queue_left(flow, caller, position, waited)
        flow.pbx.queue.abandoned += 1
    else:
        flow.varset(caller.chan, "DIALSTATUS", "CANCEL")
    flow.hangup(caller.chan, 16)
    seconds = int(time.monotonic() - caller.started)
    flow.cdr(caller.chan, legs[-1].chan if legs else None, answered=False, seconds=seconds)


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
    member = flow.pbx.member(agent.interface)
    if member is not None:
        member.calls_taken += 1
        member.last_call = int(time.time())
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


async def queue_call(flow: CallFlow, *, withheld: bool = False, give_up: bool = False) -> None:
    """A caller queues, every member rings, one answers (or the caller gives up)."""
    call = flow.call
    caller = inbound(flow, withheld=withheld)
    flow.newexten(caller.chan, "Queue", f"{flow.pbx.queue.name},tT,,,60", priority=5)
    flow.varsets(caller.chan, [(name, "") for name in (*QUEUE_START_VARS, *QUEUE_WAIT_VARS)])
    queue_join(flow, caller)
    legs = ring(flow, caller, queue=True)
    if await call.pause(call.timing.ring) or give_up or not legs:
        abandon(flow, caller, legs, queue=True)
        return
    rang = int(time.monotonic() - caller.started)
    winner = pick_winner(legs, call.answer_by)
    answer(flow, caller, legs, winner)
    position, waited = queue_leave(flow, caller)
    queue_left(flow, caller, position, waited)
    queue_info = [
        ("Queue", flow.pbx.queue.name),
        ("Interface", winner.interface),
        ("MemberName", _member_name(flow, winner)),
    ]
    timing = [("HoldTime", str(waited)), ("RingTime", str(rang))]
    flow.varsets(caller.chan, _member_vars(flow, winner))
    flow.pair_event("AgentConnect", caller.chan, winner.chan, [*queue_info, *timing], AGENT)
    flow.new_state(caller.chan, ChannelState.UP)
    flow.pbx.queue.completed += 1
    bridge = flow.bridge(winner.chan, caller.chan)
    talk_start = caller.answered = time.monotonic()
    caller_first = await call.pause(call.timing.talk)

    def complete(reason: str) -> None:
        talk = int(time.monotonic() - talk_start)
        extra = [("HoldTime", str(waited)), ("TalkTime", str(talk)), ("Reason", reason)]
        flow.pair_event("AgentComplete", caller.chan, winner.chan, [*queue_info, *extra], AGENT)

    teardown(flow, caller, winner, bridge, caller_first=caller_first, on_request=complete)
    seconds = int(time.monotonic() - caller.started)
    for leg in legs:
        flow.cdr(caller.chan, leg.chan, answered=leg is winner, seconds=seconds)


def _member_vars(flow: CallFlow, leg: Leg) -> list[tuple[str, str]]:
    """What ``setinterfacevar=yes`` (common in call centres) sets on the caller."""
    member = flow.pbx.member(leg.interface)
    calls, last = (member.calls_taken, member.last_call) if member else (0, 0)
    return [
        ("MEMBERINTERFACE", leg.interface),
        ("MEMBERNAME", _member_name(flow, leg)),
        ("MEMBERCALLS", str(calls)),
        ("MEMBERLASTCALL", str(last)),
        ("MEMBERPENALTY", "0"),
        ("MEMBERDYNAMIC", "0"),
        ("MEMBERREALTIME", "0"),
    ]


def _member_name(flow: CallFlow, leg: Leg) -> str:
    member = flow.pbx.member(leg.interface)
    return member.name if member else leg.interface


async def direct_call(flow: CallFlow) -> None:
    """``Dial()`` straight to the first agent's phone, answered after the ring time."""
    call = flow.call
    caller = inbound(flow, withheld=False)
    target = call.agents[0]
    flow.newexten(caller.chan, "Dial", f"{target},20,tT", priority=5)
    flow.varsets(caller.chan, [(name, "") for name in DIAL_START_VARS])
    legs = ring(flow, caller, queue=False)
    flow.varsets(caller.chan, [("RINGTIME", "0"), ("RINGTIME_MS", "0")])
    if await call.pause(call.timing.ring):
        abandon(flow, caller, legs, queue=False)
        return
    answer(flow, caller, legs, legs[0])
    flow.new_state(caller.chan, ChannelState.UP)
    bridge = flow.bridge(legs[0].chan, caller.chan)
    caller.answered = time.monotonic()
    caller_first = await call.pause(call.timing.talk)
    teardown(flow, caller, legs[0], bridge, caller_first=caller_first)
    seconds = int(time.monotonic() - caller.started)
    flow.cdr(caller.chan, legs[0].chan, answered=True, seconds=seconds)


SCENARIOS: dict[str, Scenario] = {
    "queue_ringall_answered": queue_call,
    "direct_answered": direct_call,
    "queue_abandoned": functools.partial(queue_call, give_up=True),
    "withheld_caller": functools.partial(queue_call, withheld=True),
}
