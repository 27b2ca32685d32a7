"""Who is reached on which interface: the in-memory map the pop path consults.

Loaded from the database at start and refreshed periodically (agents are added by the CLI,
possibly from another process), so that a ringing interface costs a dict lookup, not a query.

A refresh must not stall the pops ringing meanwhile: the loader (``Accounts.all_active``)
hands back the very same ``AgentRef`` objects while nothing changed, which the directory
notices in one identity pass and keeps its maps as they are (no new objects for the garbage
collector to promote and scan); when something did change, the maps are rebuilt in slices
that yield to the event loop, and swapped in at once.
"""

from __future__ import annotations

import asyncio
import operator
from collections.abc import Awaitable, Callable, Iterable

from cti_bridge.core.channels import interface_of
from cti_bridge.store.accounts import AgentRef

# Agents indexed between two yields to the event loop when a changed list is installed.
AGENTS_PER_STEP = 500


class AgentDirectory:
    def __init__(self, load: Callable[[], Awaitable[list[AgentRef]]]) -> None:
        self._load = load
        self._by_interface: dict[str, AgentRef] = {}
        self._by_id: dict[int, AgentRef] = {}
        self._loaded: list[AgentRef] = []  # what the maps were built from, in order

    async def refresh(self) -> None:
        agents = await self._load()
        loaded = self._loaded
        if len(agents) == len(loaded) and all(map(operator.is_, agents, loaded)):
            return
        by_interface: dict[str, AgentRef] = {}
        by_id: dict[int, AgentRef] = {}
        for start in range(0, len(agents), AGENTS_PER_STEP):
            if start:
                await asyncio.sleep(0)
            _index(agents[start : start + AGENTS_PER_STEP], by_interface, by_id)
        self._by_interface, self._by_id, self._loaded = by_interface, by_id, agents

    def replace(self, agents: Iterable[AgentRef]) -> None:
        listed = list(agents)
        by_interface: dict[str, AgentRef] = {}
        by_id: dict[int, AgentRef] = {}
        _index(listed, by_interface, by_id)
        self._by_interface, self._by_id, self._loaded = by_interface, by_id, listed

    def by_interface(self, interface: str) -> AgentRef | None:
        return self._by_interface.get(interface)

    def is_agent_interface(self, interface: str) -> bool:
        return interface in self._by_interface

    def by_id(self, agent_id: int) -> AgentRef | None:
        return self._by_id.get(agent_id)

    def supervisors(self) -> list[AgentRef]:
        return [a for a in self._by_id.values() if a.is_supervisor]

    def all(self) -> list[AgentRef]:
        return list(self._by_id.values())


def _index(
    agents: Iterable[AgentRef], by_interface: dict[str, AgentRef], by_id: dict[int, AgentRef]
) -> None:
    for agent in agents:
        by_id[agent.id] = agent
        for interface in agent.interfaces:
            by_interface[interface_of(interface)] = agent
