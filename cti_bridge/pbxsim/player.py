"""Playing calls on the simulated PBX: each call's scenario runs as its own task.

:class:`CallPlayer` is the call-playing half of :class:`~cti_bridge.pbxsim.server.PbxSimulator`
(which adds the AMI server); it needs only the :class:`Pbx` the calls change.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Coroutine, Sequence
from typing import Any

from cti_bridge.pbxsim import traffic
from cti_bridge.pbxsim.flow import CallFlow
from cti_bridge.pbxsim.pbx import Pbx
from cti_bridge.pbxsim.scenarios import SCENARIOS
from cti_bridge.pbxsim.simcall import SimCall, Timing

log = logging.getLogger(__name__)


class CallPlayer:
    """Places calls on ``pbx`` by scenario, ringing ``agents``, and tracks them to the end.

    ``ring_seconds``/``talk_seconds`` are the default durations, both multiplied by
    ``time_scale``.
    """

    def __init__(
        self,
        pbx: Pbx,
        agents: Sequence[str],
        *,
        time_scale: float,
        ring_seconds: float,
        talk_seconds: float,
    ) -> None:
        self.pbx = pbx
        self.agents = tuple(agents)
        self.time_scale = time_scale
        self.ring_seconds = ring_seconds
        self.talk_seconds = talk_seconds
        self._calls: dict[str, tuple[SimCall, asyncio.Task[None]]] = {}
        self.recent_calls: deque[SimCall] = deque(maxlen=1000)

    def place_call(
        self,
        scenario: str,
        *,
        caller_number: str,
        caller_name: str = "",
        agents: Sequence[str] | None = None,
        answer_by: str | None = None,
        ring_seconds: float | None = None,
        talk_seconds: float | None = None,
        transfer_to: str | None = None,
    ) -> SimCall:
        """Start a call now (needs a running event loop); see ``SCENARIOS`` for names.

        ``ring_seconds``/``talk_seconds`` override the simulator's defaults for this call;
        both are multiplied by ``time_scale``. ``transfer_to`` is where a transfer
        scenario hands the caller: an agent interface, a queue name, an outside number.
        """
        runner = SCENARIOS.get(scenario)
        if runner is None:
            raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
        chosen = tuple(agents) if agents is not None else self.agents
        if not chosen:
            raise ValueError("a call needs at least one agent interface to ring")
        if answer_by is not None and answer_by not in chosen:
            raise ValueError(f"answer_by {answer_by!r} is not among the ringing agents")
        timing = Timing(*self._timing(ring_seconds, talk_seconds))
        call = self._new_call(
            scenario,
            number=caller_number,
            name=caller_name,
            agents=chosen,
            answer_by=answer_by,
            timing=timing,
        )
        call.transfer_to = transfer_to
        self._launch(call, runner(CallFlow(self.pbx, call)))
        return call

    def _timing(self, ring: float | None, talk: float | None) -> tuple[float, float]:
        ring = self.ring_seconds if ring is None else ring
        talk = self.talk_seconds if talk is None else talk
        return ring * self.time_scale, talk * self.time_scale

    def _new_call(
        self,
        scenario: str,
        *,
        number: str,
        name: str,
        agents: Sequence[str],
        answer_by: str | None,
        timing: Timing,
    ) -> SimCall:
        return SimCall(
            scenario=scenario,
            linkedid=self.pbx.channels.next_uniqueid(),
            caller_number=number,
            caller_name=name,
            agents=agents,
            answer_by=answer_by,
            timing=timing,
        )

    def _launch(self, call: SimCall, flow: Coroutine[Any, Any, None]) -> None:
        loop = asyncio.get_running_loop()
        task = loop.create_task(self._run_call(call, flow), name=f"pbxsim-{call.linkedid}")
        self._calls[call.linkedid] = (call, task)
        self.recent_calls.append(call)

    async def _run_call(self, call: SimCall, flow: Coroutine[Any, Any, None]) -> None:
        outcome = "vanished"
        try:
            await flow
            outcome = "answered" if call.answered_by else "abandoned"
        except Exception:
            log.exception("simulated call %s failed", call.linkedid)
            outcome = "failed"
        finally:
            call.finish(outcome)
            self._calls.pop(call.linkedid, None)

    @property
    def active_calls(self) -> list[SimCall]:
        return [call for call, _ in self._calls.values()]

    async def run_traffic(
        self,
        calls_per_second: float,
        callers: Sequence[tuple[str, str]],
        scenarios: Sequence[str] | None = None,
        *,
        on_call: traffic.CallObserver | None = None,
    ) -> None:
        """Place calls at a steady rate, a random mix of scenarios, until cancelled."""
        await traffic.run(self, calls_per_second, callers, scenarios, on_call=on_call)

    async def _cancel_calls(self) -> None:
        tasks = [task for _, task in self._calls.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
