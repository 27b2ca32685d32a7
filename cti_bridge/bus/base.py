"""The bus: how a message for an agent reaches the node holding that agent's sockets.

Every message to an agent gets the agent's next ``seq`` and is kept in a bounded replay
buffer, so a browser that reconnects (to this node or, with Redis, to another) can
``resume`` from the last ``seq`` it saw. The bus stamps and serialises a message once; each
node's hub then writes the same text to every socket of that agent (several tabs).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

# (agent_id, seq, JSON text) -> None; called by the bus on the node that should deliver.
Deliver = Callable[[int, int, str], None]


class Bus(Protocol):
    def attach(self, deliver: Deliver) -> None:
        """Register this node's delivery function (the websocket hub)."""

    async def publish(self, agent_id: int, message: dict[str, Any]) -> int:
        """Stamp ``message`` with the agent's next seq, buffer it, deliver it; returns seq."""

    async def replay(self, agent_id: int, after_seq: int) -> list[tuple[int, str]]:
        """Buffered messages of this agent with a seq above ``after_seq``, oldest first."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...


def encode(message: dict[str, Any], seq: int) -> str:
    """The one place messages become wire text."""
    return json.dumps({**message, "seq": seq}, ensure_ascii=False, separators=(",", ":"))
