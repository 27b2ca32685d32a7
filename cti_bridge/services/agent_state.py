"""The agent's status and the queue pause in Asterisk, kept the same both ways.

- A status chosen in the desk is saved, told to the agent's desks (``agent_status``) and
  applied to the PBX: ``away`` and ``wrap_up`` pause every queue membership of the agent's
  interfaces (``QueuePause`` without ``Queue``), ``available`` unpauses them. With no AMI
  connected the status is still saved; :meth:`AgentStates.settle` applies it after login.
- A pause made elsewhere (a phone feature code, another tool) arrives as
  ``QueueMemberPause``: the agent becomes ``away`` with the PBX's reason, or ``available``.
  The events echoing the bridge's own ``QueuePause`` (one per queue) are recognised by the
  states sent lately and change nothing, so no loop and no second change.
- Wrap-up: after an answered call the agent is in ``wrap_up`` for ``[desk] wrapup_seconds``
  unless they choose otherwise meanwhile; only the latest wrap-up may end itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from cti_bridge.bus.base import Bus
from cti_bridge.core.channels import interface_of
from cti_bridge.core.pop import iso
from cti_bridge.core.states import AgentStatus
from cti_bridge.services.agents import AgentDirectory
from cti_bridge.services.background import BackgroundTasks
from cti_bridge.store.accounts import AgentRef
from cti_bridge.store.desk import DeskStore

log = logging.getLogger(__name__)

# (interfaces, paused, reason) -> pairs confirmed; ConnectionError when no AMI is connected.
PauseInterfaces = Callable[[Iterable[str], bool, str], Awaitable[int]]
# The reason Asterisk is given for a wrap-up pause (queue_log and QueueStatus show it).
WRAP_UP_REASON = "wrap_up"
# How long a state the bridge sent counts as its own when its events come back.
ECHO_SECONDS = 10.0
PAUSED_STATUSES = (AgentStatus.AWAY, AgentStatus.WRAP_UP)


@dataclass(frozen=True, slots=True)
class Sent:
    paused: bool
    reason: str
    at: float


class AgentStates:
    def __init__(
        self,
        *,
        desk: DeskStore,
        agents: AgentDirectory,
        bus: Bus,
        pause: PauseInterfaces | None,
        clock: Callable[[], float] = time.time,
        wrapup_seconds: int = 0,
    ) -> None:
        self._desk = desk
        self._agents = agents
        self._bus = bus
        self._pause = pause
        self._clock = clock
        self._wrapup_seconds = wrapup_seconds
        self._sent: dict[int, list[Sent]] = {}
        self._wrapups: dict[int, asyncio.Task[None]] = {}
        self._tasks = BackgroundTasks()

    async def choose(
        self, agent: AgentRef, status: str, reason: str = "", *, origin: str = "desk"
    ) -> None:
        """The agent (``desk``) or a call's end (``wrapup``) set ``status``: save, tell,
        apply to the PBX."""
        self._cancel_wrapup(agent.id)
        reason = reason if status == AgentStatus.AWAY else ""
        await self._save(agent.id, status, reason, origin=origin)
        await self._apply(agent, status, reason)

    def call_ended(self, interface: str) -> None:
        """An answered call ended on ``interface`` (read path: the work in a task)."""
        agent = self._agents.by_interface(interface_of(interface))
        if agent is not None and self._wrapup_seconds > 0:
            self._tasks.spawn(self.wrap_up(agent), f"call-ended-{agent.id}")

    async def wrap_up(self, agent: AgentRef) -> None:
        """Wrap-up after a call (a new one restarts the time), ending by itself; an agent
        who chose away meanwhile stays away."""
        found = await self._desk.status_and_reason(agent.id)
        if found is not None and found[0] == AgentStatus.AWAY:
            return  # chosen during the call: stays
        await self.choose(agent, AgentStatus.WRAP_UP, origin="wrapup")
        self._wrapups[agent.id] = self._tasks.spawn(self._end_wrapup(agent), f"wrapup-{agent.id}")

    def member_paused(self, server: str, event: dict[str, str]) -> None:
        """A ``QueueMemberPause`` from ``server`` (read path: short, the work in a task)."""
        agent = self._agents.by_interface(interface_of(event.get("Interface", "")))
        if agent is None:
            return
        paused = event.get("Paused") == "1"
        reason = event.get("PausedReason", "") if paused else ""
        if self._is_echo(agent.id, paused, reason):
            return
        self._tasks.spawn(self._pbx_changed(agent, paused, reason), f"pause-{agent.id}")

    async def settle(self, members: list[tuple[str, bool, str]]) -> int:
        """After an AMI login: ``members`` is what QueueStatus listed (interface, paused,
        reason per membership); each agent with a membership that differs from the status
        they last chose is set again. Returns how many agents were set again."""
        settled = 0
        for agent in self._agents.all():
            listed = [(p, r) for i, p, r in members if i in agent.interfaces]
            found = await self._desk.status_and_reason(agent.id)
            if not listed or found is None:
                continue
            status, reason = found
            if status == AgentStatus.OFFLINE:
                continue  # never chose a status: nothing to settle
            wanted = (status in PAUSED_STATUSES, _pbx_reason(status, reason))
            if any(state != wanted for state in listed):
                await self._apply(agent, status, reason)
                settled += 1
        return settled

    async def stop(self) -> None:
        await self._tasks.stop()

    # -- internals --------------------------------------------------------------------------

    async def _save(self, agent_id: int, status: str, reason: str, *, origin: str) -> None:
        at = datetime.fromtimestamp(self._clock(), UTC)
        await self._desk.set_status(agent_id, status, reason, at)
        message = {
            "type": "agent_status",
            "status": status,
            "reason": reason or None,
            "since": iso(at),
            "origin": origin,
            "wrapup_seconds": self._wrapup_seconds if status == AgentStatus.WRAP_UP else None,
        }
        await self._bus.publish(agent_id, message)

    async def _apply(self, agent: AgentRef, status: str, reason: str) -> bool:
        """Pause or unpause the agent's interfaces; False when no PBX took it."""
        if self._pause is None or not agent.interfaces:
            return False
        paused, pbx_reason = status in PAUSED_STATUSES, _pbx_reason(status, reason)
        sent = self._sent.setdefault(agent.id, [])
        now = time.monotonic()
        sent[:] = [s for s in sent if now - s.at < ECHO_SECONDS]
        sent.append(Sent(paused, pbx_reason, now))
        try:
            await self._pause(agent.interfaces, paused, pbx_reason)
        except ConnectionError as exc:
            log.info("agent %s is %s; the PBX is told after login (%s)", agent.id, status, exc)
            return False
        return True

    def _is_echo(self, agent_id: int, paused: bool, reason: str) -> bool:
        now = time.monotonic()
        return any(
            s.paused == paused and (not paused or s.reason == reason) and now - s.at < ECHO_SECONDS
            for s in self._sent.get(agent_id, ())
        )

    async def _pbx_changed(self, agent: AgentRef, paused: bool, reason: str) -> None:
        found = await self._desk.status_and_reason(agent.id)
        if found is None:
            return
        status, known_reason = found
        if paused and status in PAUSED_STATUSES and _pbx_reason(status, known_reason) == reason:
            return  # already so: another queue's event for the same change
        if not paused and status not in PAUSED_STATUSES:
            return
        self._cancel_wrapup(agent.id)
        new = AgentStatus.AWAY if paused else AgentStatus.AVAILABLE
        await self._save(agent.id, new, reason, origin="pbx")

    async def _end_wrapup(self, agent: AgentRef) -> None:
        await asyncio.sleep(self._wrapup_seconds)
        self._wrapups.pop(agent.id, None)
        found = await self._desk.status_and_reason(agent.id)
        if found is not None and found[0] == AgentStatus.WRAP_UP:
            await self._save(agent.id, AgentStatus.AVAILABLE, "", origin="wrapup")
            await self._apply(agent, AgentStatus.AVAILABLE, "")

    def _cancel_wrapup(self, agent_id: int) -> None:
        task = self._wrapups.pop(agent_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()


def pause_for(status: str, reason: str) -> tuple[bool, str]:
    """(paused, the reason Asterisk is given) for an agent in ``status``."""
    return status in PAUSED_STATUSES, _pbx_reason(status, reason)


def _pbx_reason(status: str, reason: str) -> str:
    """The reason Asterisk holds for ``status``: the away reason, or wrap-up's own."""
    return WRAP_UP_REASON if status == AgentStatus.WRAP_UP else reason
