"""``Queue()`` and ``Dial()`` as the dialplan runs them: the phases every scenario shares.

A scenario brings the caller in (:func:`cti_bridge.pbxsim.legs.inbound`), sends them to a
queue or dials phones, and gets back a :class:`Connected` call - caller and agent in one
bridge - or ``None`` when the caller hung up while it rang. What happens next (talk and
hang up, a transfer, ...) is the scenario's.

Queues ring by their strategy: ``ringall`` rings every chosen member at once; ``rrmemory``
and ``leastrecent`` ring one member at a time and move on when it does not answer within
the ring time (``AgentRingNoAnswer``, ``DialEnd NOANSWER``), as app_queue does with
``retry=0``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from cti_bridge.pbxsim.channels import Bridge, ChannelState
from cti_bridge.pbxsim.flow import CallFlow
from cti_bridge.pbxsim.legs import Inbound, Leg, answer, member_name, pick_winner, ring, teardown
from cti_bridge.pbxsim.pbx import NOT_INUSE, RINGALL, QueueState
from cti_bridge.pbxsim.protocol import AGENT, Header
from cti_bridge.pbxsim.recording import record

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


@dataclass(slots=True)
class Connected:
    """Caller and agent talking in one bridge."""

    caller: Inbound
    agent: Leg
    bridge: Bridge
    # Every phone rung for the call so far, for the CDRs at the end.
    legs: list[Leg] = field(default_factory=list)
    queue: QueueState | None = None
    waited: int = 0
    talk_start: float = field(default_factory=time.monotonic)

    def agent_complete(self, flow: CallFlow, reason: str) -> None:
        """app_queue's ``AgentComplete`` when the member's part ends (caller/agent/transfer)."""
        if self.queue is None:
            return
        talk = int(time.monotonic() - self.talk_start)
        extra = [("HoldTime", str(self.waited)), ("TalkTime", str(talk)), ("Reason", reason)]
        info = [
            ("Queue", self.queue.name),
            ("Interface", self.agent.interface),
            ("MemberName", member_name(flow, self.agent)),
        ]
        flow.pair_event("AgentComplete", self.caller.chan, self.agent.chan, [*info, *extra], AGENT)
        member = self.queue.members.get(self.agent.interface)
        if member is not None:
            member.calls_taken += 1
            member.last_call = int(time.time())


# -- queues ---------------------------------------------------------------------------------


def enter_queue(flow: CallFlow, caller: Inbound, queue: QueueState) -> None:
    """The dialplan records the call (once) and runs ``Queue()``: the caller joins and
    hears music on hold."""
    record(flow, caller)
    flow.newexten(caller.chan, "Queue", f"{queue.name},tT,,,60", caller.chan.priority + 1)
    flow.varsets(caller.chan, [(name, "") for name in (*QUEUE_START_VARS, *QUEUE_WAIT_VARS)])
    position, count = queue.join(caller.chan)
    if count == 1:
        flow.device_state(f"Queue:{queue.name}", "RINGING")
    extra = [("Queue", queue.name), ("Position", str(position)), ("Count", str(count))]
    flow.chan_event("QueueCallerJoin", caller.chan, extra, AGENT)
    flow.chan_event("MusicOnHoldStart", caller.chan, [("Class", "default")])


def queue_leave(flow: CallFlow, caller: Inbound, queue: QueueState) -> tuple[int, int]:
    """MOH stops and the caller leaves the queue; returns (position, seconds waited)."""
    waited = queue.waited(caller.chan)
    flow.chan_event("MusicOnHoldStop", caller.chan)
    position, count = queue.leave(caller.chan)
    if count == 0:
        flow.device_state(f"Queue:{queue.name}", "NOT_INUSE")
    return position, waited


def queue_left(
    flow: CallFlow, caller: Inbound, queue: QueueState, position: int, waited: int
) -> None:
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


def abandon(flow: CallFlow, caller: Inbound, legs: Sequence[Leg], queue: QueueState | None) -> None:
    """The caller hangs up while phones still ring (in a queue, or in ``Dial()``)."""
    flow.hangup_request(caller.chan)
    for leg in legs:
        flow.pair_event("DialEnd", caller.chan, leg.chan, [("DialStatus", "CANCEL")])
        flow.hangup(leg.chan, 16)
        flow.agent_device(leg.interface, NOT_INUSE)
    if queue is not None:
        position, waited = queue_leave(flow, caller, queue)
        extra = [
            ("Queue", queue.name),
            ("Position", str(position)),
            ("OriginalPosition", str(position)),
            ("HoldTime", str(waited)),
        ]
        flow.chan_event("QueueCallerAbandon", caller.chan, extra, AGENT)
        queue_left(flow, caller, queue, position, waited)
        queue.abandoned += 1
    else:
        flow.varset(caller.chan, "DIALSTATUS", "CANCEL")
    flow.hangup(caller.chan, 16)
    seconds = int(time.monotonic() - caller.started)
    flow.cdr(caller.chan, legs[-1].chan if legs else None, answered=False, seconds=seconds)


async def queue_ring(
    flow: CallFlow,
    caller: Inbound,
    queue: QueueState,
    interfaces: Sequence[str],
    *,
    give_up: bool = False,
) -> Connected | None:
    """Ring members by the queue's strategy until one answers (None: the caller hung up,
    or - ``give_up`` - hangs up as soon as the first ring time is over)."""
    call = flow.call
    interfaces = queue.ringable(interfaces)
    if queue.strategy != RINGALL:
        return await _hunt(flow, caller, queue, interfaces, give_up)
    legs = ring(flow, caller, interfaces, queue=queue.name)
    if await call.pause(call.timing.ring) or give_up or not legs:
        abandon(flow, caller, legs, queue)
        return None
    return connect_queued(flow, caller, queue, legs, pick_winner(legs, call.answer_by))


async def _hunt(
    flow: CallFlow, caller: Inbound, queue: QueueState, interfaces: Sequence[str], give_up: bool
) -> Connected | None:
    """One member at a time: those before ``answer_by`` (or none) let it ring out."""
    call = flow.call
    order = queue.ring_order(interfaces)
    if not order:  # everyone paused: the caller waits, rung by nobody, and gives up
        await call.pause(call.timing.ring)
        abandon(flow, caller, [], queue)
        return None
    answerer = call.answer_by if call.answer_by in order else order[0]
    rung: list[Leg] = []
    for interface in order:
        queue.last_rung = interface
        legs = ring(flow, caller, [interface], queue=queue.name)
        if await call.pause(call.timing.ring) or give_up:
            abandon(flow, caller, legs, queue)
            return None
        if interface == answerer:
            connected = connect_queued(flow, caller, queue, legs, legs[0])
            connected.legs[:0] = rung
            return connected
        ring_no_answer(flow, caller, queue, legs[0])
        rung.append(legs[0])
    return None  # unreachable: the answerer is in the order


def ring_no_answer(flow: CallFlow, caller: Inbound, queue: QueueState, leg: Leg) -> None:
    """The member's ring timed out: app_queue reports it and moves on to the next."""
    started = flow.call.ring_times.get(leg.interface, time.time())
    ring_ms = max(0, int((time.time() - started) * 1000))
    info = [("Queue", queue.name), ("Interface", leg.interface)]
    extra = [*info, ("MemberName", member_name(flow, leg)), ("RingTime", str(ring_ms))]
    flow.pair_event("AgentRingNoAnswer", caller.chan, leg.chan, extra, AGENT)
    flow.pair_event("DialEnd", caller.chan, leg.chan, [("DialStatus", "NOANSWER")])
    flow.hangup(leg.chan, 16)
    flow.agent_device(leg.interface, NOT_INUSE)


def connect_queued(
    flow: CallFlow, caller: Inbound, queue: QueueState, legs: Sequence[Leg], winner: Leg
) -> Connected:
    """A member answered: the others stop ringing, the caller leaves the queue, bridge."""
    rang = int(time.monotonic() - caller.started)
    answer(flow, caller, legs, winner)
    position, waited = queue_leave(flow, caller, queue)
    queue_left(flow, caller, queue, position, waited)
    flow.varsets(caller.chan, _member_vars(flow, queue, winner))
    info = [
        ("Queue", queue.name),
        ("Interface", winner.interface),
        ("MemberName", member_name(flow, winner)),
    ]
    timing = [("HoldTime", str(waited)), ("RingTime", str(rang))]
    flow.pair_event("AgentConnect", caller.chan, winner.chan, [*info, *timing], AGENT)
    queue.completed += 1
    return _bridge(flow, caller, winner, list(legs), queue=queue, waited=waited)


def _member_vars(flow: CallFlow, queue: QueueState, leg: Leg) -> list[Header]:
    """What ``setinterfacevar=yes`` (common in call centres) sets on the caller."""
    member = queue.members.get(leg.interface)
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


def _bridge(
    flow: CallFlow,
    caller: Inbound,
    agent: Leg,
    legs: list[Leg],
    *,
    queue: QueueState | None = None,
    waited: int = 0,
) -> Connected:
    if caller.chan.state != ChannelState.UP:
        flow.new_state(caller.chan, ChannelState.UP)
    bridge = flow.bridge(agent.chan, caller.chan)
    caller.answered = caller.answered or time.monotonic()
    return Connected(caller, agent, bridge, legs, queue, waited)


# -- Dial() -----------------------------------------------------------------------------


def enter_dial(flow: CallFlow, caller: Inbound, targets: Sequence[str]) -> list[Leg]:
    """The dialplan runs ``Dial(A&B&C,20,tT)``: every target's phone rings at once."""
    flow.newexten(caller.chan, "Dial", f"{'&'.join(targets)},20,tT", caller.chan.priority + 1)
    flow.varsets(caller.chan, [(name, "") for name in DIAL_START_VARS])
    legs = ring(flow, caller, targets, queue=None)
    flow.varsets(caller.chan, [("RINGTIME", "0"), ("RINGTIME_MS", "0")])
    return legs


async def dial_ring(flow: CallFlow, caller: Inbound, targets: Sequence[str]) -> Connected | None:
    """``Dial()`` the targets; the chosen one answers (None: the caller gave up)."""
    call = flow.call
    legs = enter_dial(flow, caller, targets)
    if await call.pause(call.timing.ring):
        abandon(flow, caller, legs, None)
        return None
    return connect_dialled(flow, caller, legs, pick_winner(legs, call.answer_by))


def connect_dialled(flow: CallFlow, caller: Inbound, legs: Sequence[Leg], winner: Leg) -> Connected:
    answer(flow, caller, legs, winner)
    return _bridge(flow, caller, winner, list(legs))


# -- the end ------------------------------------------------------------------------------


async def talk_and_hang_up(flow: CallFlow, connected: Connected) -> None:
    """Talk for the talk time; the agent hangs up (or the caller, after hangup_caller())."""
    call = flow.call
    if call.command is None:
        call.talking = True
        try:
            caller_first = await call.pause(call.timing.talk)
        finally:
            call.talking = False
        if caller_first:
            hang_up(flow, connected, caller_first=True)
            return
    command = call.take_command()
    if command is None:
        hang_up(flow, connected, caller_first=False)
        return
    # control.py builds on this module (transfers ring new legs through it).
    from cti_bridge.pbxsim.control import obey  # noqa: PLC0415

    await obey(flow, connected, command)


def hang_up(flow: CallFlow, connected: Connected, *, caller_first: bool) -> None:
    def complete(who: str) -> None:
        connected.agent_complete(flow, who)

    caller = connected.caller
    teardown(
        flow,
        caller,
        connected.agent,
        connected.bridge,
        caller_first=caller_first,
        on_request=complete,
    )
    seconds = int(time.monotonic() - caller.started)
    legs = connected.legs or [connected.agent]
    for leg in legs:
        flow.cdr(caller.chan, leg.chan, answered=leg is connected.agent, seconds=seconds)
