"""Agents logging in to and out of queues with dynamic members, from the desk or elsewhere.

An agent may log in to the queues listed for them (``agents add --queue``). The desk asks
for ``QueueAdd`` of each of the agent's interfaces, named with their display name and -
when the agent is away or in wrap-up - paused with the reason, so a log-in never undoes a
pause; or ``QueueRemove``. Whether they are logged in is Asterisk's to say: its
``QueueMemberAdded``/``QueueMemberRemoved`` (the desk's own, a phone feature code's, another
tool's) and the ``QueueStatus`` after each AMI login keep each server's memberships in the
ingest (``core/members.py``), and every change is told to the agent's desks as
``agent_queues``. In a cluster the memberships live on the node holding the server's link;
other nodes ask it (``AmiCommands.logged_in_queues``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Iterable
from typing import Any, Protocol

from cti_bridge.bus.base import Bus
from cti_bridge.services.agent_state import pause_for
from cti_bridge.services.agents import AgentDirectory
from cti_bridge.services.background import BackgroundTasks
from cti_bridge.store.accounts import Accounts, AgentRef
from cti_bridge.store.desk import DeskStore

log = logging.getLogger(__name__)


class MemberCommands(Protocol):
    """The AMI actions used here (``AmiCommands``: on the server's link, or relayed)."""

    async def queue_member(
        self,
        interfaces: Iterable[str],
        queue: str,
        *,
        logged_in: bool,
        member_name: str = "",
        paused: bool = False,
        reason: str = "",
    ) -> tuple[int, list[str]]: ...

    async def logged_in_queues(self, interfaces: Iterable[str]) -> set[str]: ...


class QueueLogins:
    def __init__(
        self,
        *,
        accounts: Accounts,
        agents: AgentDirectory,
        desk: DeskStore,
        bus: Bus,
        commands: MemberCommands | None,
    ) -> None:
        self._accounts = accounts
        self._agents = agents
        self._desk = desk
        self._bus = bus
        # None: no PBX configured.
        self.commands = commands
        # The latest message being built per agent: each waits for the one before it, so
        # the last message an agent gets says the latest state.
        self._telling: dict[int, asyncio.Task[None]] = {}
        self._tasks = BackgroundTasks()

    async def queues(self, agent: AgentRef) -> list[dict[str, Any]]:
        """The agent's queues, each with whether they are logged in to it now."""
        names = await self._accounts.queues_of(agent.id)
        logged: set[str] = set()
        if names and agent.interfaces and self.commands is not None:
            logged = {q.lower() for q in await self.commands.logged_in_queues(agent.interfaces)}
        return [{"name": name, "logged_in": name.lower() in logged} for name in names]

    async def listed(self, agent: AgentRef, queue: str) -> str | None:
        """``queue`` as the agent's list names it (any case), or None: not theirs."""
        names = await self._accounts.queues_of(agent.id)
        return next((name for name in names if name.lower() == queue.lower()), None)

    async def log_in(
        self, agent: AgentRef, queue: str, *, logged_in: bool
    ) -> tuple[int, list[str]]:
        """Log the agent's interfaces in to ``queue`` (paused as their status is) or out
        of it; what :meth:`AmiCommands.queue_member` returns. ``ConnectionError`` when
        no PBX is configured or reachable."""
        if self.commands is None:
            raise ConnectionError("no PBX is configured")
        paused, reason = False, ""
        if logged_in and (found := await self._desk.status_and_reason(agent.id)) is not None:
            paused, reason = pause_for(*found)
        return await self.commands.queue_member(
            agent.interfaces, queue, logged_in=logged_in, member_name=agent.display_name,
            paused=paused, reason=reason,
        )  # fmt: skip

    def members_changed(self, server: str, interfaces: Iterable[str]) -> None:
        """The ingest saw memberships change (read path: the work in a task per agent)."""
        for interface in interfaces:
            agent = self._agents.by_interface(interface)
            if agent is not None:
                before = self._telling.get(agent.id)
                task = self._tasks.spawn(self._tell(before, agent), f"queues-{agent.id}")
                self._telling[agent.id] = task
                task.add_done_callback(functools.partial(self._told, agent.id))

    async def stop(self) -> None:
        await self._tasks.stop()

    async def _tell(self, before: asyncio.Task[None] | None, agent: AgentRef) -> None:
        if before is not None:
            await asyncio.wait([before])
        await self._bus.publish(
            agent.id, {"type": "agent_queues", "queues": await self.queues(agent)}
        )

    def _told(self, agent_id: int, task: asyncio.Task[None]) -> None:
        if self._telling.get(agent_id) is task:
            del self._telling[agent_id]
