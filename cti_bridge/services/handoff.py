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
from datetime import datetime

from cti_bridge.core.pop import Handoff, HandoffNote
from cti_bridge.services.agents import AgentDirectory
from cti_bridge.store.calllog import CallLog

log = logging.getLogger(__name__)

# Hand-off notes given with a desk transfer, kept for this many calls at most.
MAX_PENDING_CALLS = 1000


class HandoffBuilder:
    def __init__(self, calllog: CallLog, agents: AgentDirectory, timeout: float) -> None:
        self._calllog = calllog
        self._agents = agents
        self._timeout = timeout
        # Notes given with a transfer from the desk, per call: every later pop of the call
        # carries them after the saved ones (dicts keep insertion order: oldest first out).
        self._given: dict[str, list[HandoffNote]] = {}

    def give(self, call_id: str, agent: str, text: str, at: datetime) -> None:
        """Add a note the transferring agent gave, for the pops of the receivers."""
        self._given.setdefault(call_id, []).append(
            HandoffNote(agent=agent, at=at, code=None, text=text)
        )
        while len(self._given) > MAX_PENDING_CALLS:
            del self._given[next(iter(self._given))]

    def agent_name(self, interface: str | None) -> str:
        """Display name of the agent on ``interface``, else the interface itself."""
        agent = self._agents.by_interface(interface or "")
        if agent is not None:
            return agent.display_name or agent.username
        return interface or ""

    async def build(self, call_id: str, from_interface: str | None) -> Handoff:
        """The hand-off for a pop caused by a transfer from ``from_interface``."""
        name = self.agent_name(from_interface)
        given = tuple(self._given.get(call_id, ()))
        try:
            async with asyncio.timeout(self._timeout):
                notes = await self._calllog.notes_so_far(call_id)
        except Exception as exc:  # the pop must go out even when the database does not answer
            log.warning("hand-off notes for %s unavailable: %s", call_id, type(exc).__name__)
            return Handoff(from_agent=name, notes=given)
        return Handoff(from_agent=name, notes=(*notes, *given))
