"""Inbound call scenarios, event for event as Asterisk 20 reports them.

The model is the recording ``asterisk20/queue_ringall_answered.ami`` with the members made
device members (``PJSIP/1001``), as most centres configure them, instead of the recording's
``Local/agentN@agents`` channels; the legs themselves are built in
:mod:`cti_bridge.pbxsim.legs`. The dialplan ends in ``Queue(support,tT,,,60)`` or
``Dial(PJSIP/1001,20,tT)``.

Scenarios (``SCENARIOS``, names used by ``cti-bridge simulate --scenario``):

* ``queue_ringall_answered`` - queued, all given agents ring, ``answer_by`` (or the first)
  answers, talk, the agent hangs up (or the caller, after ``hangup_caller()``).
* ``direct_answered`` - ``Dial()`` to the first agent only, answered.
* ``queue_abandoned`` - queued, agents ring, the caller hangs up after the ring time.
* ``withheld_caller`` - as the first, caller id ``anonymous``/``Anonymous`` with
  presentation prohibited (``caller_number="<unknown>"``: a trunk without any CLI).

What the call tracker has to cope with is reproduced on purpose: the queue caller stays in
state ``Ring`` until a member answers; every losing member gets *two* ``DialEnd CANCEL``;
``VarSet`` events whose last header is an empty ``Value:``; ``QueueMemberStatus`` for a
direct call (device state is shared with the queue); CDRs at the end.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from cti_bridge.pbxsim.channels import ChannelState
from cti_bridge.pbxsim.flow import CallFlow
from cti_bridge.pbxsim.legs import (
    Inbound,
    Leg,
    answer,
    inbound,
    member_name,
    pick_winner,
    ring,
    teardown,
)
from cti_bridge.pbxsim.pbx import NOT_INUSE
from cti_bridge.pbxsim.protocol import AGENT

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


async def queue_call(flow: CallFlow, *, withheld: bool = False, give_up: bool = False) -> None:
    """A caller queues, every member rings, one answers (or the caller gives up)."""
    call = flow.call
    caller = inbound(flow, withheld=withheld)
    flow.newexten(caller.chan, "Queue", f"{flow.pbx.queue.name},tT,,,60", priority=5)
    flow.varsets(caller.chan, [(name, "") for name in (*QUEUE_START_VARS, *QUEUE_WAIT_VARS)])
    queue_join(flow, caller)
    legs = ring(flow, caller, call.agents, queue=True)
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
        ("MemberName", member_name(flow, winner)),
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
        ("MEMBERNAME", member_name(flow, leg)),
        ("MEMBERCALLS", str(calls)),
        ("MEMBERLASTCALL", str(last)),
        ("MEMBERPENALTY", "0"),
        ("MEMBERDYNAMIC", "0"),
        ("MEMBERREALTIME", "0"),
    ]


async def direct_call(flow: CallFlow) -> None:
    """``Dial()`` straight to the first agent's phone, answered after the ring time."""
    call = flow.call
    caller = inbound(flow, withheld=False)
    target = call.agents[0]
    flow.newexten(caller.chan, "Dial", f"{target},20,tT", priority=5)
    flow.varsets(caller.chan, [(name, "") for name in DIAL_START_VARS])
    legs = ring(flow, caller, [target], queue=False)
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
