"""Who is reached on which interface: the in-memory map the pop path consults.

Loaded from the database at start and refreshed periodically (agents are added by the CLI,
possibly from another process), so that a ringing interface costs a dict lookup, not a query.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from cti_bridge.core.channels import interface_of
from cti_bridge.store.accounts import AgentRef


class AgentDirectory:
    def __init__(self, load: Callable[[], Awaitable[list[AgentRef]]]) -> None:
        self._load = load
        self._by_interface: dict[str, AgentRef] = {}
        self._by_id: dict[int, AgentRef] = {}

    async def refresh(self) -> None:
        self.replace(await self._load())

    def replace(self, agents: Iterable[AgentRef]) -> None:
        by_interface: dict[str, AgentRef] = {}
        by_id: dict[int, AgentRef] = {}
        for agent in agents:
            by_id[agent.id] = agent
            for interface in agent.interfaces:
                by_interface[interface_of(interface)] = agent
        self._by_interface, self._by_id = by_interface, by_id

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
