"""Call scenarios, event for event as Asterisk 20 reports them.

The model is the recording ``asterisk20/queue_ringall_answered.ami`` with the members made
device members (``PJSIP/1001``), as most centres configure them, instead of the recording's
``Local/agentN@agents`` channels. The phases (queue, dial, talk) are in
:mod:`cti_bridge.pbxsim.queueing`, pickups in :mod:`cti_bridge.pbxsim.pickup`, transfers in
:mod:`cti_bridge.pbxsim.transfer`.

Scenarios (``SCENARIOS``, names used by ``cti-bridge simulate --scenario`` and
``PbxSimulator.place_call``); ``agents`` are the phones the call may ring, ``answer_by``
the one that answers (default: the first rung):

* ``queue_ringall_answered`` - queue ``support`` (ringall): all agents ring, one answers.
* ``queue_rrmemory`` / ``queue_leastrecent`` - queues ``sales`` / ``billing``: one agent
  at a time in the strategy's order; each before ``answer_by`` rings out
  (``AgentRingNoAnswer``) and the queue moves on.
* ``queue_abandoned`` - ringall queue, every agent rings, the caller hangs up.
* ``queue_wait`` - as the first, but the caller waits in the queue for a ring time (or
  until ``advance()``) before the members ring; hanging up meanwhile abandons unrung.
* ``direct_answered`` - ``Dial()`` to the first agent only.
* ``ring_group`` - ``Dial(A&B&C)`` to every agent at once.
* ``withheld_caller`` - as the first, caller id ``anonymous`` with presentation prohibited
  (``caller_number="<unknown>"``: a trunk without any CLI).
* ``pickup_directed`` / ``pickup_group`` - the first agent's (every other agent's) phone
  rings and ``answer_by`` (default: the last agent) picks the call up with ``**ext`` /
  ``*8``.
* ``blind_transfer`` / ``attended_transfer`` - a queue call answered by ``answer_by`` (or
  the first agent) who hands the caller to ``transfer_to`` (default: the next agent). A
  blind ``transfer_to`` may list several phones (``PJSIP/1002,PJSIP/1001``): each one who
  answers transfers on to the next (a transfer of a transferred call, a transfer back).
* ``blonde_transfer`` - as attended, from the ``atxfer`` feature, the agent hanging up
  while the colleague (reached through a Local channel) still rings.
* ``transfer_to_queue`` - as blind, to the ``support`` queue, which rings the other agents.
* ``transfer_to_outside`` - as blind, to an outside number (``transfer_to``) on the trunk.

Every phase lasts its ring/talk time, or until ``SimCall.advance()``. What the call tracker
has to cope with is reproduced on purpose: the queue caller stays in state ``Ring`` until
a member answers; every losing member gets *two* ``DialEnd CANCEL``; ``VarSet`` events
whose last header is an empty ``Value:``; ``QueueMemberStatus`` for a direct call (device
state is shared with the queue); CDRs at the end.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from cti_bridge.pbxsim import blonde, pickup, transfer
from cti_bridge.pbxsim.flow import CallFlow
from cti_bridge.pbxsim.legs import inbound
from cti_bridge.pbxsim.queueing import (
    abandon,
    dial_ring,
    enter_queue,
    queue_ring,
    talk_and_hang_up,
)

Scenario = Callable[[CallFlow], Coroutine[Any, Any, None]]


async def queue_call(
    flow: CallFlow,
    *,
    queue: str = "",
    withheld: bool = False,
    give_up: bool = False,
    wait: bool = False,
) -> None:
    """A caller queues, members ring by the queue's strategy, one answers (or the caller
    gives up: ``give_up`` hangs up once the ring time is over). ``wait``: the caller first
    waits in the queue for a ring time (or until ``advance()``) before any member rings."""
    call = flow.call
    chosen = flow.pbx.queue_named(queue) if queue else flow.pbx.queue
    caller = await inbound(flow, withheld=withheld)
    enter_queue(flow, caller, chosen)
    if wait and await call.pause(call.timing.ring):
        abandon(flow, caller, [], chosen)  # hung up while waiting: no member ever rang
        return
    connected = await queue_ring(flow, caller, chosen, call.agents, give_up=give_up)
    if connected is not None:
        await talk_and_hang_up(flow, connected)


async def direct_call(flow: CallFlow, *, group: bool = False) -> None:
    """``Dial()`` straight to the first agent's phone, or to every agent's (ring group)."""
    call = flow.call
    caller = await inbound(flow, withheld=False)
    targets = list(call.agents) if group else [call.agents[0]]
    connected = await dial_ring(flow, caller, targets)
    if connected is not None:
        await talk_and_hang_up(flow, connected)


SCENARIOS: dict[str, Scenario] = {
    "queue_ringall_answered": queue_call,
    "direct_answered": direct_call,
    "queue_abandoned": functools.partial(queue_call, give_up=True),
    "queue_wait": functools.partial(queue_call, wait=True),
    "withheld_caller": functools.partial(queue_call, withheld=True),
    "queue_rrmemory": functools.partial(queue_call, queue="sales"),
    "queue_leastrecent": functools.partial(queue_call, queue="billing"),
    "ring_group": functools.partial(direct_call, group=True),
    "pickup_directed": pickup.directed_pickup,
    "pickup_group": pickup.group_pickup,
    "blind_transfer": transfer.blind_to_agent,
    "attended_transfer": transfer.attended_to_agent,
    "blonde_transfer": blonde.blonde_to_agent,
    "transfer_to_queue": transfer.blind_to_queue,
    "transfer_to_outside": transfer.blind_to_outside,
}
