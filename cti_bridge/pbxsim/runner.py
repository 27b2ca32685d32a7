"""``cti-bridge simulate``: the simulator on its own, for trying a deployment against it."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from cti_bridge.pbxsim.server import PbxSimulator
from cti_bridge.pbxsim.simcall import SimCall

# Callers the demo and `simulate` use when none are given: a few countries and scripts.
DEMO_CALLERS: tuple[tuple[str, str], ...] = (
    ("+15551234567", "Jane Doe"),
    ("+442079460958", "Oliver Smith"),
    ("+4930901820", "Jürgen Müller"),
    ("+8613800138000", "张伟"),
    ("+33142685300", "Zoë Lefèvre"),
    ("+15559876543", ""),
)


def describe(call: SimCall) -> str:
    """One progress line for a finished call."""
    caller = call.caller_number + (f" ({call.caller_name})" if call.caller_name else "")
    who = f" by {call.answered_by}" if call.answered_by else ""
    return (
        f"{time.strftime('%H:%M:%S')} {call.scenario:<24} linkedid={call.linkedid} "
        f"{caller} -> {call.outcome}{who} ({call.events} events)"
    )


class _Progress:
    """Prints one line per call once it is over, without holding up the traffic."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._tasks: set[asyncio.Task[None]] = set()

    def watch(self, call: SimCall) -> None:
        task = asyncio.get_running_loop().create_task(self._report(call))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _report(self, call: SimCall) -> None:
        await call.wait()
        print(describe(call), file=self._out, flush=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._tasks, return_exceptions=True)


async def run_simulator(
    host: str,
    port: int,
    *,
    scenario: str | None,
    calls_per_second: float,
    username: str,
    secret: str,
    agents: Sequence[str],
    callers: Sequence[tuple[str, str]] | None = None,
    out: TextIO = sys.stdout,
    time_scale: float = 1.0,
) -> None:
    """Listen on host:port and place calls until cancelled, one line per finished call.

    ``scenario=None`` mixes all scenarios; ``calls_per_second <= 0`` places none (the
    simulator still answers actions, e.g. Originate). ``time_scale`` shortens ring and talk
    times (tests).
    """
    sim = PbxSimulator(username=username, secret=secret, agents=agents, time_scale=time_scale)
    bound = await sim.start(host, port)
    rate = f"{calls_per_second:g} calls/s" if calls_per_second > 0 else "no calls"
    print(
        f"AMI simulator on {host}:{bound} (user {username!r}, agents {', '.join(agents)}); "
        f"{rate}, scenario {scenario or 'mixed'}",
        file=out,
        flush=True,
    )
    progress = _Progress(out)
    try:
        if calls_per_second <= 0:
            await asyncio.Event().wait()
        scenarios = [scenario] if scenario else None
        await sim.run_traffic(
            calls_per_second, callers or DEMO_CALLERS, scenarios, on_call=progress.watch
        )
    finally:
        await progress.aclose()
        await sim.close()
