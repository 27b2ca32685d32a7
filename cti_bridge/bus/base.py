"""The bus: how a message for an agent reaches the node holding that agent's sockets.

Every message to an agent gets the agent's next ``seq`` and is kept in a bounded replay
buffer, so a browser that reconnects (to this node or, with Redis, to another) can
``resume`` from the last ``seq`` it saw. The bus stamps and serialises a message once; each
node's hub then writes the same text to every socket of that agent (several tabs).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

# (agent_id, seq, JSON text) -> None; called by the bus on the node that should deliver.
Deliver = Callable[[int, int, str], None]
# A control message for every node's hub (``{"op": "end_session", ...}``); not buffered,
# not numbered, never replayed.
Control = Callable[[dict[str, Any]], None]


class Bus(Protocol):
    def attach(self, deliver: Deliver) -> None:
        """Register this node's delivery function (the websocket hub)."""

    async def publish(self, agent_id: int, message: dict[str, Any]) -> int:
        """Stamp ``message`` with the agent's next seq, buffer it, deliver it; returns seq."""

    def on_control(self, handler: Control) -> None:
        """Register this node's handler of control messages (the websocket hub)."""

    async def control(self, message: dict[str, Any]) -> None:
        """Hand ``message`` to every node's control handler, this node's at once."""

    async def replay(self, agent_id: int, after_seq: int) -> list[tuple[int, str]]:
        """Buffered messages of this agent with a seq above ``after_seq``, oldest first."""

    async def pop_state(self, agent_id: int, call_id: str) -> str | None:
        """What this agent was last told about this call (``ringing`` after its
        ``screen_pop``, then the ``call_update`` states), None if never popped for it.

        A node that takes over an Asterisk server resyncs its calls and asks this before
        popping again: it must answer for pops any node sent, so nobody is popped
        twice. None when the bus cannot tell (the caller then pops: better a duplicate
        than a lost pop)."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...


def pop_mark(message: dict[str, Any]) -> tuple[str, str] | None:
    """(call id, state) a message tells its agent about a call, for :meth:`Bus.pop_state`:
    a ``screen_pop`` is ``ringing``; a ``call_update`` its state. None for other messages."""
    kind = message.get("type")
    call_id = message.get("call_id")
    if not isinstance(call_id, str):
        return None
    if kind == "screen_pop":
        return call_id, "ringing"
    if kind == "call_update":
        return call_id, str(message.get("state"))
    return None


class PopMarks:
    """A bounded memory of :func:`pop_mark` per (agent, call), oldest forgotten first: a
    node's own answer to :meth:`Bus.pop_state` (calls last minutes, thousands are live)."""

    def __init__(self, size: int = 50_000) -> None:
        self._size = size
        self._marks: OrderedDict[tuple[int, str], str] = OrderedDict()

    def note(self, agent_id: int, message: dict[str, Any]) -> None:
        mark = pop_mark(message)
        if mark is None:
            return
        call_id, state = mark
        key = (agent_id, call_id)
        if state != "ringing" and key not in self._marks:
            return  # an update (never "ringing") without a pop remembered: nothing to adopt
        self._marks[key] = state
        self._marks.move_to_end(key)
        if len(self._marks) > self._size:
            self._marks.popitem(last=False)

    def get(self, agent_id: int, call_id: str) -> str | None:
        return self._marks.get((agent_id, call_id))


def encode(message: dict[str, Any], seq: int) -> str:
    """The one place messages become wire text."""
    return json.dumps({**message, "seq": seq}, ensure_ascii=False, separators=(",", ":"))
