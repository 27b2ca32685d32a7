"""The desk's comings and goings in the agent status log, for the reports' agent time.

The hub says when an agent's first socket on this node opens and their last one closes;
the agent is then logged back in their current status, or ``offline``. The time is taken
when the hub tells, and each agent's writes run one after the other, so a quick close and
reopen is logged in its order. Only socket opens and closes come here, never a pop.

With several web nodes each node logs the sockets it holds: an agent with desks open on
two nodes is logged offline when one node's last socket closes, and back when one opens.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from cti_bridge.store.desk import DeskStore

log = logging.getLogger(__name__)

# How long stopping waits for the last writes (the sockets closed at shutdown among them).
STOP_SECONDS = 5.0


class PresenceLog:
    def __init__(self, desk: DeskStore, clock: Callable[[], float]) -> None:
        self._desk = desk
        self._clock = clock
        self._last: dict[int, asyncio.Task[None]] = {}

    def changed(self, agent_id: int, present: bool) -> None:
        """The hub's presence listener: schedules the write, never waits for it."""
        at = datetime.fromtimestamp(self._clock(), UTC)
        before = self._last.get(agent_id)
        task = asyncio.get_running_loop().create_task(
            self._write(before, agent_id, present, at), name=f"presence-{agent_id}"
        )
        self._last[agent_id] = task
        task.add_done_callback(lambda done: self._forget(agent_id, done))

    async def _write(
        self, before: asyncio.Task[None] | None, agent_id: int, present: bool, at: datetime
    ) -> None:
        if before is not None:
            await asyncio.wait([before])
        try:
            await self._desk.log_presence(agent_id, present, at)
        except Exception as exc:
            log.warning("could not log agent %s %s: %s", agent_id, _word(present), exc)

    def _forget(self, agent_id: int, task: asyncio.Task[None]) -> None:
        if self._last.get(agent_id) is task:
            del self._last[agent_id]

    async def stop(self) -> None:
        """Let the writes under way finish (for a while), then drop the rest."""
        pending = list(self._last.values())
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=STOP_SECONDS)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)


def _word(present: bool) -> str:
    return "back" if present else "offline"
