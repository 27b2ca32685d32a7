"""Warm hand-off and agent legs: what a transfer target learns, and how legs are recorded.

When a caller is transferred, the agent who takes over must not ask again what the caller
already told a colleague: their pop carries ``handoff`` - who handed the caller over and
the dispositions/notes saved on this call so far. Those notes are read from the database
when the new agent's phone rings; the read has the lookup's time budget, and if the
database is slow or down the pop goes out with the notes left empty (never held back).

Each pop is one *leg* of the call (``interaction_legs``): offered, then answered, missed,
transferred away or ended. The call itself stays one interaction row.
"""

from __future__ import annotations

import asyncio
import logging

from cti_bridge.core.pop import Handoff
from cti_bridge.services.agents import AgentDirectory
from cti_bridge.store.calllog import CallLog

log = logging.getLogger(__name__)


class HandoffBuilder:
    def __init__(self, calllog: CallLog, agents: AgentDirectory, timeout: float) -> None:
        self._calllog = calllog
        self._agents = agents
        self._timeout = timeout

    def agent_name(self, interface: str | None) -> str:
        """Display name of the agent on ``interface``, else the interface itself."""
        agent = self._agents.by_interface(interface or "")
        if agent is not None:
            return agent.display_name or agent.username
        return interface or ""

    async def build(self, call_id: str, from_interface: str | None) -> Handoff:
        """The hand-off for a pop caused by a transfer from ``from_interface``."""
        name = self.agent_name(from_interface)
        try:
            async with asyncio.timeout(self._timeout):
                notes = await self._calllog.notes_so_far(call_id)
        except Exception as exc:  # the pop must go out even when the database does not answer
            log.warning("hand-off notes for %s unavailable: %s", call_id, type(exc).__name__)
            return Handoff(from_agent=name)
        return Handoff(from_agent=name, notes=tuple(notes))
