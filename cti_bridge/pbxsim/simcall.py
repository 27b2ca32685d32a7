"""A call placed on the simulator, as tests and the benchmark see it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Timing:
    """How long each phase lasts, in real seconds (already multiplied by ``time_scale``)."""

    ring: float
    talk: float


@dataclass(frozen=True, slots=True)
class Command:
    """A call-control action from AMI for a talking call: ``hangup`` of ``channel``,
    ``blind`` or ``attended`` transfer of ``channel``'s peer to ``exten``."""

    kind: str
    channel: str
    exten: str = ""
    context: str = ""


class SimCall:
    """Handle on one simulated call.

    ``linkedid`` is fixed when the call is placed, before any event is written, so a test
    can compute ``call_id = f"{pbx}:{linkedid}"`` up front. ``ring_times`` maps each
    interface to ``time.time()`` right after the event that makes it ring (``AgentCalled``
    for queue calls, ``DialBegin`` otherwise) was written to the sockets - the start of the
    ring-to-pop latency the benchmark measures.
    """

    def __init__(
        self,
        *,
        scenario: str,
        linkedid: str,
        caller_number: str,
        caller_name: str,
        agents: Sequence[str],
        answer_by: str | None,
        timing: Timing,
        transfer_to: str | None = None,
    ) -> None:
        self.scenario = scenario
        self.linkedid = linkedid
        self.caller_number = caller_number
        self.caller_name = caller_name
        self.agents = tuple(agents)
        self.answer_by = answer_by
        self.timing = timing
        # Where a transfer scenario sends the caller: an agent's interface, a queue name or
        # an outside number (None: the scenario's default).
        self.transfer_to = transfer_to
        self.ring_times: dict[str, float] = {}
        self.answered_by: str | None = None
        # "answered", "abandoned", "missed", or "vanished" (PBX restarted mid-call).
        self.outcome = ""
        self.events = 0
        self._hangup = asyncio.Event()
        # Set by hangup_caller() and advance(): ends the current pause early.
        self._wake = asyncio.Event()
        self._done = asyncio.Event()
        # Call control from AMI, obeyed by the talking phase (see control.py).
        self.command: Command | None = None
        self.talking = False
        # Whether the colleague an ``Atxfer`` consults picks up (off: they ring until the
        # no-answer timeout and the caller comes back to the agent).
        self.colleague_answers = True
        # The file MixMonitor records the call into (``recording.py``; None: not recorded).
        self.recording: str | None = None

    @property
    def done(self) -> bool:
        return self._done.is_set()

    async def wait(self) -> None:
        """Return once the call is over (every channel hung up, or the PBX restarted)."""
        await self._done.wait()

    def hangup_caller(self) -> None:
        """Let the caller hang up now: while ringing this abandons the call, while talking
        it ends it from the caller's side. No effect once the call is over."""
        self._hangup.set()
        self._wake.set()

    def advance(self) -> None:
        """End the current phase now (stop ringing and answer, stop talking and transfer
        or hang up), as if its time had run out: lets a test act in the middle of a call
        and then move it on."""
        self._wake.set()

    def order(self, command: Command) -> None:
        """Queue ``command``; a talking call stops talking and obeys it at once."""
        self.command = command
        if self.talking:
            self._wake.set()

    def take_command(self) -> Command | None:
        command, self.command = self.command, None
        return command

    @property
    def caller_hung_up(self) -> bool:
        return self._hangup.is_set()

    async def pause(self, seconds: float) -> bool:
        """Let ``seconds`` pass in the call; True if the caller hung up meanwhile."""
        if self._hangup.is_set():
            return True
        try:
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        except TimeoutError:
            return False
        if self._hangup.is_set():
            return True
        self._wake.clear()  # advanced: this phase is over, the next one waits afresh
        return False

    def finish(self, outcome: str) -> None:
        if not self.outcome:
            self.outcome = outcome
        self._done.set()

    def __repr__(self) -> str:
        return f"<SimCall {self.scenario} {self.linkedid} {self.outcome or 'live'}>"
