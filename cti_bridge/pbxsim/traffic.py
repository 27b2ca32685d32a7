"""Steady call traffic for the demo and the load benchmark.

Calls are placed at a fixed rate (the schedule catches up if the loop was busy, so the
average rate holds), each with a scenario drawn from a mix, a caller from the list, ring
and talk times drawn around the simulator's defaults, and up to three *idle* members to
ring - a 1,000-agent centre does not ring every agent for every call.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from cti_bridge.pbxsim.pbx import NOT_INUSE
from cti_bridge.pbxsim.scenarios import SCENARIOS
from cti_bridge.pbxsim.simcall import SimCall

if TYPE_CHECKING:
    from cti_bridge.pbxsim.player import CallPlayer

CallObserver = Callable[[SimCall], None]

# The default mix: mostly answered queue calls, some direct, abandoned and withheld ones,
# and now and then a transfer (the desk's hand-off) or a pickup.
DEFAULT_MIX: dict[str, float] = {
    "queue_ringall_answered": 0.55,
    "direct_answered": 0.15,
    "queue_abandoned": 0.12,
    "withheld_caller": 0.08,
    "blind_transfer": 0.05,
    "attended_transfer": 0.03,
    "pickup_directed": 0.02,
}
MAX_RINGING = 3


def choose_agents(sim: CallPlayer, rng: random.Random, count: int) -> list[str]:
    """Up to ``count`` members, idle ones first (a busy phone is rung only if all are)."""
    members = sim.pbx.queue.members
    idle = [a for a in sim.agents if (m := members.get(a)) is None or m.status == NOT_INUSE]
    pool = idle if idle else list(sim.agents)
    return rng.sample(pool, min(count, len(pool)))


def place_one(
    sim: CallPlayer,
    rng: random.Random,
    scenarios: Sequence[str],
    weights: Sequence[float],
    callers: Sequence[tuple[str, str]],
) -> SimCall:
    scenario = rng.choices(scenarios, weights)[0]
    number, name = rng.choice(callers)
    count = 1 if scenario == "direct_answered" else MAX_RINGING
    return sim.place_call(
        scenario,
        caller_number=number,
        caller_name=name,
        agents=choose_agents(sim, rng, count),
        ring_seconds=sim.ring_seconds * rng.uniform(0.5, 1.5),
        talk_seconds=sim.talk_seconds * rng.uniform(0.5, 2.0),
    )


async def run(
    sim: CallPlayer,
    calls_per_second: float,
    callers: Sequence[tuple[str, str]],
    scenarios: Sequence[str] | None = None,
    *,
    on_call: CallObserver | None = None,
    seed: int | None = None,
) -> None:
    """Place calls until cancelled."""
    if calls_per_second <= 0:
        raise ValueError("calls_per_second must be positive")
    if not callers:
        raise ValueError("traffic needs at least one caller")
    names = list(scenarios) if scenarios else list(DEFAULT_MIX)
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario(s): {', '.join(unknown)}")
    weights = [DEFAULT_MIX.get(name, 1.0) if not scenarios else 1.0 for name in names]
    rng = random.Random(seed)
    loop = asyncio.get_running_loop()
    interval = 1.0 / calls_per_second
    next_at = loop.time()
    while True:
        call = place_one(sim, rng, names, weights, callers)
        if on_call is not None:
            on_call(call)
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - loop.time()))
