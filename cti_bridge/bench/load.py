"""Placing calls at a rate and matching the pops that come back.

Ring-to-pop latency is measured end to end across processes on one machine, on the wall
clock they share: from the moment the simulator wrote the event that makes a phone ring
(``SimCall.ring_times``, taken right after the write) to the moment the agent's websocket
client received the ``screen_pop`` for that call.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from cti_bridge.bench.stats import latency_summary
from cti_bridge.pbxsim import PbxSimulator, SimCall
from cti_bridge.pbxsim.traffic import choose_agents
from cti_bridge.store.bulk_seed import seed_number

SCENARIO = "queue_ringall_answered"


@dataclass
class Phase:
    name: str
    rate: float
    seconds: float
    calls: list[SimCall] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    events: int = 0


@dataclass
class Outcome:
    pops_expected: int
    pops_received: int
    lost: int
    misdirected: int
    duplicates: int
    latencies: list[float]

    def summary(self) -> dict[str, float]:
        return latency_summary(self.latencies)


class PopLedger:
    """Every pop the agents received: (agent id, call id) -> receive time."""

    def __init__(self) -> None:
        self.received: dict[tuple[int, str], float] = {}
        self.duplicates = 0
        self.count = 0

    def pop(self, agent_id: int, call_id: str, at: float) -> None:
        self.count += 1
        key = (agent_id, call_id)
        if key in self.received:
            self.duplicates += 1
            return
        self.received[key] = at

    def outcome(self, calls: list[SimCall], agent_of: dict[str, int], pbx: str) -> Outcome:
        expected: dict[tuple[int, str], float] = {}
        for call in calls:
            for interface, rang in call.ring_times.items():
                expected[(agent_of[interface], f"{pbx}:{call.linkedid}")] = rang
        ids = {f"{pbx}:{call.linkedid}" for call in calls}
        mine = {k: v for k, v in self.received.items() if k[1] in ids}
        latencies = [mine[k] - rang for k, rang in expected.items() if k in mine]
        return Outcome(
            pops_expected=len(expected),
            pops_received=len(mine),
            lost=sum(1 for k in expected if k not in mine),
            misdirected=sum(1 for k in mine if k not in expected),
            duplicates=self.duplicates,
            latencies=latencies,
        )


class CallPlacer:
    def __init__(
        self, sim: PbxSimulator, customers: int, ringing: int, ring_s: float, talk_s: float
    ) -> None:
        self.sim = sim
        self.customers = customers
        self.ringing = ringing
        self.ring_s = ring_s
        self.talk_s = talk_s
        self.rng = random.Random(42)

    def place(self) -> SimCall:
        # Callers are seeded customers: every pop runs the full lookup and card read.
        number = seed_number(self.rng.randrange(self.customers))
        return self.sim.place_call(
            SCENARIO,
            caller_number=number,
            caller_name="BENCH CALLER",
            agents=choose_agents(self.sim, self.rng, self.ringing),
            ring_seconds=self.ring_s * self.rng.uniform(0.8, 1.2),
            talk_seconds=self.talk_s * self.rng.uniform(0.5, 1.5),
        )

    async def run(self, phase: Phase, tick: Callable[[Phase, float], None]) -> None:
        """Place ``rate`` calls a second for ``seconds``; ``tick`` once a second."""
        phase.started = time.monotonic()
        before = self.sim.pbx.events_emitted
        interval = 1.0 / phase.rate
        due = phase.started
        next_report = phase.started + 1.0
        total = round(phase.rate * phase.seconds)
        while len(phase.calls) < total:
            now = time.monotonic()
            while due <= now and len(phase.calls) < total:
                phase.calls.append(self.place())
                due += interval
            if now >= next_report:
                tick(phase, now - phase.started)
                next_report += 1.0
            await asyncio.sleep(max(0.0, min(due, next_report) - time.monotonic()))
        phase.ended = time.monotonic()
        phase.events = self.sim.pbx.events_emitted - before
